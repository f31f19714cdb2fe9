package all_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/genericjwt"
	"github.com/unikyc/unikyc/genericjwt/genericjwttest"
	"github.com/unikyc/unikyc/icomply"
	"github.com/unikyc/unikyc/icomply/icomplytest"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/internal/testkit/leakcheck"
	"github.com/unikyc/unikyc/kyconnect"
	"github.com/unikyc/unikyc/kyconnect/kyconnecttest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/tokencache"
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// Rule: nothing reachable from a Client prints a secret — the Client, its
// http.Client, that client's transport, the token source, the limiters, the
// stores, the hooks and the options — under any fmt verb, slog, JSON, XML,
// gob or YAML; and printing them while requests are in flight is no data
// race (run with -race). Every provider, every credential kind: password,
// API key, key and secret, TOTP.
func TestNothingReachableFromAClientPrintsASecret(t *testing.T) {
	cases := []struct {
		name string
		open func(t *testing.T, opts []providers.Option) (userAPI, []string)
	}{
		{"genericjwt password", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := genericjwttest.NewServer(genericjwttest.WithUser("ada@example.com", "pw-GJWT-SECRET-81f2"))
			t.Cleanup(s.Close)
			cfg := s.Config()
			cfg.Username, cfg.Password = "ada@example.com", "pw-GJWT-SECRET-81f2"
			c, err := genericjwt.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{"pw-GJWT-SECRET-81f2"}
		}},
		{"icomply password", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := icomplytest.NewServer()
			t.Cleanup(s.Close)
			cfg := s.Config()
			c, err := icomply.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{string(cfg.Password)}
		}},
		{"icomply API key", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := icomplytest.NewServer()
			t.Cleanup(s.Close)
			cfg := s.APIKeyConfig()
			c, err := icomply.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{string(cfg.APIKey)}
		}},
		{"idenfy key and secret", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := idenfytest.NewServer()
			t.Cleanup(s.Close)
			cfg := s.Config()
			c, err := idenfy.New(cfg, opts...)
			require.NoError(t, err)
			basic := base64.StdEncoding.EncodeToString([]byte(string(cfg.APIKey) + ":" + string(cfg.APISecret)))
			return c, []string{string(cfg.APIKey), string(cfg.APISecret), basic}
		}},
		{"compliancely password", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := compliancelytest.NewServer()
			t.Cleanup(s.Close)
			cfg := s.Config()
			c, err := compliancely.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{string(cfg.Password)}
		}},
		{"kyconnect password and TOTP", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := kyconnecttest.NewServer(kyconnecttest.WithMFA(""))
			t.Cleanup(s.Close)
			cfg := s.Config()
			cfg.MFACode, cfg.TOTPSecret = nil, s.TOTPSecret()
			c, err := kyconnect.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{string(cfg.Password), string(cfg.TOTPSecret)}
		}},
		{"kyconnect API key", func(t *testing.T, opts []providers.Option) (userAPI, []string) {
			s := kyconnecttest.NewServer()
			t.Cleanup(s.Close)
			cfg := s.APIKeyConfig()
			c, err := kyconnect.New(cfg, opts...)
			require.NoError(t, err)
			return c, []string{string(cfg.APIKey)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := []byte("0123456789abcdef-STORE-KEY-SECRT")
			fs, err := filestore.New(filestore.WithPath(filepath.Join(t.TempDir(), "tokens")), filestore.WithKey(key))
			require.NoError(t, err)
			mem := tokencache.NewMemoryStore()
			var infos []providers.ClientInfo
			var mu sync.Mutex
			trace := &providers.Trace{AttemptDone: func(context.Context, providers.AttemptResult) {}}
			opts := []providers.Option{
				providers.WithStore(mem), providers.WithTrace(trace), providers.WithTimeout(5 * time.Second),
				providers.WithSubscriber(func(ci providers.ClientInfo) (*providers.Trace, func(), error) {
					mu.Lock()
					infos = append(infos, ci)
					mu.Unlock()
					return nil, nil, nil
				}),
			}
			c, secrets := tc.open(t, opts)
			defer c.Close()
			secrets = append(secrets, string(key))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			get := func() error {
				req, err := c.NewRequest(ctx, http.MethodGet, "/unikyc-leak-probe", nil)
				if err != nil {
					return err
				}
				resp, err := c.HTTPClient().Do(req)
				if err != nil {
					return err
				}
				return resp.Body.Close()
			}
			require.NoError(t, get()) // a live connection and, for logins, a live token
			if ts := c.TokenSource(); ts != nil {
				tok, err := ts.Token(ctx)
				require.NoError(t, err)
				secrets = append(secrets, tok.AccessToken)
				if tok.RefreshToken != "" {
					secrets = append(secrets, tok.RefreshToken)
				}
			}
			values := []any{c, c.HTTPClient(), c.HTTPClient().Transport, *c.HTTPClient(), trace, opts, mem, fs}
			if ts := c.TokenSource(); ts != nil {
				values = append(values, ts)
			}
			for _, ci := range infos {
				values = append(values, ci)
				for _, l := range ci.Limiters {
					values = append(values, l)
				}
			}
			// Print while requests run: the renderings must not read what
			// the connections' goroutines write.
			done := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
						if get() != nil {
							return
						}
					}
				}
			}()
			leakcheck.NoSecrets(t, secrets, values...)
			for _, v := range values {
				for how, s := range leakcheck.Renderings(v) {
					if len(s) > 4096 {
						t.Errorf("%T through %s prints %d bytes: want a short summary", v, how, len(s))
					}
				}
			}
			close(done)
			wg.Wait()
		})
	}
}
