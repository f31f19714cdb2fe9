package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The admin API of unikyc fakes: JSON over HTTP on its own loopback port,
// every route under adminPrefix. The README ("Fake servers for tests
// outside Go") documents each route; keep the two in step.
//
//	GET  /_unikyc/                           the fakes' URLs and the environment
//	GET  /_unikyc/env                        the environment as one JSON object
//	GET  /_unikyc/{provider}/counts[?path=P] counters (and requests to path P)
//	POST /_unikyc/{provider}/fail-next       {"path","times","status"}
//	POST /_unikyc/{provider}/rate-limit-next {"path","times","retry_after"}
//	POST /_unikyc/{provider}/unavailable-next {"path","times","retry_after"}
//	POST /_unikyc/{provider}/delay-next      {"path","times","delay"}
//	POST /_unikyc/{provider}/clear-faults
//	POST /_unikyc/{provider}/expire-tokens
//	POST /_unikyc/{provider}/revoke-tokens
//	POST /_unikyc/{provider}/reset-counts
//	POST /_unikyc/idenfy/complete-verification {"scan_ref","outcome","auto_only","hold_review"}
//	POST /_unikyc/idenfy/finish-review       {"scan_ref"}
//	GET  /_unikyc/idenfy/deliveries          every webhook delivery attempt
//
// A knob answers 200 {"ok":true}; a bad request 4xx {"error":"…"}.
const adminPrefix = "/_unikyc"

// maxAdminBody caps a knob's JSON body.
const maxAdminBody = 64 << 10

// knobRequest is the body of the fault knobs; every field may be left out.
type knobRequest struct {
	// Path is the route the fault applies to, as the fake serves it
	// (kyconnect: relative to the API root, "/auth/login"); "" every path.
	Path string `json:"path"`
	// Times is how many requests the fault answers (default 1).
	Times int `json:"times"`
	// Status is fail-next's HTTP status, 400–599 (default 500).
	Status int `json:"status"`
	// RetryAfter is the Retry-After header of rate-limit-next and
	// unavailable-next ("" for none), e.g. "30".
	RetryAfter string `json:"retry_after"`
	// Delay is delay-next's hold, a duration such as "2s" (at most 10m).
	Delay string `json:"delay"`
}

// counts is the answer of GET /_unikyc/{provider}/counts.
type counts struct {
	Requests      int    `json:"requests"`       // every request, faults included
	Logins        int    `json:"logins"`         // successful logins
	LoginAttempts int    `json:"login_attempts"` // login requests judged, refused or not
	Refreshes     int    `json:"refreshes"`      // successful refreshes
	RateLimited   int    `json:"rate_limited"`   // 429s from the fake's own limits
	Rejected      int    `json:"rejected"`       // refused by the fake's rules (bad token, validation, …)
	Faults        int    `json:"faults"`         // answers given by injected faults
	LiveTokens    int    `json:"live_tokens"`    // access tokens neither expired nor revoked
	Path          string `json:"path,omitempty"`
	Calls         *int   `json:"calls,omitempty"` // requests to path, with ?path=
}

func (set *fakeSet) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+adminPrefix+"/{$}", set.adminIndex)
	mux.HandleFunc("GET "+adminPrefix+"/env", func(w http.ResponseWriter, _ *http.Request) {
		writeAdmin(w, http.StatusOK, envObject(set.env))
	})
	mux.HandleFunc("GET "+adminPrefix+"/{provider}/counts", set.withFake(func(w http.ResponseWriter, r *http.Request, f *fake) {
		k := f.knobs
		c := counts{Requests: k.Requests(), Logins: k.Logins(), LoginAttempts: k.LoginAttempts(), Refreshes: k.Refreshes(),
			RateLimited: k.RateLimited(), Rejected: k.Rejected(), Faults: k.Faults(), LiveTokens: k.LiveTokens()}
		if r.URL.Query().Has("path") {
			c.Path = r.URL.Query().Get("path")
			n := k.Calls(c.Path)
			c.Calls = &n
		}
		writeAdmin(w, http.StatusOK, c)
	}))
	knobs := map[string]bool{}
	knob := func(name string, apply func(f *fake, k knobRequest) error) {
		knobs[name] = true
		mux.HandleFunc("POST "+adminPrefix+"/{provider}/"+name, set.withFake(func(w http.ResponseWriter, r *http.Request, f *fake) {
			k, err := readKnob(r)
			if err == nil {
				err = apply(f, k)
			}
			if err != nil {
				adminError(w, http.StatusBadRequest, name+": "+err.Error())
				return
			}
			writeAdmin(w, http.StatusOK, map[string]bool{"ok": true})
		}))
	}
	knob("fail-next", func(f *fake, k knobRequest) error {
		if k.Status == 0 {
			k.Status = http.StatusInternalServerError
		}
		if k.Status < 400 || k.Status > 599 {
			return errors.New(`"status" must be between 400 and 599`)
		}
		f.knobs.FailNext(k.Path, k.Times, k.Status, nil)
		return nil
	})
	knob("rate-limit-next", func(f *fake, k knobRequest) error {
		f.knobs.RateLimitNext(k.Path, k.Times, k.RetryAfter)
		return nil
	})
	knob("unavailable-next", func(f *fake, k knobRequest) error {
		f.knobs.UnavailableNext(k.Path, k.Times, k.RetryAfter)
		return nil
	})
	knob("delay-next", func(f *fake, k knobRequest) error {
		d, err := time.ParseDuration(k.Delay)
		if err != nil || d <= 0 || d > 10*time.Minute {
			return errors.New(`"delay" must be a duration such as "2s", more than 0 and at most 10m`)
		}
		f.knobs.DelayNext(k.Path, k.Times, d)
		return nil
	})
	for name, act := range map[string]func(fakeKnobs){
		"clear-faults":  fakeKnobs.ClearFaults,
		"expire-tokens": fakeKnobs.ExpireTokens,
		"revoke-tokens": fakeKnobs.RevokeTokens,
		"reset-counts":  fakeKnobs.ResetCounts,
	} {
		knob(name, func(f *fake, _ knobRequest) error { act(f.knobs); return nil })
	}
	set.idenfyRoutes(mux)
	for _, name := range []string{"complete-verification", "finish-review"} {
		knobs[name] = true
	}

	// The patterns above have methods; a route asked with another method
	// gets 405 and Allow, anything else 404, both in JSON.
	mux.HandleFunc(adminPrefix+"/", func(w http.ResponseWriter, r *http.Request) {
		rest := strings.Trim(strings.TrimPrefix(r.URL.Path, adminPrefix), "/")
		_, name, _ := strings.Cut(rest, "/")
		switch {
		case rest == "" || rest == "env" || name == "counts" || name == "deliveries":
			w.Header().Set("Allow", "GET, HEAD")
		case knobs[name]:
			w.Header().Set("Allow", "POST")
		default:
			adminError(w, http.StatusNotFound, "no such admin route: see GET "+adminPrefix+"/ and the README")
			return
		}
		adminError(w, http.StatusMethodNotAllowed, "method not allowed here; allowed: "+w.Header().Get("Allow"))
	})
	return localOnly(mux)
}

