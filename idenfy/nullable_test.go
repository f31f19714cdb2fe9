package idenfy_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/idenfy"
)

func TestNullableRoundTrip(t *testing.T) {
	type doc struct {
		Q idenfy.Nullable[string] `json:"q,omitzero"`
		N idenfy.Nullable[int]    `json:"n,omitzero"`
	}
	for _, tt := range []struct {
		in   doc
		wire string
	}{
		{doc{}, `{}`},
		{doc{Q: idenfy.Null[string](), N: idenfy.Null[int]()}, `{"q":null,"n":null}`},
		{doc{Q: idenfy.Value("k"), N: idenfy.Value(0)}, `{"q":"k","n":0}`},
		{doc{Q: idenfy.Value("")}, `{"q":""}`},
	} {
		b, err := json.Marshal(tt.in)
		require.NoError(t, err)
		assert.JSONEq(t, tt.wire, string(b))
		var back doc
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, tt.in, back)
	}

	v, ok := idenfy.Value("x").Get()
	assert.True(t, ok)
	assert.Equal(t, "x", v)
	_, ok = idenfy.Null[string]().Get()
	assert.False(t, ok)
	assert.True(t, idenfy.Null[string]().IsNull())
	assert.True(t, idenfy.Nullable[string]{}.IsZero())
	assert.False(t, idenfy.Null[string]().IsZero())

	var n idenfy.Nullable[int]
	assert.Error(t, json.Unmarshal([]byte(`"not a number"`), &n))
}
