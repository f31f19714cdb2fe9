// Command unikyc is a small tool for operators of services built on unikyc:
// it checks provider credentials, shows what a token says, issues an iDenfy
// KYB token, verifies a webhook signature, with the same code paths the
// library uses, and serves the fake providers for tests outside Go.
//
//	go install github.com/unikyc/unikyc/cmd/unikyc@latest
//
// Usage:
//
//	unikyc check <provider> [--no-cache | --cache FILE]
//	                                   are these credentials good; when does the token expire
//	unikyc token <provider> [--no-cache | --cache FILE]
//	                                   the token's expiry and (unverified) claims; the token only with --show-secret
//	unikyc env [provider]              the UNIKYC_<PROVIDER>_* variables and which are set (never their values)
//	unikyc idenfy kyb-token --client-id ID [flags]
//	                                   create an iDenfy KYB token; every field a flag, validated first
//	unikyc webhook verify --provider idenfy --signature SIG [--key KEY] < body
//	                                   check a webhook body's signature
//	unikyc routes kyconnect [--base-url URL] [--json]
//	                                   the endpoints a KYConnect deployment serves (its public Postman collection)
//	unikyc fakes [--<provider>-port N]… [--admin-port N] [--env-file FILE]
//	                                   serve the five fake providers on 127.0.0.1, print their UNIKYC_* environment
//
// Providers are configured only from the environment, as providers.FromEnv
// reads it: UNIKYC_<PROVIDER>_BASE_URL, _USERNAME, _PASSWORD, _API_KEY,
// _API_SECRET, _EMAIL, _TOTP_SECRET, … (unikyc env lists them). Secrets are
// never taken as command-line arguments, which other users of the machine
// can read; the webhook key may be, but UNIKYC_IDENFY_WEBHOOK_KEY is better.
//
// check and token keep the token between runs, so that quick runs do not
// each log in and spend the provider's budget: in --cache FILE, else
// $UNIKYC_TOKEN_STORE, else <user cache dir>/unikyc/tokens, encrypted as
// tokencache/filestore does with $UNIKYC_TOKEN_KEY, or else with a key
// made once in FILE.key (mode 0600). They say whether the token came from
// the cache; --no-cache logs in afresh. See cache.go.
//
// Every command takes --help (printed once, to stdout); unikyc --version
// prints the version. Exit codes:
//
//	0  success (credentials accepted, signature valid, token created, fakes stopped by a signal)
//	1  failure: the provider refused, the network failed, the signature is wrong, a port is taken
//	2  usage: bad command or flag, unknown provider, a missing or malformed
//	   UNIKYC_* variable or token cache key, a KYB field that breaks iDenfy's rules (nothing is sent)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unikyc/unikyc/providers"
	_ "github.com/unikyc/unikyc/providers/all" // every provider
	"github.com/unikyc/unikyc/tokencache/filestore"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// env is what one invocation reads and writes.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// ctx ends a long-running command (fakes) besides its signals; nil
	// for context.Background.
	ctx context.Context
}

func (e *env) context() context.Context {
	if e.ctx == nil {
		return context.Background()
	}
	return e.ctx
}

// clientOptions are added to every client the tool builds (tests use it to
// lift throttles).
var clientOptions []providers.Option

type command struct {
	name, args, summary string
	run                 func(e *env, args []string) int
}

var commands []command

func init() {
	commands = []command{
		{"check", "<provider>", "check the credentials in UNIKYC_<PROVIDER>_* and show when the token expires", check},
		{"token", "<provider> [--show-secret]", "show the token's expiry and unverified claims", token},
		{"env", "[provider]", "list the UNIKYC_<PROVIDER>_* variables and which are set", envCmd},
		{"idenfy", "kyb-token --client-id ID [flags]", "create an iDenfy KYB form token", idenfyCmd},
		{"webhook", "verify --provider idenfy --signature SIG [--key KEY] < body", "verify a webhook's signature", webhook},
		{"routes", "kyconnect [--base-url URL] [--json]", "list the endpoints a KYConnect deployment serves (no credential needed)", routesCmd},
		{"fakes", "[--<provider>-port N]… [--admin-port N] [--env-file FILE]", "serve the five fake providers on 127.0.0.1 for tests outside Go", fakesCmd},
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return (&env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}).run(args)
}

