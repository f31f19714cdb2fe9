package compliancely_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/webhook"
)

// Rule: a TIN match is submitted (POST /api/v1/submissions/) and its
// result read by id; the request is the sandbox page's "irs_code 3"
// sample, verbatim: {"name": "Zenwork", "tin": "111232312"}.
func TestSubmitTINMatchAndFetchTheResult(t *testing.T) {
	e := setup(t, nil)
	var sub *compliancely.TINMatch
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		sub, err = e.c.SubmitTINMatch(ctx, &compliancely.TINMatchRequest{Name: "Zenwork", TIN: "111232312"})
		return err
	}))
	assert.Equal(t, compliancely.TINPending, sub.Status)
	assert.Equal(t, compliancely.IRSPending, sub.IRSCode)
	assert.Equal(t, "RUNNING", sub.IRSServiceStatus)
	require.Equal(t, providers.ID("1"), sub.ID)

	require.NoError(t, e.srv.CompleteTINMatch(1, 3))
	var got *compliancely.TINMatch
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		got, err = e.c.TINMatch(ctx, sub.ID)
		return err
	}))
	assert.Equal(t, compliancely.TINDidNotMatch, got.Status)
	assert.Equal(t, compliancely.IRSCode(3), got.IRSCode)
	assert.Equal(t, "TIN and Name combination does not match IRS records.", got.IRSReason)
	assert.Equal(t, 1, e.srv.Calls(compliancely.DefaultSubmissionsPath))
	assert.Equal(t, 1, e.srv.Calls("/api/v1/submissions/1/"))

	err := e.call(func(ctx context.Context) error { _, err := e.c.TINMatch(ctx, "99"); return err })
	require.ErrorIs(t, err, providers.ErrNotFound)
}

// Rule: bad TIN match input is a ValidationError naming the field, and
// nothing is sent.
func TestTINMatchInputIsCheckedBeforeSending(t *testing.T) {
	e := setup(t, nil)
	for _, tc := range []struct {
		r     compliancely.TINMatchRequest
		field string
	}{
		{compliancely.TINMatchRequest{TIN: "11-1232312", Name: "Zenwork"}, "tin"},
		{compliancely.TINMatchRequest{TIN: "11123231", Name: "Zenwork"}, "tin"},
		{compliancely.TINMatchRequest{TIN: "111232312", Name: " "}, "name"},
		{compliancely.TINMatchRequest{TIN: "111232312", Name: strings.Repeat("a", 41)}, "name"},
		{compliancely.TINMatchRequest{TIN: "111232312", Name: "Zen@work"}, "name"},
		{compliancely.TINMatchRequest{TIN: "111232312", Name: "Zenwork", WebhookURLs: []string{"/relative"}}, "webhook_urls[0]"},
	} {
		_, err := e.c.SubmitTINMatch(context.Background(), &tc.r)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tc.r)
		assert.Equal(t, tc.field, ve.Field)
		assert.Equal(t, "compliancely", ve.Provider)
	}
	ok := compliancely.TINMatchRequest{TIN: "111232312", Name: "Smith & Sons - East"}
	assert.NoError(t, ok.Validate())
	for _, id := range []providers.ID{"", "1/../2", "abc", "-1"} {
		_, err := e.c.TINMatch(context.Background(), id)
		require.ErrorIs(t, err, providers.ErrValidation, id)
		_, err = e.c.BulkUploadStatus(context.Background(), id)
		require.ErrorIs(t, err, providers.ErrValidation, id)
	}
	assert.Zero(t, e.rt.n.Load(), "nothing sent")
}

// csvFile is a bulk file with a header and n rows.
func csvFile(n int) []byte {
	var b strings.Builder
	b.WriteString("TIN,Name\n")
	for i := range n {
		fmt.Fprintf(&b, "%09d,Vendor %d\n", i, i)
	}
	return []byte(b.String())
}

