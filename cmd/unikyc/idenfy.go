package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/providers"
)

// list is a repeatable string flag.
type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

// optBool is a boolean flag that knows whether it was given.
type optBool struct{ v *bool }

func (b *optBool) String() string {
	if b == nil || b.v == nil {
		return ""
	}
	return strconv.FormatBool(*b.v)
}
func (b *optBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("must be true or false")
	}
	b.v = &v
	return nil
}
func (b *optBool) IsBoolFlag() bool { return true }

func idenfyCmd(e *env, args []string) int {
	if len(args) == 0 || args[0] != "kyb-token" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(e.stdout, "Usage: unikyc idenfy kyb-token --client-id ID [flags]\n\nRun 'unikyc idenfy kyb-token --help' for the flags.")
			return exitOK
		}
		fmt.Fprintln(e.stderr, "unikyc idenfy: want a subcommand: kyb-token")
		return exitUsage
	}
	return kybToken(e, args[1:])
}

// kybFlags maps the KYB schema's field names, as a ValidationError names
// them, to the flags that set them.
var kybFlags = map[string]string{
	"tokenType": "--token-type", "clientId": "--client-id", "lifetime": "--lifetime",
	"externalRef": "--external-ref", "locale": "--locale", "flow": "--flow", "theme": "--theme",
	"questionnaire": "--questionnaire", "tags": "--tag", "scanRefs": "--scan-ref",
}

func kybToken(e *env, args []string) int {
	fs := newFlags(e, "idenfy kyb-token", "--client-id ID [flags]",
		"Creates an iDenfy KYB form token (POST /kyb/tokens/) with the key pair in UNIKYC_IDENFY_*.\n"+
			"Every field is checked against iDenfy's rules first; a violation names the flag and sends nothing.\n"+
			"The answer, token string included, is printed: the token string opens the company's KYB session.\n"+
			"Exit 0: created; 1: refused by iDenfy or unreachable; 2: usage, configuration or a field out of rules.")
	var (
		p        idenfy.CreateKYBTokenParams
		tags     list
		scanRefs list
		qReq     optBool
	)
	tokenType := fs.String("token-type", string(idenfy.KYBTokenForm), "FORM, GOV1 or GOV2")
	fs.StringVar(&p.ClientID, "client-id", "", "your id for the company, 1-100 characters (required)")
	var lifetime lifetimeFlag
	fs.Var(&lifetime, "lifetime", "how long the token is valid: a duration (2h, 720h) or seconds (7200), up to 720h (default: iDenfy's, 1h)")
	externalRef := fs.String("external-ref", "", "your reference, up to 40 characters")
	locale := fs.String("locale", "", "session language: "+joinLocales())
	flow := fs.String("flow", "", "KYB flow UUID")
	theme := fs.String("theme", "", "KYB theme UUID")
	questionnaire := fs.String("questionnaire", "", "questionnaire key (default: the one in your KYB settings)")
	noQuestionnaire := fs.Bool("no-questionnaire", false, "send questionnaire null: no questionnaire at all")
	fs.Var(&qReq, "questionnaire-required", "whether the questionnaire must be filled (default: iDenfy's, true)")
	fs.Var(&tags, "tag", "a tag, 1-32 characters, no comma; repeat for more (at most 5)")
	fs.Var(&scanRefs, "scan-ref", "a scan reference to link, 1-40 characters, no comma; repeat for more")
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	timeout := timeoutFlag(fs)
	pos, done, code := parse(e, fs, args)
	if done {
		return code
	}
	if len(pos) > 0 {
		return usageError(e, fs, "unexpected argument %s", echo(pos[0]))
	}
	switch {
	case *noQuestionnaire && *questionnaire != "":
		return usageError(e, fs, "--questionnaire and --no-questionnaire exclude each other")
	case *noQuestionnaire:
		p.Questionnaire = idenfy.Null[string]()
	case flagSet(fs, "questionnaire"):
		p.Questionnaire = idenfy.Value(*questionnaire)
	}
	switch {
	case lifetime.d%time.Second != 0 || lifetime.d < 0:
		return usageError(e, fs, "--lifetime must be whole seconds, not negative")
	case flagSet(fs, "lifetime") && lifetime.d == 0:
		return usageError(e, fs, "--lifetime 0 would create an expired token; leave it out for iDenfy's default")
	case lifetime.d > maxLifetime:
		return usageError(e, fs, "--lifetime must be at most %s (%d days), iDenfy's limit", fmtHours(maxLifetime), maxLifetime/(24*time.Hour))
	}
	p.TokenType, p.Locale = idenfy.KYBTokenType(strings.ToUpper(*tokenType)), idenfy.Locale(*locale)
	if lifetime.d > 0 {
		p.Lifetime = idenfy.Int(int(lifetime.d / time.Second))
	}
	for _, f := range []struct {
		dst *idenfy.Nullable[string]
		v   string
	}{{&p.ExternalRef, *externalRef}, {&p.Flow, *flow}, {&p.Theme, *theme}} {
		if f.v != "" {
			*f.dst = idenfy.Value(f.v)
		}
	}
	p.QuestionnaireRequired, p.Tags = qReq.v, tags
	if scanRefs != nil {
		p.ScanRefs = idenfy.Value([]string(scanRefs))
	}
	if err := p.Validate(); err != nil {
		return usageError(e, fs, "%s", flagError(err))
	}

	c, _, err := open(e, idenfy.Name, nil)
	if err != nil {
		return fail(e, "idenfy kyb-token", err)
	}
	defer c.Close()
	ctx, cancel := withTimeout(*timeout)
	defer cancel()
	tok, err := c.(*idenfy.Client).CreateKYBToken(ctx, p)
	if err != nil {
		return fail(e, "idenfy kyb-token", err)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(tok, "", "  ")
		fmt.Fprintln(e.stdout, string(b))
		return exitOK
	}
	fmt.Fprintf(e.stdout, "token: %s\ntype: %s\nclient id: %s\nexpires: %s\nvalid: %t\n",
		printable(tok.TokenString), printable(string(tok.TokenType)), printable(tok.ClientID), tok.Expiration.UTC().Format(time.RFC3339), tok.IsValid)
	if len(tok.Tags) > 0 {
		fmt.Fprintf(e.stdout, "tags: %s\n", printable(strings.Join(tok.Tags, ", ")))
	}
	return exitOK
}

