package redisdedupe_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/unikyc/unikyc/webhook/redisdedupe"
)

// Every replica makes its Receiver with the same store; a claim is held
// until its TTL or a release.
func ExampleNew() {
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()}) // your Redis
	defer rdb.Close()
	store, err := redisdedupe.New(rdb, redisdedupe.WithPrefix("example:"+time.Now().Format("150405.000000")+":"))
	if err != nil {
		panic(err)
	}
	// recv, err := webhook.NewReceiver(hooks, handle, webhook.WithStore(store))
	ctx := context.Background()
	first, _ := store.Claim(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED", 72*time.Hour)
	again, _ := store.Claim(ctx, "scan-1/IDENTIFICATION_AUTO_FINISHED", 72*time.Hour)
	fmt.Println(first, again)
	// Output: true false
}