func (e *env) run(args []string) int {
	stdout, stderr := e.stdout, e.stderr
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version", "version":
		fmt.Fprintf(stdout, "unikyc %s\n", providers.Version)
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(e, args[1:])
		}
	}
	fmt.Fprintf(stderr, "unikyc: unknown command %s\n\n", echo(args[0]))
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "unikyc: check KYC/KYB provider credentials and tokens, issue iDenfy KYB tokens, verify webhooks, list KYConnect routes.")
	fmt.Fprintln(w, "\nUsage:")
	for _, c := range commands {
		fmt.Fprintf(w, "  unikyc %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintf(w, "\nProviders: %s. Each is configured from UNIKYC_<PROVIDER>_* variables (unikyc env).\n",
		strings.Join(providers.Drivers(), ", "))
	fmt.Fprintln(w, "Every command takes --help; unikyc --version prints the version.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 failure (provider refused, network), 2 usage or configuration.")
}

// newFlags returns a flag set for a command whose usage prints synopsis,
// summary and the flags.
func newFlags(e *env, name, synopsis, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet("unikyc "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: unikyc %s %s\n\n%s\n", name, synopsis, summary)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parse parses args with flags and positional arguments in any order and
// returns the positional ones. done is set with the exit code when the
// command must stop: --help (0, usage once, on stdout) or a bad flag (2,
// one line naming the command and the flag, on stderr).
func parse(e *env, fs *flag.FlagSet, args []string) (pos []string, done bool, code int) {
	usage := fs.Usage
	fs.Usage = func() {} // flag would print it to stderr on its own, before we do
	defer func() { fs.Usage = usage }()
	fs.SetOutput(io.Discard)
	defer fs.SetOutput(e.stderr)
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(e.stdout)
				usage()
				return nil, true, exitOK
			}
			return nil, true, usageError(e, fs, "%s", flagProblem(fs, err))
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, false, 0
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), false, 0
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// flagProblem rewords flag's error to name the flag as it is written on
// the command line ("--timeout"), not as flag spells it ("-timeout"), and
// echoes a bad value capped and escaped, or not at all for a secret flag.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag " + clip("--"+strings.TrimLeft(rest, "-"))
	}
	if rest, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return "flag needs an argument: --" + rest
	}
	for _, prefix := range []string{"invalid value ", "invalid boolean value "} {
		rest, ok := strings.CutPrefix(msg, prefix)
		if !ok {
			continue
		}
		quoted, err := strconv.QuotedPrefix(rest)
		if err != nil {
			break
		}
		value, _ := strconv.Unquote(quoted)
		rest = strings.TrimPrefix(strings.TrimPrefix(rest[len(quoted):], " for flag -"), " for -")
		name, reason, _ := strings.Cut(rest, ": ")
		if f := fs.Lookup(name); f != nil && secretFlags[f.Name] {
			return "invalid value for flag --" + name // never the value
		}
		return fmt.Sprintf("invalid value %s for flag --%s: %s", echo(value), name, reason)
	}
	if rest, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return "bad flag syntax: " + echo(rest)
	}
	return "bad flags" // flag's own wording is not known here: do not risk echoing a value
}

// secretFlags are the flags whose values are secrets: they never appear
// in an error.
var secretFlags = map[string]bool{"key": true}

// maxEcho caps a value the tool repeats in an error.
const maxEcho = 64

// echo quotes s for an error message: control and non-printable characters
// escaped (nothing reaches the terminal as a sequence), at most maxEcho
// characters, the value of a --flag=value cut off (it may be a secret).
func echo(s string) string {
	if strings.HasPrefix(s, "-") {
		if name, _, ok := strings.Cut(s, "="); ok {
			s = name + "=…"
		}
	}
	r := []rune(s)
	if len(r) > maxEcho {
		return strconv.Quote(string(r[:maxEcho])) + "…"
	}
	return strconv.Quote(s)
}

// clip is printable(s) cut at maxEcho runes, for a name the tool repeats.
func clip(s string) string {
	if r := []rune(s); len(r) > maxEcho {
		return printable(string(r[:maxEcho])) + "…"
	}
	return printable(s)
}

// usageError prints a usage problem and returns exitUsage.
func usageError(e *env, fs *flag.FlagSet, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "%s: %s\n", fs.Name(), fmt.Sprintf(format, args...))
	fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", fs.Name())
	return exitUsage
}

// fail prints a failure and returns exitFailure, or exitUsage for errors
// that are the caller's to fix (unknown provider, bad variable or field).
func fail(e *env, what string, err error) int {
	fmt.Fprintf(e.stderr, "unikyc %s: %s\n", what, operatorMessage(err))
	if isUsage(err) {
		return exitUsage
	}
	return exitFailure
}