// Rule: a bulk file goes as multipart "file" (with "priority" and
// "webhook_urls"); its status is read by id.
func TestUploadTINFileAndItsStatus(t *testing.T) {
	e := setup(t, nil)
	data := csvFile(3)
	var up *compliancely.BulkUpload
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		up, err = e.c.UploadTINFile(ctx, &compliancely.BulkUploadRequest{FileName: "vendors_2026.csv", Data: data,
			Priority: 3, WebhookURL: "https://example.com/hooks/compliancely"})
		return err
	}))
	require.Equal(t, providers.ID("1"), up.ID)
	assert.Equal(t, 3, up.Priority)
	assert.Equal(t, "vendors_2026.csv", up.OriginalFileName)
	assert.Equal(t, compliancelytest.BulkPending, up.Status)
	assert.Equal(t, data, e.srv.BulkFile(1), "the file arrives as sent")

	// "Priority in the file name will take precedence."
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		up, err = e.c.UploadTINFile(ctx, &compliancely.BulkUploadRequest{FileName: "vendors-priority-2.csv", Data: data, Priority: 9})
		return err
	}))
	assert.Equal(t, 2, up.Priority)

	require.NoError(t, e.srv.CompleteBulkUpload(2))
	var st *compliancely.BulkUpload
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		st, err = e.c.BulkUploadStatus(ctx, "2")
		return err
	}))
	assert.Equal(t, compliancelytest.BulkCompleted, st.Status)
	assert.NotEmpty(t, st.ResultFileURL)
}

// Rule: at most 6 MB and 100,000 rows, priority 1–10, a plain file name:
// checked before sending, a ValidationError otherwise.
func TestBulkLimitsAreCheckedBeforeSending(t *testing.T) {
	e := setup(t, nil)
	big := make([]byte, compliancely.MaxBulkFileSize+1)
	for _, tc := range []struct {
		r     compliancely.BulkUploadRequest
		field string
	}{
		{compliancely.BulkUploadRequest{FileName: "big.xlsx", Data: big}, "file"},
		{compliancely.BulkUploadRequest{FileName: "rows.csv", Data: csvFile(compliancely.MaxBulkRows + 1)}, "file"},
		{compliancely.BulkUploadRequest{FileName: "a.csv", Data: csvFile(1), Priority: 11}, "priority"},
		{compliancely.BulkUploadRequest{FileName: "a.csv", Data: csvFile(1), Priority: -1}, "priority"},
		{compliancely.BulkUploadRequest{FileName: "a-priority-0.csv", Data: csvFile(1)}, "file"},
		{compliancely.BulkUploadRequest{FileName: "my file.csv", Data: csvFile(1)}, "file"},
		{compliancely.BulkUploadRequest{FileName: `a".csv`, Data: csvFile(1)}, "file"},
		{compliancely.BulkUploadRequest{FileName: "a.txt", Data: csvFile(1)}, "file"},
		{compliancely.BulkUploadRequest{FileName: "a.csv"}, "file"},
		{compliancely.BulkUploadRequest{FileName: "a.csv", Data: []byte("\"unterminated\n")}, "file"},
		{compliancely.BulkUploadRequest{FileName: "a.csv", Data: csvFile(1), WebhookURL: "ftp://x"}, "webhook_urls[0]"},
	} {
		_, err := e.c.UploadTINFile(context.Background(), &tc.r)
		var ve *providers.ValidationError
		require.ErrorAs(t, err, &ve, tc.r.FileName)
		assert.Equal(t, tc.field, ve.Field, tc.r.FileName)
	}
	assert.Zero(t, e.rt.n.Load(), "nothing sent")

	atLimit := compliancely.BulkUploadRequest{FileName: "rows.csv", Data: csvFile(compliancely.MaxBulkRows)}
	assert.NoError(t, atLimit.Validate(), "100,000 rows and a header")
	exact := compliancely.BulkUploadRequest{FileName: "exact.xls", Data: make([]byte, compliancely.MaxBulkFileSize), Priority: 10}
	assert.NoError(t, exact.Validate())
}

// Config.SubmissionsPath moves the TIN match route (v1 is retired: the
// path to use with v2 is to be confirmed with Compliancely).
func TestSubmissionsPathIsConfigurable(t *testing.T) {
	clkEnv := setup(t, nil)
	cfg := clkEnv.srv.Config()
	cfg.SubmissionsPath = "/api/v2/submissions" // the slash is added
	c, err := compliancely.New(cfg, providers.WithLimiter(nil))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.SubmitTINMatch(context.Background(), &compliancely.TINMatchRequest{Name: "Zenwork", TIN: "111232312"})
	require.ErrorIs(t, err, providers.ErrNotFound, "the fake routes only the documented path")
	assert.Equal(t, 1, clkEnv.srv.Calls("/api/v2/submissions/"))

	cfg.BulkUploadPath = "relative/"
	_, err = compliancely.New(cfg)
	require.ErrorIs(t, err, providers.ErrValidation)
}

