package httpbody_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/internal/httpbody"
)

func TestReadCaps(t *testing.T) {
	b, err := httpbody.Read(strings.NewReader("hello"), 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(b))

	b, err = httpbody.Read(strings.NewReader(strings.Repeat("x", 10<<20)), httpbody.AuthLimit)
	require.ErrorIs(t, err, httpbody.ErrTooLarge)
	assert.Len(t, b, httpbody.AuthLimit)
}
