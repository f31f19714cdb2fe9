package kyconnecttest

import (
	"encoding/json"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/unikyc/unikyc/internal/testkit/fakekit"
	"github.com/unikyc/unikyc/providertest"
)

const (
	kindAccess  = providertest.KindAccess
	kindRefresh = providertest.KindRefresh
	throttled   = "ThrottlerException: Too Many Requests"
)

// The answers' messages. (I) for the MFA ones: KYConnect does not publish
// them; the client recognises any 400/401 message naming MFA.
const (
	msgBadCredentials = "Invalid credentials"
	msgMFARequired    = "MFA code required"
	msgBadMFA         = "Invalid MFA code"
	msgBadRefresh     = "Invalid refresh token"
	msgUnauthorized   = "Unauthorized"
)

func (s *Server) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + strings.TrimPrefix(r.URL.Path, Prefix)
		if !strings.HasPrefix(r.URL.Path, Prefix+"/") {
			route = ""
		}
		window, key := s.general, clientIP(r)
		switch route {
		case "POST /auth/login":
			window = s.logins
		case "POST /auth/forgot-password":
			window = s.forgot
		case "POST /onboarding/individual":
			window, key = s.onboarding, onboardingKey(r)
		}
		// The throttler guard runs before validation: a bad body spends
		// quota too.
		if ok, wait := window.Allow(route + " " + key); !ok {
			s.kit.Counts.Inc(providertest.CountRateLimited)
			if l := window.Limit(); !l.NoHeader {
				fakekit.SetRetryAfter(w.Header(), l.Name, wait)
			}
			s.fail(w, http.StatusTooManyRequests, throttled)
			return
		}
		switch route {
		case "POST /auth/login":
			s.login(w, r)
		case "POST /auth/refresh":
			s.refresh(w, r)
		case "GET /auth/me":
			s.me(w, r)
		case "POST /auth/forgot-password":
			s.forgotPassword(w, r)
		case "GET /health":
			fakekit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		case "GET /health/postman-collection":
			s.postmanCollection(w, r)
		case "POST /onboarding/individual":
			s.kit.Counts.Inc("onboardings")
			s.onboardIndividual(w, r)
		default:
			s.fail(w, http.StatusNotFound, "Cannot "+r.Method+" "+r.URL.Path)
		}
	})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	s.kit.Counts.Inc(providertest.CountLoginAttempts)
	s.mu.Lock()
	s.attempts = append(s.attempts, s.kit.Clock.Now())
	s.mu.Unlock()

	body, ok := s.body(w, r, map[string]rule{"email": email, "password": required, "mfa_code": optional})
	if !ok {
		return
	}
	if !strings.EqualFold(body["email"], s.set.email) || body["password"] != s.set.password {
		s.fail(w, http.StatusUnauthorized, msgBadCredentials)
		return
	}
	if s.set.mfa {
		code := body["mfa_code"]
		if code == "" {
			s.fail(w, http.StatusUnauthorized, msgMFARequired)
			return
		}
		s.kit.Counts.Inc("mfa checks")
		valid, _ := totp.ValidateCustom(code, s.set.mfaSecret, s.kit.Clock.Now(),
			totp.ValidateOpts{Period: 30, Skew: 1, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if !valid {
			s.fail(w, http.StatusUnauthorized, msgBadMFA)
			return
		}
	}
	s.kit.Counts.Inc(providertest.CountLogins)
	s.issue(w, s.kit.Clock.Now().Add(s.set.refreshLifetime))
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	body, ok := s.body(w, r, map[string]rule{"refresh_token": required})
	if !ok {
		return
	}
	old := body["refresh_token"]
	if _, err := s.kit.Tokens.Check(old, kindRefresh); err != nil {
		s.fail(w, http.StatusUnauthorized, msgBadRefresh)
		return
	}
	s.mu.Lock()
	end, live := s.sessions[old]
	delete(s.sessions, old)
	s.mu.Unlock()
	if !live { // used concurrently: the other use won the rotation
		s.fail(w, http.StatusUnauthorized, msgBadRefresh)
		return
	}
	s.kit.Tokens.Revoke(old)
	if s.set.sliding {
		end = s.kit.Clock.Now().Add(s.set.refreshLifetime)
	}
	s.kit.Counts.Inc(providertest.CountRefreshes)
	s.issue(w, end)
}

// issue answers 201 with a new access token and a refresh token that dies
// at sessionEnd.
func (s *Server) issue(w http.ResponseWriter, sessionEnd time.Time) {
	sub := strconv.FormatInt(s.user.ID, 10)
	access := s.kit.Tokens.Issue(sub, kindAccess, s.set.accessLifetime)
	refresh := s.kit.Tokens.Issue(sub, kindRefresh, max(sessionEnd.Sub(s.kit.Clock.Now()), time.Second))
	s.mu.Lock()
	s.sessions[refresh] = sessionEnd
	s.mu.Unlock()
	var ans map[string]any
	switch s.set.fields {
	case CamelCase:
		ans = map[string]any{"accessToken": access, "refreshToken": refresh}
	case TokenField:
		ans = map[string]any{"token": access, "refreshToken": refresh}
	default:
		ans = map[string]any{"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
			"expires_in": int(s.set.accessLifetime / time.Second)}
	}
	fakekit.WriteJSON(w, s.set.tokenStatus, ans)
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if key := r.Header.Get(s.set.apiKeyHeader); key != "" {
		if key != s.key {
			s.fail(w, http.StatusUnauthorized, "Invalid API key")
			return
		}
	} else if _, err := s.kit.Tokens.Bearer(r, kindAccess); err != nil {
		s.kit.Counts.Inc(providertest.CountRejected)
		fakekit.WriteJSON(w, http.StatusUnauthorized, map[string]any{"message": msgUnauthorized, "statusCode": 401})
		return
	}
	fakekit.WriteJSON(w, http.StatusOK, s.user)
}

func (s *Server) forgotPassword(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.body(w, r, map[string]rule{"email": email}); !ok {
		return
	}
	fakekit.WriteJSON(w, http.StatusCreated, map[string]string{
		"message": "If that email is registered, a reset link has been sent."})
}

// fail answers a NestJS error the server chose to send.
func (s *Server) fail(w http.ResponseWriter, status int, message any) {
	s.kit.Counts.Inc(providertest.CountRejected)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(nestBody(status, message))
}

// rule is a class-validator rule for one string property.
type rule int

const (
	optional rule = iota // @IsOptional() @IsString()
	required             // @IsString() @IsNotEmpty()
	email                // @IsEmail()
)

// body decodes a JSON body the NestJS way (ValidationPipe with whitelist and
// forbidNonWhitelisted): a body that is not JSON reads as {}, and every
// broken rule is reported at once with 400.
func (s *Server) body(w http.ResponseWriter, r *http.Request, rules map[string]rule) (map[string]string, bool) {
	raw := map[string]any{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&raw); err != nil {
			s.fail(w, http.StatusBadRequest, "Unexpected token in JSON")
			return nil, false
		}
	}
	var msgs []string
	for _, k := range sortedKeys(raw) {
		if _, ok := rules[k]; !ok {
			msgs = append(msgs, "property "+k+" should not exist")
		}
	}
	out := map[string]string{}
	for _, k := range sortedKeys(rules) {
		v, present := raw[k]
		str, isString := v.(string)
		switch rl := rules[k]; {
		case !present && rl == optional:
		case !present && rl == required:
			msgs = append(msgs, k+" should not be empty", k+" must be a string")
		case rl == email && (!isString || !looksLikeEmail(str)):
			msgs = append(msgs, k+" must be an email")
		case !isString:
			msgs = append(msgs, k+" must be a string")
		case rl == required && str == "":
			msgs = append(msgs, k+" should not be empty")
		}
		out[k] = str
	}
	if len(msgs) > 0 {
		s.fail(w, http.StatusBadRequest, msgs)
		return nil, false
	}
	return out, true
}

func looksLikeEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at:], ".") && !strings.ContainsAny(s, " \t")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
