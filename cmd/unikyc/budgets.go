package main

import (
	"fmt"
	"time"

	"github.com/unikyc/unikyc/providers"
)

// budgeter is implemented by every provider's Client.
type budgeter interface {
	Budgets() []providers.BudgetState
}

// printBudgets shows the live state of each budget the client enforces,
// as this run left it: what remains in the window, when the next slot
// frees, and the end of a pause a 429 started.
func printBudgets(e *env, c any) {
	b, ok := c.(budgeter)
	if !ok {
		return
	}
	now := time.Now()
	for _, s := range b.Budgets() {
		line := fmt.Sprintf("budget %s: %d per %s", s.Name, s.Limit, s.Window)
		if s.Live {
			line += fmt.Sprintf(", %d left", s.Remaining)
			if s.Queued > 0 {
				line += fmt.Sprintf(", %d queued", s.Queued)
			}
			if d := s.NextFree.Sub(now); d >= time.Second {
				line += ", next slot in " + d.Round(time.Second).String()
			} else {
				line += ", next slot now"
			}
		}
		if !s.PausedUntil.IsZero() {
			line += ", paused until " + when(s.PausedUntil, now)
		}
		fmt.Fprintln(e.stdout, line)
	}
}
