// Command unikyc is a small tool for operators of services built on unikyc:
// it checks provider credentials, shows what a token says, issues an iDenfy
// KYB token and verifies a webhook signature, with the same code paths the
// library uses.
//
// Usage:
//
//	unikyc check <provider> [--cache FILE]
//	                                   are these credentials good; when does the token expire
//	unikyc token <provider> [--cache FILE]
//	                                   the token's expiry and (unverified) claims; the token only with --show-secret
//	unikyc env [provider]              the UNIKYC_<PROVIDER>_* variables and which are set (never their values)
//	unikyc idenfy kyb-token --client-id ID [flags]
//	                                   create an iDenfy KYB form token; every field a flag, validated first
//	unikyc webhook verify --provider idenfy --signature SIG [--key KEY] < body
//	                                   check a webhook body's signature
//
// Providers are configured only from the environment, as providers.FromEnv
// reads it: UNIKYC_<PROVIDER>_BASE_URL, _USERNAME, _PASSWORD, _API_KEY,
// _API_SECRET, _EMAIL, _TOTP_SECRET, … (unikyc env lists them). Secrets are
// never taken as command-line arguments, which other users of the machine
// can read; the webhook key may be, but UNIKYC_IDENFY_WEBHOOK_KEY is better.
//
// With --cache FILE (or UNIKYC_TOKEN_STORE) check and token keep the token
// in that file, encrypted with UNIKYC_TOKEN_KEY (64 hex digits), so runs
// after the first reuse it instead of logging in (tokencache/filestore).
//
// Every command takes --help (printed once, to stdout); unikyc --version
// prints the version. Exit codes:
//
//	0  success (credentials accepted, signature valid, token created)
//	1  failure: the provider refused, the network failed, the signature is wrong
//	2  usage: bad command or flag, unknown provider, a missing or malformed
//	   UNIKYC_* variable, a KYB field that breaks iDenfy's rules (nothing is sent)
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
	"strings"
	"time"

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
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
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
	fmt.Fprintf(stderr, "unikyc: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "unikyc: check KYC/KYB provider credentials and tokens, issue iDenfy KYB tokens, verify webhooks.")
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
			return nil, true, usageError(e, fs, "%s", flagProblem(err))
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
// the command line ("--timeout"), not as flag spells it ("-timeout").
func flagProblem(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		return "unknown flag --" + strings.TrimLeft(rest, "-")
	}
	if i := strings.Index(msg, " for flag -"); i >= 0 {
		return strings.Replace(msg, " for flag -", " for flag --", 1)
	}
	return strings.Replace(msg, "flag needs an argument: -", "flag needs an argument: --", 1)
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
	fmt.Fprintf(e.stderr, "unikyc %s: %s\n", what, strings.TrimPrefix(err.Error(), "unikyc: "))
	if isUsage(err) {
		return exitUsage
	}
	return exitFailure
}

func isUsage(err error) bool {
	var (
		up *providers.UnknownProviderError
		ee *providers.EnvError
		ve *providers.ValidationError
	)
	return errors.As(err, &up) || errors.As(err, &ee) || errors.As(err, &ve) ||
		errors.Is(err, filestore.ErrNoKey) || errors.Is(err, filestore.ErrBadKey) || errors.Is(err, filestore.ErrNoPath)
}

// timeoutFlag adds --timeout to fs.
func timeoutFlag(fs *flag.FlagSet) *time.Duration {
	return fs.Duration("timeout", 30*time.Second, "give up after this long (throttled providers may need a while)")
}

// open builds the provider's client from the environment, with the token
// file of --cache when one is given.
func open(e *env, provider, cache string) (providers.Client, error) {
	opts := clientOptions
	if cache != "" {
		store, err := filestore.New(filestore.WithPath(cache), filestore.WithGetenv(e.getenv),
			filestore.WithLogger(slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
		if err != nil {
			return nil, err
		}
		opts = append(slices.Clip(opts), providers.WithStore(store))
	}
	return providers.FromEnvFunc(provider, e.getenv, opts...)
}

// cacheFlag adds --cache to fs.
func cacheFlag(e *env, fs *flag.FlagSet) *string {
	return fs.String("cache", e.getenv(filestore.EnvPath),
		"keep the token in this file (encrypted with $"+filestore.EnvKey+") so that later runs reuse it (default $"+filestore.EnvPath+")")
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