// flagError words a KYB ValidationError in terms of the flags.
func flagError(err error) string {
	var ve *providers.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	field, index, _ := strings.Cut(strings.TrimSuffix(ve.Field, "]"), "[")
	name, ok := kybFlags[field]
	if !ok {
		return err.Error()
	}
	if index != "" {
		if i, err := strconv.Atoi(index); err == nil {
			name = fmt.Sprintf("%s (#%d)", name, i+1)
		}
	}
	return name + " " + ve.Reason
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func joinLocales() string {
	s := make([]string, len(idenfy.Locales))
	for i, l := range idenfy.Locales {
		s[i] = string(l)
	}
	return strings.Join(s, " ")
}

// maxLifetime is iDenfy's longest KYB token life.
const maxLifetime = idenfy.MaxKYBLifetime * time.Second

// lifetimeFlag is --lifetime: a duration ("2h", "720h") or whole seconds
// ("7200"), as iDenfy's API counts it.
type lifetimeFlag struct{ d time.Duration }

func (l *lifetimeFlag) String() string { return l.d.String() }
func (l *lifetimeFlag) Set(s string) error {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > math.MaxInt64/int64(time.Second) {
			return errors.New("want a duration such as 2h or 720h, or seconds such as 7200")
		}
		l.d = time.Duration(n) * time.Second
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return errors.New("want a duration such as 2h or 720h, or seconds such as 7200")
	}
	l.d = d
	return nil
}

// fmtHours writes d as hours ("720h"), how operators think of token lives.
func fmtHours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}
