// Package oauth2bridge adapts token sources between unikyc and
// golang.org/x/oauth2, both ways, for services that already hold
// oauth2.TokenSources and oauth2.Transports. Only programs that import this
// package link golang.org/x/oauth2.
//
//   - [ToOAuth2] makes a unikyc [auth.TokenSource] (a client's
//     TokenSource(), a tokencache.Cache) an oauth2.TokenSource, for an
//     oauth2.Transport or any code written against oauth2. oauth2's Token
//     takes no context, so each call gets one bounded by [WithTimeout]
//     (default [DefaultTimeout]) under [WithContext]'s.
//   - [FromOAuth2] makes an oauth2.TokenSource a unikyc token source;
//     [Source.Login] plugs it into a provider Spec (providers.Spec.Login),
//     so the provider's requests carry its tokens through the unikyc
//     pipeline: token cache, budgets, retries.
//
// Facts this package relies on:
//
//   - oauth2.Transport calls its Source's Token for every request and does
//     not cache (confirmed: x/oauth2 transport.go); a unikyc token cache
//     answers from memory, so no oauth2.ReuseTokenSource is needed on top.
//   - oauth2.ReuseTokenSource hands out its token until 10 s before expiry
//     (confirmed: x/oauth2 token.go, defaultExpiryDelta). A unikyc token
//     cache fed by it asks again as its soft window opens and gets the same
//     token until oauth2 renews it: a few calls answered from oauth2's
//     memory, no extra token request (inferred: each soft window is at most
//     a quarter of the token's remaining life, so they shrink fast).
//   - An oauth2 *RetrieveError's Error() quotes the token endpoint's
//     response body, or its error description and URI, unbounded
//     (confirmed: x/oauth2 token.go). FromOAuth2 returns a
//     [*TokenError] with a fixed text instead, the cause kept for
//     errors.As.
//
// Refresh tokens do not cross the bridge: each side refreshes its own
// tokens, and a refresh token handed to code that prints oauth2.Token
// values would leak.
package oauth2bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"golang.org/x/oauth2"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/providers"
)

// DefaultTimeout bounds each Token call of a [ToOAuth2] source. It covers
// a login, including a short wait for a budget slot; a Token that needs
// longer (behind a provider's 10-minute penalty) fails rather than hang an
// oauth2 caller that cannot cancel.
const DefaultTimeout = 30 * time.Second

// Option configures [ToOAuth2].
type Option func(*toOAuth2)

// WithTimeout bounds each Token call (default [DefaultTimeout]; 0 or less:
// the default).
func WithTimeout(d time.Duration) Option {
	return func(t *toOAuth2) {
		if d > 0 {
			t.timeout = d
		}
	}
}

// WithContext sets the context each Token call's context derives from
// (default context.Background()): cancel it to end every call, for
// instance at shutdown.
func WithContext(ctx context.Context) Option {
	return func(t *toOAuth2) {
		if ctx != nil {
			t.ctx = ctx
		}
	}
}

// ToOAuth2 returns src as an oauth2.TokenSource. Each Token call asks src
// under a context bounded by the timeout, and returns the access token, its
// type and expiry; never the refresh token.
func ToOAuth2(src auth.TokenSource, opts ...Option) oauth2.TokenSource {
	t := &toOAuth2{src: src, ctx: context.Background(), timeout: DefaultTimeout}
	for _, o := range opts {
		o(t)
	}
	t.printsAs = printsAs{"oauth2bridge.ToOAuth2{auth.TokenSource: REDACTED, timeout: " + t.timeout.String() + "}"}
	return t
}

type toOAuth2 struct {
	printsAs
	src     auth.TokenSource
	ctx     context.Context
	timeout time.Duration
}

// Token implements oauth2.TokenSource.
func (t *toOAuth2) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout)
	defer cancel()
	tok, err := t.src.Token(ctx)
	if err != nil {
		return nil, err
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errNoToken
	}
	return &oauth2.Token{AccessToken: tok.AccessToken, TokenType: tok.Type(), Expiry: tok.Expiry}, nil
}

