// Command kyc-flow is a whole verification through unikyc: an HTTP service
// that starts an iDenfy session for a user, receives iDenfy's result webhook
// through webhook.Receiver, fetches the full result and stores the outcome.
// Copy it as the skeleton of your own service.
//
//	POST /verifications        {"userId": "…"} → {"scanRef", "redirectUrl"}: send the user there
//	POST /webhooks/idenfy      iDenfy's webhooks (signed; verified before anything is read)
//	GET  /verifications/{ref}  the stored outcome
//
// With IDENFY_API_KEY, IDENFY_API_SECRET, IDENFY_WEBHOOK_KEY and PUBLIC_URL
// set it serves on ADDR (default :8080) against iDenfy. Without them it runs
// one verification against the fake (package idenfytest) and prints the
// outcome:
//
//	go run ./examples/kyc-flow
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/unikyc/unikyc/auth"
	"github.com/unikyc/unikyc/idenfy"
	"github.com/unikyc/unikyc/idenfy/idenfytest"
	"github.com/unikyc/unikyc/webhook"
)

// Outcome is what the service stores about one verification. A real
// service keeps it in its database.
type Outcome struct {
	ScanRef  string                    `json:"scanRef"`
	ClientID string                    `json:"clientId"`
	Status   idenfy.VerificationStatus `json:"status"` // REVIEWING until the final result
	Final    bool                      `json:"final"`
	Event    string                    `json:"event"` // the webhook that set it
}

// Store keeps outcomes by scanRef.
type Store struct {
	mu sync.Mutex
	m  map[string]Outcome
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{m: map[string]Outcome{}} }

// Put stores o, unless a final outcome is already there: a late automatic
// result must not overwrite the reviewer's.
func (s *Store) Put(o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[o.ScanRef]; ok && old.Final && !o.Final {
		return
	}
	s.m[o.ScanRef] = o
}

// Get returns the outcome of scanRef.
func (s *Store) Get(scanRef string) (Outcome, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.m[scanRef]
	return o, ok
}

// Service is the HTTP service.
type Service struct {
	client     *idenfy.Client
	receiver   *webhook.Receiver
	store      *Store
	webhookURL string
	mux        *http.ServeMux
}

