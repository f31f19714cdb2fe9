// Command otel shows the OpenTelemetry instruments and spans of a unikyc
// client: a Compliancely client, against its built-in fake on a fake clock,
// logs in, makes calls, is paced by its 10-a-minute budget, meets a 429 and
// its 10-minute penalty, and recovers from a revoked token (401). The
// program then prints every instrument (name, unit, attributes, values)
// read from the SDK's manual reader and every span from the SDK's in-memory
// exporter.
//
//	go run ./examples/otel
//
// It needs no network and no credentials; the SDK is the program's choice
// (the library uses the OpenTelemetry API only). In a service, pass your
// own MeterProvider and TracerProvider, for instance otel.GetMeterProvider()
// and otel.GetTracerProvider().
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/unikyc/unikyc/clock"
	"github.com/unikyc/unikyc/compliancely"
	"github.com/unikyc/unikyc/compliancely/compliancelytest"
	"github.com/unikyc/unikyc/providers"
	"github.com/unikyc/unikyc/providers/otelunikyc"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "otel:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	defer func() { _ = mp.Shutdown(ctx); _ = tp.Shutdown(ctx) }()

	clk := clock.NewFake(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	srv := compliancelytest.NewServer(compliancelytest.WithClock(clk))
	defer srv.Close()
	c, err := compliancely.New(srv.Config(), providers.WithClock(clk),
		otelunikyc.WithMeterProvider(mp), otelunikyc.WithTracerProvider(tp))
	if err != nil {
		return err
	}
	defer c.Close()

	req := &compliancely.TaxExemptRequest{TIN: "123456789", Name: "Acme & Sons"}
	call := func() error {
		clk.Drive(func() { _, err = c.CreateTaxExempt(ctx, req) }) // waits on the fake clock
		return err
	}
	for range 3 { // the login, then three checks
		if err := call(); err != nil {
			return err
		}
	}
	srv.RateLimitNext(compliancely.TaxExemptPath, 1, "") // a 429: the 10-minute penalty
	if err := call(); err != nil {
		return err
	}
	srv.RevokeAccessTokens() // a 401: the token is dropped, renewed and the call replayed
	if err := call(); err != nil {
		return err
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	fmt.Fprintln(w, "== metrics")
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			printMetric(w, m)
		}
	}
	fmt.Fprintln(w, "\n== spans")
	printSpans(w, spans.GetSpans())
	return nil
}

func printMetric(w io.Writer, m metricdata.Metrics) {
	fmt.Fprintf(w, "%s (%s)\n", m.Name, m.Unit)
	var lines []string
	switch d := m.Data.(type) {
	case metricdata.Histogram[float64]:
		for _, dp := range d.DataPoints {
			lines = append(lines, fmt.Sprintf("  {%s} count=%d sum=%g", attrs(dp.Attributes), dp.Count, dp.Sum))
		}
	case metricdata.Sum[int64]:
		for _, dp := range d.DataPoints {
			lines = append(lines, fmt.Sprintf("  {%s} %d", attrs(dp.Attributes), dp.Value))
		}
	case metricdata.Gauge[int64]:
		for _, dp := range d.DataPoints {
			lines = append(lines, fmt.Sprintf("  {%s} %d", attrs(dp.Attributes), dp.Value))
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
}

func attrs(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	return strings.Join(parts, " ")
}

// printSpans prints each trace as a tree, children under their parent,
// and each link as the name of the span it points to.
func printSpans(w io.Writer, spans tracetest.SpanStubs) {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	children := map[trace.SpanID][]tracetest.SpanStub{}
	var roots []tracetest.SpanStub
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	for _, s := range spans {
		if _, ok := byID[s.Parent.SpanID()]; ok && s.Parent.IsValid() {
			children[s.Parent.SpanID()] = append(children[s.Parent.SpanID()], s)
		} else {
			roots = append(roots, s)
		}
	}
	byStart := func(ss []tracetest.SpanStub) {
		sort.SliceStable(ss, func(i, j int) bool { return ss[i].StartTime.Before(ss[j].StartTime) })
	}
	var walk func(s tracetest.SpanStub, depth int)
	walk = func(s tracetest.SpanStub, depth int) {
		line := fmt.Sprintf("%s%s [%s]", strings.Repeat("  ", depth), s.Name, s.SpanKind)
		for _, kv := range s.Attributes {
			switch kv.Key {
			case "http.response.status_code", "unikyc.token.source", "http.request.resend_count":
				line += fmt.Sprintf(" %s=%s", kv.Key, kv.Value.String())
			}
		}
		if s.Status.Code.String() == "Error" {
			line += " status=Error(" + s.Status.Description + ")"
		}
		for _, l := range s.Links {
			if t, ok := byID[l.SpanContext.SpanID()]; ok {
				line += " link→" + t.Name
			}
		}
		for _, ev := range s.Events {
			line += " event:" + ev.Name
		}
		fmt.Fprintln(w, line)
		kids := children[s.SpanContext.SpanID()]
		byStart(kids)
		for _, k := range kids {
			walk(k, depth+1)
		}
	}
	byStart(roots)
	for _, r := range roots {
		walk(r, 0)
	}
}