var errNoToken = errors.New("unikyc: oauth2bridge: the token source returned no token")

// FromOAuth2 returns src as a unikyc token source. Use [Source.Token]
// where an auth.TokenSource is wanted, and [Source.Login] as a provider
// Spec's Login.
func FromOAuth2(src oauth2.TokenSource) *Source {
	return &Source{printsAs: printsAs{"oauth2bridge.Source{oauth2.TokenSource: REDACTED}"}, src: src}
}

// Source is an oauth2.TokenSource seen as a unikyc token source. It is safe
// for concurrent use when the oauth2 source is (oauth2.ReuseTokenSource
// and the sources of oauth2.Config and clientcredentials.Config are).
// Printing or encoding it shows no token.
type Source struct {
	printsAs
	src oauth2.TokenSource
}

var _ auth.TokenSource = (*Source)(nil)

// Token asks the oauth2 source for a token. oauth2's Token takes no
// context: when ctx ends first, Token returns ctx's error at once and the
// oauth2 call finishes on its own (give the oauth2 source a context with
// a deadline, e.g. through oauth2.Config.TokenSource, to bound it). A
// failure of the oauth2 source is a [*TokenError].
func (s *Source) Token(ctx context.Context) (*auth.Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type answer struct {
		tok *oauth2.Token
		err error
	}
	var a answer
	if ctx.Done() == nil {
		a.tok, a.err = s.src.Token()
	} else {
		ch := make(chan answer, 1) // the call never blocks on a caller that left
		go func() {
			t, err := s.src.Token()
			ch <- answer{t, err}
		}()
		select {
		case a = <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if a.err != nil {
		return nil, &TokenError{Err: a.err}
	}
	if a.tok == nil || a.tok.AccessToken == "" {
		return nil, &TokenError{Err: errNoToken}
	}
	return &auth.Token{AccessToken: a.tok.AccessToken, TokenType: a.tok.Type(), Expiry: a.tok.Expiry}, nil
}

// Login is [Source.Token] in the shape of providers.Spec.Login. The oauth2
// source makes its own token calls: s, the pipeline's sender, is unused.
func (s *Source) Login(ctx context.Context, _ *providers.Sender) (*auth.Token, error) {
	return s.Token(ctx)
}

// printsAs makes the type that embeds it print, log and encode as its
// text under every fmt verb, slog, JSON, XML, YAML and gob, so that no
// token inside it shows.
type printsAs struct{ text string }

func (p printsAs) String() string               { return p.text }
func (p printsAs) GoString() string             { return p.text }
func (p printsAs) Format(f fmt.State, _ rune)   { _, _ = fmt.Fprint(f, p.text) }
func (p printsAs) LogValue() slog.Value         { return slog.StringValue(p.text) }
func (p printsAs) MarshalJSON() ([]byte, error) { return json.Marshal(p.text) }
func (p printsAs) MarshalText() ([]byte, error) { return []byte(p.text), nil }
func (p printsAs) GobEncode() ([]byte, error)   { return []byte(p.text), nil }

// TokenError is a failure of the oauth2 source behind a [Source]. Its text
// is fixed, plus the status and RFC 6749 error code when the token
// endpoint answered: an oauth2 *RetrieveError's own text quotes the
// endpoint's response body. errors.As reaches the cause.
type TokenError struct {
	Err error
}

func (e *TokenError) Error() string {
	msg := "unikyc: oauth2bridge: the oauth2 token source failed"
	var re *oauth2.RetrieveError
	if errors.As(e.Err, &re) {
		if re.Response != nil {
			msg += fmt.Sprintf(": token endpoint answered %d", re.Response.StatusCode)
		}
		if code := printableCode(re.ErrorCode); code != "" {
			msg += " (" + code + ")"
		}
	}
	return msg
}

// Unwrap returns the oauth2 source's error.
func (e *TokenError) Unwrap() error { return e.Err }

// printableCode returns an RFC 6749 error code if it has the RFC's
// alphabet (printable ASCII but " and \) and length at most 64, else "".
func printableCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return ""
		}
	}
	return s
}
