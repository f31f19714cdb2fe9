package providers

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// Client is what every provider client offers, whatever the provider: the
// interface Open and FromEnv return. The value behind it is the provider
// package's own *Client, so a type assertion (c.(*idenfy.Client)) reaches
// the typed calls.
type Client interface {
	// Name returns the provider's registered name, e.g. "idenfy".
	Name() string
	// HTTPClient returns the client that authenticates, retries and
	// throttles every request to the provider.
	HTTPClient() *http.Client
	// CheckAuth makes the provider's cheapest call that proves the
	// credentials work (logging in first where the provider has logins).
	// A refused credential matches ErrInvalidCredentials or ErrUnauthorized.
	CheckAuth(ctx context.Context) error
	// Close stops background token refreshes and releases connections.
	Close() error
}

// Driver opens clients of one provider, in the style of database/sql
// drivers: each provider package registers one from its init function, and
// a program picks a provider by name (Open, FromEnv). It is the
// provider-author API; most drivers are made with NewDriver.
type Driver interface {
	// Open returns a client for cfg: the provider's Config, or a pointer
	// to one. Any other type is a *ConfigTypeError.
	Open(cfg any, opts ...Option) (Client, error)
	// NewConfig returns a pointer to an empty Config for FromEnv to fill.
	NewConfig() any
	// Env lists the variables FromEnv reads, in the order they are
	// documented.
	Env() []EnvVar
}

var registry struct {
	sync.RWMutex
	drivers map[string]Driver
}

// Register makes a provider available under name (lower case letters and
// digits, e.g. "icomply"). It is the provider-author API, meant for
// provider packages' init functions. It panics when d is nil, the name is malformed or already
// registered, as database/sql does.
func Register(name string, d Driver) {
	if d == nil || reflect.ValueOf(d).Kind() == reflect.Pointer && reflect.ValueOf(d).IsNil() {
		panic("unikyc: Register driver is nil")
	}
	if !validName(name) {
		panic(fmt.Sprintf("unikyc: Register: provider name %q must be lower case letters and digits", name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.drivers[name]; dup {
		panic("unikyc: Register called twice for provider " + name)
	}
	if registry.drivers == nil {
		registry.drivers = make(map[string]Driver)
	}
	registry.drivers[name] = d
}

func validName(name string) bool {
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return name != ""
}

// Drivers returns the names of the registered providers, sorted.
func Drivers() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.drivers))
	for n := range registry.drivers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// driver finds a registered driver; name is matched case-insensitively.
func driver(name string) (string, Driver, error) {
	key := strings.ToLower(strings.TrimSpace(name))
	registry.RLock()
	d, ok := registry.drivers[key]
	registry.RUnlock()
	if !ok {
		return "", nil, &UnknownProviderError{Name: name, Registered: Drivers()}
	}
	return key, d, nil
}

// Open returns a client of the provider registered as name, configured by
// cfg, which must be that provider's Config (or a pointer to one):
//
//	import _ "github.com/unikyc/unikyc/providers/all"
//	c, err := providers.Open("idenfy", idenfy.Config{APIKey: k, APISecret: s})
//
// An unregistered name is an *UnknownProviderError, a Config of another
// type a *ConfigTypeError; a bad Config is the provider's
// *ValidationError. Nothing is sent.
func Open(name string, cfg any, opts ...Option) (Client, error) {
	key, d, err := driver(name)
	if err != nil {
		return nil, err
	}
	c, err := d.Open(cfg, opts...)
	if te, ok := err.(*ConfigTypeError); ok && te.Provider == "" {
		te.Provider = key
	}
	return c, err
}

// UnknownProviderError is returned for a provider name nobody registered.
type UnknownProviderError struct {
	Name       string   // as asked for
	Registered []string // the names that are registered
}

func (e *UnknownProviderError) Error() string {
	reg := "none"
	if len(e.Registered) > 0 {
		reg = strings.Join(e.Registered, ", ")
	}
	return fmt.Sprintf("unikyc: unknown provider %q (registered: %s; import %s to register every provider)",
		e.Name, reg, "github.com/unikyc/unikyc/providers/all")
}

// ConfigTypeError is returned by Open for a cfg that is not the provider's
// Config. It names types only, never values.
type ConfigTypeError struct {
	Provider string
	Want     string // e.g. "idenfy.Config"
	Got      string // e.g. "icomply.Config", or "nil"
}

func (e *ConfigTypeError) Error() string {
	return fmt.Sprintf("unikyc: %s: Open wants %s or *%s, got %s", e.Provider, e.Want, e.Want, e.Got)
}

// NewDriver returns the Driver of a provider whose constructor is open
// (the package's New) and whose configuration is C, with the environment
// variables vars for FromEnv. It is the provider-author API. It panics when a variable names no settable
// field of C, so a wrong table fails at init, not in production.
func NewDriver[C any, T Client](open func(C, ...Option) (T, error), vars ...EnvVar) Driver {
	ct := reflect.TypeFor[C]()
	if ct.Kind() != reflect.Struct {
		panic("unikyc: NewDriver: Config must be a struct, not " + ct.String())
	}
	vars = slices.Clone(vars)
	for i, v := range vars {
		f, ok := ct.FieldByName(v.Field)
		switch {
		case !validVarName(v.Name):
			panic(fmt.Sprintf("unikyc: NewDriver: variable name %q must be upper case letters, digits and _", v.Name))
		case !ok || !f.IsExported():
			panic(fmt.Sprintf("unikyc: NewDriver: %s has no exported field %q (variable %s)", ct, v.Field, v.Name))
		case v.Set == nil && parser(f.Type) == nil:
			panic(fmt.Sprintf("unikyc: NewDriver: field %s.%s of type %s needs EnvVar.Set", ct, v.Field, f.Type))
		}
		if f.Type == secretType {
			vars[i].Secret = true
		}
	}
	return &typedDriver[C, T]{open: open, vars: vars}
}

type typedDriver[C any, T Client] struct {
	open func(C, ...Option) (T, error)
	vars []EnvVar
}

func (d *typedDriver[C, T]) Open(cfg any, opts ...Option) (Client, error) {
	var c C
	switch v := cfg.(type) {
	case C:
		c = v
	case *C:
		if v == nil {
			return nil, d.typeError("nil *" + reflect.TypeFor[C]().String())
		}
		c = *v
	case nil:
		return nil, d.typeError("nil")
	default:
		return nil, d.typeError(reflect.TypeOf(cfg).String())
	}
	t, err := d.open(c, opts...)
	if err != nil {
		return nil, err // not t: a typed nil in an interface is not nil
	}
	return t, nil
}

func (d *typedDriver[C, T]) typeError(got string) error {
	return &ConfigTypeError{Want: reflect.TypeFor[C]().String(), Got: got}
}

func (d *typedDriver[C, T]) NewConfig() any { return new(C) }

func (d *typedDriver[C, T]) Env() []EnvVar { return slices.Clone(d.vars) }