// Rule: the whole flow on a fake clock — submit with a callback URL, the
// person's result comes back as a signed webhook, delivered again twice
// after non-2xx answers (a minute apart, on the fake's clock), and the
// result fetched by id matches the event.
func TestFlowSubmitWebhookResult(t *testing.T) {
	e := setup(t, nil)
	hooks, err := compliancely.NewWebhooks(compliancelytest.WebhookSecret)
	require.NoError(t, err)

	var mu sync.Mutex
	var events []*compliancely.TINMatchEvent
	var calls atomic.Int32
	recv, err := webhook.NewReceiver(hooks, func(_ context.Context, ev webhook.Event) error {
		if calls.Add(1) <= 2 {
			return errors.New("database not ready") // answered 500: Compliancely retries
		}
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev.(*compliancely.TINMatchEvent))
		return nil
	}, webhook.WithLogger(discardLogger()))
	require.NoError(t, err)
	defer recv.Close(context.Background())
	hookSrv := httptest.NewServer(recv)
	defer hookSrv.Close()

	var sub *compliancely.TINMatch
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		sub, err = e.c.SubmitTINMatch(ctx, &compliancely.TINMatchRequest{Name: "Zenwork", TIN: "111232317",
			WebhookURLs: []string{hookSrv.URL + "/hooks/compliancely"}})
		return err
	}))
	t1 := e.clk.Now()
	require.NoError(t, e.srv.CompleteTINMatch(1, compliancelytest.SandboxCode(sub.TIN))) // 7: matches EIN records

	for attempt := 1; attempt <= 3; attempt++ {
		require.Eventually(t, func() bool { return len(e.srv.Deliveries()) == attempt }, 10*time.Second, time.Millisecond)
		if attempt < 3 {
			require.True(t, e.clk.WaitForTimers(1, nil), "a retry waits on the clock")
			e.clk.Advance(compliancelytest.DefaultWebhookRetryDelay)
		}
	}
	require.True(t, e.srv.WaitDeliveries(nil))
	ds := e.srv.Deliveries()
	require.Len(t, ds, 3)
	for i, want := range []int{500, 500, 200} {
		assert.Equal(t, i+1, ds[i].Attempt)
		assert.Equal(t, want, ds[i].Status)
		assert.Equal(t, t1.Add(time.Duration(i)*compliancelytest.DefaultWebhookRetryDelay), ds[i].At)
	}
	require.Len(t, events, 1)
	assert.Equal(t, compliancely.TINMatched, events[0].Status)
	assert.Equal(t, compliancely.IRSCode(7), events[0].IRSCode)

	var got *compliancely.TINMatch
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		got, err = e.c.TINMatch(ctx, sub.ID)
		return err
	}))
	assert.Equal(t, events[0].TINMatch, *got, "the webhook and the GET carry one record")
}

// Rule: a webhook answered non-2xx every time is delivered three times in
// all, never a fourth.
func TestWebhookIsRetriedTwiceOnly(t *testing.T) {
	e := setup(t, []compliancelytest.Option{compliancelytest.WithSignatureEncoding(compliancelytest.SignBase64Prefix)})
	var hits atomic.Int32
	var sigs sync.Map
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		sigs.Store(r.Header.Get(compliancely.SignatureHeader), true)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	var te *compliancely.TaxExempt
	require.NoError(t, e.call(func(ctx context.Context) (err error) {
		te, err = e.c.CreateTaxExempt(ctx, &compliancely.TaxExemptRequest{TIN: "111232312", WebhookURLs: []string{down.URL}})
		return err
	}))
	require.NoError(t, e.srv.CompleteTaxExempt(1, "Completed"))
	for range 2 {
		require.True(t, e.clk.WaitForTimers(1, nil))
		e.clk.Advance(compliancelytest.DefaultWebhookRetryDelay)
	}
	require.True(t, e.srv.WaitDeliveries(nil))
	assert.Equal(t, int32(3), hits.Load())
	assert.Len(t, e.srv.Deliveries(), 3)
	assert.Zero(t, e.clk.Timers(), "no fourth attempt waits")

	// The body is signed the documented way (here sha256= and base64).
	hooks, err := compliancely.NewWebhooks(compliancelytest.WebhookSecret)
	require.NoError(t, err)
	d := e.srv.Deliveries()[0]
	sigs.Range(func(k, _ any) bool {
		assert.True(t, strings.HasPrefix(k.(string), "sha256="))
		require.NoError(t, hooks.Verify(http.Header{compliancely.SignatureHeader: {k.(string)}}, d.Body))
		return true
	})
	ev, err := hooks.Decode(nil, d.Body)
	require.NoError(t, err)
	assert.Equal(t, te.ID, ev.(*compliancely.TaxExemptEvent).ID)
	assert.Equal(t, "Completed", ev.(*compliancely.TaxExemptEvent).Status)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