// NewService wires the iDenfy client, the webhook receiver (verifying with
// keys) and the store. publicURL is where iDenfy reaches this service.
func NewService(client *idenfy.Client, keys []auth.Secret, store *Store, publicURL string, opts ...webhook.Option) (*Service, error) {
	hooks, err := idenfy.Webhooks(keys...)
	if err != nil {
		return nil, err
	}
	s := &Service{client: client, store: store, webhookURL: publicURL + "/webhooks/idenfy", mux: http.NewServeMux()}
	if s.receiver, err = webhook.NewReceiver(hooks, s.onEvent, opts...); err != nil {
		return nil, err
	}
	s.mux.HandleFunc("POST /verifications", s.start)
	s.mux.Handle("POST /webhooks/idenfy", s.receiver)
	s.mux.HandleFunc("GET /verifications/{scanRef}", s.outcome)
	return s, nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Close waits for running webhook handlers.
func (s *Service) Close(ctx context.Context) error { return s.receiver.Close(ctx) }

// start creates the session; iDenfy will post its results to webhookURL.
func (s *Service) start(w http.ResponseWriter, r *http.Request) {
	var in struct {
		UserID string `json:"userId"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&in); err != nil || in.UserID == "" {
		http.Error(w, "want {\"userId\": …}", http.StatusBadRequest)
		return
	}
	// A deadline of our own: the request's context ends only when the
	// user gives up, and a throttled call would wait that long.
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	tok, err := s.client.CreateVerificationToken(ctx, idenfy.CreateVerificationTokenParams{
		ClientID: in.UserID, CallbackURL: s.webhookURL,
	})
	if err != nil {
		if errors.Is(err, idenfy.ErrActiveSession) {
			http.Error(w, "a verification is already running for this user", http.StatusConflict)
			return
		}
		http.Error(w, "could not start the verification", http.StatusBadGateway)
		slog.ErrorContext(r.Context(), "starting a verification", "err", err) // errors of unikyc hold no secrets
		return
	}
	s.store.Put(Outcome{ScanRef: tok.ScanRef, ClientID: in.UserID, Status: idenfy.StatusActive})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"scanRef": tok.ScanRef, "redirectUrl": tok.RedirectURL})
}

// onEvent is the webhook handler. It returns an error when the event could
// not be acted on, so that the receiver answers 500 and iDenfy delivers it
// again.
func (s *Service) onEvent(ctx context.Context, ev webhook.Event) error {
	res, ok := ev.(*idenfy.KYCResultEvent)
	if !ok {
		return nil // DOCUMENT_EXPIRATION, KYB events…: not this service's business
	}
	if !res.Final {
		// An automatic result the reviewers will confirm: note it, wait.
		s.store.Put(Outcome{ScanRef: res.ScanRef, ClientID: res.ClientID, Status: idenfy.StatusReviewing, Event: ev.Type()})
		return nil
	}
	// The webhook is the result already; fetching the full result shows
	// the call for a missed webhook, and reads what iDenfy holds now.
	full, err := s.client.FullResult(ctx, res.ScanRef)
	if err != nil {
		return err // the receiver answers 500: iDenfy delivers the event again
	}
	s.store.Put(Outcome{ScanRef: full.ScanRef, ClientID: full.ClientID, Status: full.Status.Overall, Final: true, Event: ev.Type()})
	return nil
}

func (s *Service) outcome(w http.ResponseWriter, r *http.Request) {
	o, ok := s.store.Get(r.PathValue("scanRef"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(o)
}

func main() {
	if os.Getenv("IDENFY_API_KEY") == "" {
		if err := demo(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// serve runs the service against iDenfy.
func serve() error {
	client, err := idenfy.New(idenfy.Config{APIKey: auth.Secret(os.Getenv("IDENFY_API_KEY")),
		APISecret: auth.Secret(os.Getenv("IDENFY_API_SECRET")), StatusGuard: idenfy.StatusPollInterval})
	if err != nil {
		return err
	}
	defer client.Close()
	svc, err := NewService(client, []auth.Secret{auth.Secret(os.Getenv("IDENFY_WEBHOOK_KEY"))}, NewStore(), os.Getenv("PUBLIC_URL"))
	if err != nil {
		return err
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	srv := &http.Server{Addr: addr, Handler: svc, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		_ = svc.Close(shut)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// demo runs one verification against the fake: start → the person is
// approved → iDenfy's webhooks → full result → stored outcome.
func demo(out io.Writer) error {
	fake := idenfytest.NewServer()
	defer fake.Close()
	client, err := idenfy.New(fake.Config())
	if err != nil {
		return err
	}
	defer client.Close()
	store := NewStore()
	var svc *Service
	web := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { svc.ServeHTTP(w, r) }))
	defer web.Close()
	if svc, err = NewService(client, []auth.Secret{fake.WebhookKey()}, store, web.URL); err != nil {
		return err
	}
	defer func() { _ = svc.Close(context.Background()) }()

	resp, err := http.Post(web.URL+"/verifications", "application/json", strings.NewReader(`{"userId":"user-42"}`))
	if err != nil {
		return err
	}
	var started struct{ ScanRef, RedirectURL string }
	err = json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "started %s for user-42; the user verifies at the redirect URL\n", started.ScanRef[:8]+"…")
	if err := fake.Complete(started.ScanRef, idenfytest.Approved); err != nil {
		return err
	}
	o, ok := store.Get(started.ScanRef)
	if !ok || !o.Final {
		return errors.New("kyc-flow: no final outcome stored")
	}
	fmt.Fprintf(out, "outcome: %s (final %v, from %s)\n", o.Status, o.Final, o.Event)
	return nil
}
