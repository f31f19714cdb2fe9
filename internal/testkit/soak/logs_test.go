package soak_test

import (
	"bytes"
	"log/slog"
	"sync/atomic"
)

// secretWatch is a log sink that keeps nothing (a soak logs too much to
// keep) but counts the lines that hold a secret: a credential, or any JWT
// (every token the fakes issue is one, and they all start "eyJ").
type secretWatch struct {
	secrets []string
	leaks   atomic.Int64
}

func (w *secretWatch) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (w *secretWatch) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("eyJ")) {
		w.leaks.Add(1)
	}
	for _, s := range w.secrets {
		if s != "" && bytes.Contains(p, []byte(s)) {
			w.leaks.Add(1)
		}
	}
	return len(p), nil
}