// localOnly refuses what a web page could send: a request carrying an
// Origin (browsers add it to cross-site requests; curl and test clients do
// not), and one whose Host is not loopback (a DNS-rebinding page's). The
// admin API changes what the fakes answer; only local tools drive it.
func localOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if name, _, err := net.SplitHostPort(r.Host); err == nil {
			host = name
		}
		switch {
		case r.Header.Get("Origin") != "":
			adminError(w, http.StatusForbidden, "the admin API does not answer web pages (the request has an Origin)")
		case host != "127.0.0.1" && host != "localhost":
			adminError(w, http.StatusForbidden, "the admin API answers requests to 127.0.0.1 or localhost only")
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// adminIndex answers GET /_unikyc/: each fake's base URL and the
// environment.
func (set *fakeSet) adminIndex(w http.ResponseWriter, _ *http.Request) {
	type provider struct {
		URL string `json:"url"`
	}
	ps := map[string]provider{}
	for _, f := range set.fakes {
		ps[f.provider] = provider{URL: f.url}
	}
	writeAdmin(w, http.StatusOK, map[string]any{"providers": ps, "env": envObject(set.env)})
}

// withFake resolves {provider} or answers 404.
func (set *fakeSet) withFake(h func(http.ResponseWriter, *http.Request, *fake)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := set.fake(r.PathValue("provider"))
		if f == nil {
			adminError(w, http.StatusNotFound, "unknown provider "+echo(r.PathValue("provider"))+
				": the fakes are "+strings.Join(fakeProviders, ", "))
			return
		}
		h(w, r, f)
	}
}

// readJSON reads a JSON object into v, which keeps its values for the
// fields the body leaves out (an empty body leaves them all); fields
// names the fields v takes, for the error.
func readJSON(r *http.Request, v any, fields string) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAdminBody+1))
	switch {
	case err != nil:
		return errors.New("cannot read the body")
	case len(body) > maxAdminBody:
		return fmt.Errorf("body over %d bytes", maxAdminBody)
	case len(strings.TrimSpace(string(body))) == 0:
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("the body must be a JSON object with " + fields)
	}
	return nil
}

// readKnob reads a knob's JSON body (empty: every default) and checks the
// fields every knob shares.
func readKnob(r *http.Request) (knobRequest, error) {
	var k knobRequest
	if err := readJSON(r, &k, `"path", "times", "status", "retry_after" or "delay"`); err != nil {
		return k, err
	}
	if k.Times == 0 {
		k.Times = 1
	}
	switch {
	case k.Times < 0 || k.Times > 1_000_000:
		return k, errors.New(`"times" must be between 1 and 1000000`)
	case k.Path != "" && (!strings.HasPrefix(k.Path, "/") || len(k.Path) > 1024):
		return k, errors.New(`"path" must start with "/" (or be "" for every path)`)
	case len(k.RetryAfter) > 64 || strings.IndexFunc(k.RetryAfter, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return k, errors.New(`"retry_after" must be a header value of at most 64 characters, such as "30"`)
	}
	return k, nil
}

func envObject(env [][2]string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		m[kv[0]] = kv[1]
	}
	return m
}

func writeAdmin(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeAdmin(w, status, map[string]string{"error": msg})
}
