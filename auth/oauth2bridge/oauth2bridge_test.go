package oauth2bridge_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/auth/oauth2bridge"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/providers"
)

var exp = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// Rule: the oauth2 side gets the access token, its type and expiry, and
// never the refresh token.
func TestToOAuth2CarriesTheAccessTokenOnly(t *testing.T) {
	src := auth.TokenSourceFunc(func(context.Context) (*auth.Token, error) {
		return &auth.Token{AccessToken: "acc", TokenType: "bearer", Expiry: exp, RefreshToken: "rt-SECRET"}, nil
	})
	tok, err := oauth2bridge.ToOAuth2(src).Token()
	require.NoError(t, err)
	assert.Equal(t, &oauth2.Token{AccessToken: "acc", TokenType: "Bearer", Expiry: exp}, tok)
}

// Rule: oauth2's Token takes no context, so each call gets one bounded by
// the timeout; a source that waits longer fails with the deadline.
func TestToOAuth2BoundsEachCall(t *testing.T) {
	var deadline atomic.Value
	src := auth.TokenSourceFunc(func(ctx context.Context) (*auth.Token, error) {
		d, _ := ctx.Deadline()
		deadline.Store(d)
		<-ctx.Done() // a login stuck behind a long pause
		return nil, ctx.Err()
	})
	start := time.Now()
	_, err := oauth2bridge.ToOAuth2(src, oauth2bridge.WithTimeout(30*time.Millisecond)).Token()
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.WithinDuration(t, start.Add(30*time.Millisecond), deadline.Load().(time.Time), 20*time.Millisecond)
}

// Rule: the default bound is DefaultTimeout, and WithContext's
// cancellation ends every call.
func TestToOAuth2DefaultTimeoutAndBaseContext(t *testing.T) {
	var left time.Duration
	src := auth.TokenSourceFunc(func(ctx context.Context) (*auth.Token, error) {
		d, ok := ctx.Deadline()
		require.True(t, ok)
		left = time.Until(d)
		return &auth.Token{AccessToken: "a"}, nil
	})
	_, err := oauth2bridge.ToOAuth2(src).Token()
	require.NoError(t, err)
	assert.InDelta(t, oauth2bridge.DefaultTimeout, left, float64(5*time.Second))

	base, cancel := context.WithCancel(context.Background())
	cancel()
	blocked := auth.TokenSourceFunc(func(ctx context.Context) (*auth.Token, error) { <-ctx.Done(); return nil, ctx.Err() })
	_, err = oauth2bridge.ToOAuth2(blocked, oauth2bridge.WithContext(base)).Token()
	assert.ErrorIs(t, err, context.Canceled)
}

// Rule: a source that answers no token is an error, not an empty header.
func TestToOAuth2NoToken(t *testing.T) {
	src := auth.TokenSourceFunc(func(context.Context) (*auth.Token, error) { return &auth.Token{}, nil })
	_, err := oauth2bridge.ToOAuth2(src).Token()
	assert.EqualError(t, err, "unikyc: oauth2bridge: the token source returned no token")
}

// Rule: an oauth2.Transport over the bridge sends the unikyc token on every
// request, and asks the source each time (oauth2.Transport does not cache).
func TestToOAuth2UnderOAuth2Transport(t *testing.T) {
	var calls atomic.Int32
	src := auth.TokenSourceFunc(func(context.Context) (*auth.Token, error) {
		calls.Add(1)
		return &auth.Token{AccessToken: "acc-1", Expiry: time.Now().Add(time.Hour)}, nil
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	hc := &http.Client{Transport: &oauth2.Transport{Source: oauth2bridge.ToOAuth2(src), Base: srv.Client().Transport}}
	for range 4 {
		resp, err := hc.Get(srv.URL)
		require.NoError(t, err)
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, "Bearer acc-1", string(b))
	}
	assert.Equal(t, int32(4), calls.Load())
}

// Rule: an oauth2 token becomes a unikyc token: access token, type and
// expiry, without the refresh token.
func TestFromOAuth2(t *testing.T) {
	src := oauth2bridge.FromOAuth2(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "acc", TokenType: "bearer", RefreshToken: "rt-SECRET", Expiry: exp}))
	tok, err := src.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, &auth.Token{AccessToken: "acc", TokenType: "Bearer", Expiry: exp}, tok)
	leakcheck.NoSecrets(t, []string{"acc", "rt-SECRET"}, src, oauth2bridge.ToOAuth2(src))
}

