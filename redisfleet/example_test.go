package redisfleet_test

import (
	"context"
	"log"
	"log/slog"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/redisfleet"
)

// Each replica of a service runs this with the same Redis, key and account:
// together they log in once, share the token, and send at most
// Compliancely's 10 requests a minute.
func Example() {
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{os.Getenv("REDIS_ADDR")}})
	defer rdb.Close()

	key := []byte(os.Getenv("UNIKYC_FLEET_KEY")) // 32 bytes, the same on every replica
	fleet, err := redisfleet.New(rdb,
		redisfleet.WithEncryptionKey(key),
		redisfleet.WithReplicas(5), // without Redis, each replica sends 1/5 of the limit
		redisfleet.WithLogger(slog.Default()),
	)
	if err != nil {
		log.Fatal(err)
	}

	cfg := compliancely.Config{Username: "api-user@example.com", Password: auth.Secret(os.Getenv("COMPLIANCELY_PASSWORD"))}
	client, err := compliancely.New(cfg, fleet.Options("compliancely:"+cfg.Username)...)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	if _, err := client.ValidateToken(context.Background()); err != nil {
		log.Print(err)
	}
}
