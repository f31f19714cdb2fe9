package genericjwt_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/providers"
)

// A client and a fake made WithInMemory run inside a testing/synctest
// bubble through the fake's Transport: a token's hour passes in no real
// time, and the client renews it.
func TestClientInsideSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := genericjwttest.NewServer(genericjwttest.WithInMemory())
		defer srv.Close()
		c, err := genericjwt.New(srv.Config(), providers.WithTransport(srv.Transport()))
		require.NoError(t, err)
		defer c.Close()

		_, err = c.Me(context.Background())
		require.NoError(t, err)
		time.Sleep(genericjwttest.DefaultTokenLifetime + time.Minute)
		synctest.Wait()
		_, err = c.Me(context.Background())
		require.NoError(t, err)
		assert.Equal(t, 2, srv.Logins(), "renewed after the hour")
		assert.Zero(t, srv.ExpiredRejections(), "never sent an expired token")
	})
}
