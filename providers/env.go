package providers

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/clock"
)

// EnvVar is one environment variable a driver reads: UNIKYC_<PROVIDER>_<Name>,
// e.g. UNIKYC_IDENFY_API_KEY, mapped onto one field of the provider's Config.
type EnvVar struct {
	Name  string // the part after UNIKYC_<PROVIDER>_, e.g. "API_KEY"
	Field string // the Config field it sets, e.g. "APIKey"
	Usage string // one line for documentation and --help
	// Secret marks a value never to be shown; NewDriver sets it for
	// auth.Secret fields.
	Secret bool
	// Set, when not nil, sets the field from value instead of the parsing
	// the field's type implies (string, auth.Secret, bool, int,
	// time.Duration). cfg is the pointer Driver.NewConfig returned, clk the
	// client's clock (WithClock, else the system clock). Return an error
	// that describes the rule broken, never the value, preferably a
	// *ValidationError.
	Set func(cfg any, value string, clk clock.Clock) error
}

// EnvName returns the full name of a driver's variable:
// EnvName("idenfy", "API_KEY") is "UNIKYC_IDENFY_API_KEY".
func EnvName(provider, name string) string {
	return "UNIKYC_" + strings.ToUpper(provider) + "_" + name
}

// EnvVars returns the variables FromEnv reads for the provider registered
// as name.
func EnvVars(name string) ([]EnvVar, error) {
	_, d, err := driver(name)
	if err != nil {
		return nil, err
	}
	return d.Env(), nil
}

// FromEnv returns a client of the provider registered as name, configured
// from the process environment: every UNIKYC_<PROVIDER>_* variable the
// driver lists (EnvVars) sets one Config field; unset or empty variables
// leave the provider's default. A missing or malformed setting is an
// *EnvError naming the variable, never its value. Nothing is sent.
func FromEnv(name string, opts ...Option) (Client, error) {
	return FromEnvFunc(name, os.Getenv, opts...)
}

// FromEnvFunc is FromEnv reading variables with getenv, for tests and
// programs that keep their settings elsewhere.
func FromEnvFunc(name string, getenv func(string) string, opts ...Option) (Client, error) {
	key, d, err := driver(name)
	if err != nil {
		return nil, err
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	vars := d.Env()
	cfg := d.NewConfig()
	for _, v := range vars {
		val := envValue(getenv(EnvName(key, v.Name)), v.Secret)
		if val == "" {
			continue
		}
		if err := setField(cfg, v, val, clock.Or(o.clock)); err != nil {
			return nil, envError(key, v, err)
		}
	}
	c, err := d.Open(cfg, opts...)
	if err != nil {
		return nil, blame(key, vars, err)
	}
	return c, nil
}

// Configured reports whether any variable of the provider registered as
// name is set (non-empty) in getenv's environment.
func Configured(name string, getenv func(string) string) bool {
	key, d, err := driver(name)
	if err != nil {
		return false
	}
	for _, v := range d.Env() {
		if envValue(getenv(EnvName(key, v.Name)), v.Secret) != "" {
			return true
		}
	}
	return false
}

// envValue drops the line end a secret read from a file often carries, and
// the blanks around any other value.
func envValue(s string, secret bool) string {
	if secret {
		return strings.TrimRight(s, "\r\n")
	}
	return strings.TrimSpace(s)
}

// EnvError is a setting FromEnv could not use. It names the variable and
// the rule, never the value. Behind it is the *ValidationError naming the
// Config field (so it matches ErrValidation), or auth.ErrInsecureHTTP for a
// plain-http base URL.
type EnvError struct {
	Var    string // e.g. "UNIKYC_IDENFY_API_KEY"
	Reason string // e.g. "is required"
	Err    error
}

func (e *EnvError) Error() string {
	sep := ": "
	for _, p := range []string{"is ", "must ", "has ", "needs "} {
		if strings.HasPrefix(e.Reason, p) {
			sep = " "
		}
	}
	return "unikyc: " + e.Var + sep + e.Reason
}

// Unwrap returns the error behind, usually a *ValidationError.
func (e *EnvError) Unwrap() error { return e.Err }

var (
	secretType   = reflect.TypeFor[auth.Secret]()
	durationType = reflect.TypeFor[time.Duration]()
)

// parser returns how a variable is read into a field of type t, or nil.
// Each returns a reason, never the value, when the value does not parse.
func parser(t reflect.Type) func(rv reflect.Value, s string) error {
	switch {
	case t == durationType:
		return func(rv reflect.Value, s string) error {
			d, err := time.ParseDuration(s)
			if err != nil {
				return errors.New("must be a duration such as 90s or 15m")
			}
			rv.SetInt(int64(d))
			return nil
		}
	case t.Kind() == reflect.String:
		return func(rv reflect.Value, s string) error { rv.SetString(s); return nil }
	case t.Kind() == reflect.Bool:
		return func(rv reflect.Value, s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return errors.New("must be true or false")
			}
			rv.SetBool(b)
			return nil
		}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return func(rv reflect.Value, s string) error {
			n, err := strconv.ParseInt(s, 10, t.Bits())
			if err != nil {
				return errors.New("must be a whole number")
			}
			rv.SetInt(n)
			return nil
		}
	}
	return nil
}

func setField(cfg any, v EnvVar, val string, clk clock.Clock) error {
	if v.Set != nil {
		return v.Set(cfg, val, clk)
	}
	rv := reflect.ValueOf(cfg).Elem().FieldByName(v.Field)
	if err := parser(rv.Type())(rv, val); err != nil {
		return Invalid(v.Field, err.Error())
	}
	return nil
}

func envError(provider string, v EnvVar, err error) *EnvError {
	reason := err.Error()
	var ve *ValidationError
	if errors.As(err, &ve) {
		reason = ve.Reason
	} else {
		err = &ValidationError{Field: v.Field, Reason: reason}
	}
	return &EnvError{Var: EnvName(provider, v.Name), Reason: reason, Err: err}
}

// blame turns the provider's complaint about a Config field into one about
// the variable that sets it; Config field names in the reason become
// variable names too ("set APIKey or Username" names both variables).
func blame(provider string, vars []EnvVar, err error) error {
	byField := make(map[string]string, len(vars))
	for _, v := range vars {
		byField[v.Field] = EnvName(provider, v.Name)
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		name, ok := byField[ve.Field]
		if !ok {
			return err
		}
		reason := fieldWord.ReplaceAllStringFunc(ve.Reason, func(w string) string {
			if n, ok := byField[w]; ok {
				return n
			}
			return w
		})
		return &EnvError{Var: name, Reason: reason, Err: err}
	}
	if errors.Is(err, auth.ErrInsecureHTTP) {
		if name, ok := byField["BaseURL"]; ok {
			return &EnvError{Var: name, Reason: "must be an https:// URL (plain http only to a loopback host)", Err: err}
		}
	}
	return err
}

var fieldWord = regexp.MustCompile(`\b[A-Z][A-Za-z0-9]*\b`)

func validVarName(s string) bool {
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return s != ""
}