// blockingSource is an oauth2 source whose Token waits for release.
type blockingSource struct {
	calls   atomic.Int32
	release chan struct{}
}

func (b *blockingSource) Token() (*oauth2.Token, error) {
	b.calls.Add(1)
	<-b.release
	return &oauth2.Token{AccessToken: "late"}, nil
}

// Rule: the caller's context decides when it stops waiting, although
// oauth2's Token takes none: an ended context is not even asked, and one
// that ends during the call returns at once; the oauth2 call ends on its
// own (goleak checks nothing is left).
func TestFromOAuth2HonoursTheContext(t *testing.T) {
	b := &blockingSource{release: make(chan struct{})}
	src := oauth2bridge.FromOAuth2(b)

	done, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := src.Token(done)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, int32(0), b.calls.Load(), "an ended context does not call the source")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = src.Token(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 5*time.Second)
	close(b.release)
	assert.Eventually(t, func() bool { return b.calls.Load() == 1 }, time.Second, time.Millisecond)
}

// Rule: a refusal of the token endpoint is a fixed-phrase *TokenError with
// the status and the RFC 6749 code; the endpoint's body (here a
// description holding a secret, 60 KiB of it) stays out of Error(), and
// errors.As reaches oauth2's *RetrieveError.
func TestFromOAuth2ErrorKeepsTheBodyOut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		// RFC 6749 §5.2 error response.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = fmt.Fprintf(w, `{"error":"invalid_client","error_description":"client secret SECRET-%s is wrong"}`, strings.Repeat("x", 60<<10))
	}))
	defer srv.Close()
	cc := clientcredentials.Config{ClientID: "id", ClientSecret: "SECRET", TokenURL: srv.URL}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	src := oauth2bridge.FromOAuth2(cc.TokenSource(ctx))

	_, err := src.Token(context.Background())
	require.Error(t, err)
	assert.Equal(t, "unikyc: oauth2bridge: the oauth2 token source failed: token endpoint answered 401 (invalid_client)", err.Error())
	var te *oauth2bridge.TokenError
	require.ErrorAs(t, err, &te)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_client", re.ErrorCode)

	plain := &oauth2bridge.TokenError{Err: errors.New("dial tcp: SECRET")}
	assert.Equal(t, "unikyc: oauth2bridge: the oauth2 token source failed", plain.Error())
	odd := &oauth2bridge.TokenError{Err: &oauth2.RetrieveError{ErrorCode: "bad\x1b[31m"}}
	assert.Equal(t, "unikyc: oauth2bridge: the oauth2 token source failed", odd.Error())
}

// Rule: Source.Login is a provider Spec's Login: the pipeline caches the
// oauth2 token and sends it only to the provider's origin.
func TestFromOAuth2AsSpecLogin(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		_, _ = fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	var calls atomic.Int32
	ots := oauth2.TokenSource(tokenSourceFunc(func() (*oauth2.Token, error) {
		calls.Add(1)
		return &oauth2.Token{AccessToken: "from-oauth2", Expiry: time.Now().Add(time.Hour)}, nil
	}))
	conn, err := providers.Build(providers.Spec{Name: "example", BaseURL: srv.URL, Account: "svc",
		Login: oauth2bridge.FromOAuth2(ots).Login})
	require.NoError(t, err)
	defer conn.Close()
	for range 3 {
		req, err := conn.NewRequest(context.Background(), http.MethodGet, "/cases", nil)
		require.NoError(t, err)
		require.NoError(t, conn.Do(req, "ListCases", nil))
	}
	assert.Equal(t, "Bearer from-oauth2", got.Load())
	assert.Equal(t, int32(1), calls.Load(), "the token cache asks the oauth2 source once")
}

type tokenSourceFunc func() (*oauth2.Token, error)

func (f tokenSourceFunc) Token() (*oauth2.Token, error) { return f() }
