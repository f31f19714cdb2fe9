package filestore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// A program that runs often keeps its token in a file: the second run uses
// the first run's token instead of logging in.
func Example() {
	srv := genericjwttest.NewServer()
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "unikyc")
	defer os.RemoveAll(dir)
	key := make([]byte, 32) // in production: 32 random bytes, e.g. UNIKYC_TOKEN_KEY from `openssl rand -hex 32`

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 { // two runs of the program
		store, err := filestore.New(filestore.WithPath(filepath.Join(dir, "tokens")), filestore.WithKey(key))
		if err != nil {
			panic(err)
		}
		c, err := genericjwt.New(srv.Config(), providers.WithStore(store))
		if err != nil {
			panic(err)
		}
		if _, err := c.Me(ctx); err != nil {
			panic(err)
		}
		c.Close()
	}
	fmt.Println("logins:", srv.Logins())
	// Output: logins: 1
}