// operatorMessage words err for someone running the tool, not for someone
// writing Go: the library's advice about imports and options is replaced,
// and the one "unikyc:" prefix is the tool's.
func operatorMessage(err error) string {
	var up *providers.UnknownProviderError
	switch {
	case errors.As(err, &up):
		return fmt.Sprintf("unknown provider %s: the providers are %s", echo(up.Name), strings.Join(providers.Drivers(), ", "))
	case errors.Is(err, filestore.ErrBadKey):
		return errBadEnvKey.Error()
	}
	// One prefix, the tool's: a library error that wraps another may carry
	// its own inside.
	return strings.ReplaceAll(strings.TrimPrefix(err.Error(), "unikyc: "), ": unikyc: ", ": ")
}

func isUsage(err error) bool {
	var (
		up *providers.UnknownProviderError
		ee *providers.EnvError
		ve *providers.ValidationError
		ce *configError
	)
	return errors.As(err, &up) || errors.As(err, &ee) || errors.As(err, &ve) || errors.As(err, &ce) ||
		errors.Is(err, filestore.ErrNoKey) || errors.Is(err, filestore.ErrBadKey) || errors.Is(err, filestore.ErrNoPath)
}

// timeoutFlag adds --timeout to fs: a positive duration, checked by parse.
func timeoutFlag(fs *flag.FlagSet) *time.Duration {
	d := new(time.Duration)
	*d = 30 * time.Second
	fs.Var((*positiveDuration)(d), "timeout", "give up after this long (throttled providers may need a while)")
	return d
}

// positiveDuration is a duration flag that refuses 0 and negative values,
// so that a bad --timeout is a usage error (exit 2) like any other bad flag.
type positiveDuration time.Duration

func (d *positiveDuration) String() string { return time.Duration(*d).String() }
func (d *positiveDuration) Set(s string) error {
	v, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New("want a duration such as 30s or 2m")
	case v <= 0:
		return errors.New("must be more than 0")
	}
	*d = positiveDuration(v)
	return nil
}

// open builds the provider's client from the environment. A client that
// logs in (it has a token source) is built again with the token file that
// cf selects, unless caching is off; the spec says where its token is kept.
func open(e *env, provider string, cf *cacheFlags) (providers.Client, cacheSpec, error) {
	c, err := providers.FromEnvFunc(provider, e.getenv, clientOptions...)
	if err != nil || cf == nil {
		return c, cacheSpec{}, err
	}
	if th, ok := c.(tokenHolder); !ok || th.TokenSource() == nil {
		return c, cacheSpec{}, nil // static credentials: nothing to keep
	}
	spec, err := resolveCache(e, *cf)
	if err != nil || spec.file == "" {
		if err != nil {
			c.Close()
			c = nil
		}
		return c, spec, err
	}
	c.Close()
	store, err := filestore.New(filestore.WithPath(spec.file), filestore.WithKey(spec.key),
		filestore.WithLogger(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	if err != nil {
		return nil, spec, err
	}
	opts := append(slices.Clip(clientOptions), providers.WithStore(store))
	c, err = providers.FromEnvFunc(provider, e.getenv, opts...)
	return c, spec, err
}

// throttleNotice is how long a call may run before the tool says that it
// is waiting; tests shorten it.
var throttleNotice = 2 * time.Second

// waitNotice prints, once, that what happens next is a wait and not a
// hang, when call has not returned after throttleNotice.
func waitNotice(e *env, what, provider string, call func() error) error {
	done := make(chan struct{})
	defer close(done)
	errc := make(chan error, 1)
	go func() { errc <- call() }()
	t := time.NewTimer(throttleNotice)
	defer t.Stop()
	select {
	case err := <-errc:
		return err
	case <-t.C:
		fmt.Fprintf(e.stderr, "unikyc %s %s: waiting: the provider's rate limit (or a 429 cool-down) holds the call; --timeout bounds the wait\n", what, provider)
	}
	return <-errc
}

func withTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// maxShown caps one value the tool prints from a token or a server's
// answer.
const maxShown = 1024

// printable returns s for a terminal: control characters (escape
// sequences, carriage returns, bidirectional overrides) and other runes
// that do not print are written as Go escapes (\x1b, \u202e), so that a
// value chosen by a server or a token's issuer cannot move the cursor,
// rewrite a line or change the terminal's state. Over maxShown runes it
// is cut with "…".
func printable(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxShown {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case strconv.IsPrint(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
	}
	return b.String()
}
