package filestore_test

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(childMain()) // a re-executed test binary: one run of the program
	}
	goleak.VerifyTestMain(m)
}
