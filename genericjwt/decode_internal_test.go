package genericjwt

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unikyc/unikyc/providers"
)

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		code    string
		message string
		fields  []string
		is      []error
	}{
		{name: "bad credentials", status: 400, body: `{"detail":"LOGIN_BAD_CREDENTIALS"}`,
			code: CodeBadCredentials, is: []error{providers.ErrInvalidCredentials}},
		{name: "not verified", status: 400, body: `{"detail":"LOGIN_USER_NOT_VERIFIED"}`,
			code: CodeUserNotVerified, is: []error{ErrUserNotVerified, providers.ErrInvalidCredentials}},
		{name: "code outside 400 is only a code", status: 403, body: `{"detail":"LOGIN_BAD_CREDENTIALS"}`,
			code: CodeBadCredentials},
		{name: "other code", status: 400, body: `{"detail":"REGISTER_USER_ALREADY_EXISTS"}`,
			code: "REGISTER_USER_ALREADY_EXISTS"},
		{name: "plain text goes to Message", status: 401, body: `{"detail":"Unauthorized"}`,
			message: "Unauthorized", is: []error{providers.ErrUnauthorized}},
		{name: "object", status: 400, body: `{"detail":{"code":"UPDATE_USER_INVALID_PASSWORD","reason":"Password should be at least 3 characters"}}`,
			code: "UPDATE_USER_INVALID_PASSWORD", message: "Password should be at least 3 characters"},
		{name: "object without code", status: 409, body: `{"detail":{"message":"case jane@example.com is locked"}}`,
			message: "case jane@example.com is locked"},
		{name: "object with a code that is not one", status: 409, body: `{"detail":{"code":"Jane Doe"}}`,
			message: "Jane Doe"},
		{name: "validation list", status: 422,
			body: `{"detail":[{"type":"missing","loc":["body","username"],"msg":"Field required","input":null},` +
				`{"type":"string_too_short","loc":["body","items",2,"name"],"msg":"String should have at least 1 character","input":"s3cr3t"}]}`,
			fields:  []string{"body.username", "body.items.2.name"},
			message: "Field required; String should have at least 1 character", is: []error{providers.ErrValidation}},
		{name: "odd loc parts are not copied", status: 422, body: `{"detail":[{"loc":["body",{"x":"s3cr3t"},true],"msg":"m"}]}`,
			fields: []string{"body.?.?"}, message: "m", is: []error{providers.ErrValidation}},
		{name: "Rule: a loc part equal to the submitted input is not copied", status: 422,
			body:   `{"detail":[{"type":"value_error","loc":["body","password","hunter2"],"msg":"bad","input":"hunter2"}]}`,
			fields: []string{"body.password.?"}, message: "bad", is: []error{providers.ErrValidation}},
		{name: "Rule: a loc part that is not an identifier or an index is not copied", status: 422,
			body:   `{"detail":[{"type":"x","loc":["body","s3cr3t pass!","jane@example.com",-1,"ok_name"],"msg":"m"}]}`,
			fields: []string{"body.?.?.?.ok_name"}, message: "m", is: []error{providers.ErrValidation}},
		{name: "pydantic v1 shape", status: 422,
			body:   `{"detail":[{"loc":["body","username"],"msg":"field required","type":"value_error.missing"}]}`,
			fields: []string{"body.username"}, message: "field required", is: []error{providers.ErrValidation}},
		{name: "empty list", status: 422, body: `{"detail":[]}`, is: []error{providers.ErrValidation}},
		{name: "null detail", status: 400, body: `{"detail":null}`},
		{name: "number detail", status: 400, body: `{"detail":42}`},
		{name: "no detail", status: 500, body: `{"error":"boom"}`},
		{name: "not JSON", status: 502, body: `<html>Bad Gateway</html>`},
		{name: "truncated", status: 400, body: `{"detail":"LOGIN_BAD_CRED`},
		{name: "list of wrong things", status: 422, body: `{"detail":["a",1]}`, is: []error{providers.ErrValidation}},
		// FastAPI's body for HTTPException(403), copied from a FastAPI-Users
		// app whose route requires a superuser or a verified user.
		{name: "forbidden", status: 403, body: `{"detail":"Forbidden"}`, message: "Forbidden", is: []error{ErrForbidden}},
		{name: "not found", status: 404, body: `{"detail":"Not Found"}`, message: "Not Found", is: []error{providers.ErrNotFound}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &providers.Error{Provider: Name, Operation: "op", StatusCode: tc.status, Body: []byte(tc.body)}
			require.NotPanics(t, func() { decodeError(e) })
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.message, e.Message)
			assert.Equal(t, tc.fields, e.Fields)
			for _, s := range tc.is {
				assert.ErrorIs(t, e, s)
			}
			final := slices.Contains(tc.is, providers.ErrInvalidCredentials)
			assert.Equal(t, final, errors.Is(e, providers.ErrInvalidCredentials), "only login refusals are final")
			msg := e.Error()
			assert.NotContains(t, msg, "s3cr3t")
			assert.NotContains(t, msg, "jane@example.com")
			assert.NotContains(t, msg, tc.body)
		})
	}
}

func TestIsCode(t *testing.T) {
	for s, want := range map[string]bool{
		"LOGIN_BAD_CREDENTIALS": true, "E2": true, "": false, "Unauthorized": false,
		"_X": false, "A B": false, "jane@example.com": false, "LOGIN-BAD": false,
	} {
		assert.Equal(t, want, isCode(s), s)
	}
}

func TestUserDecoding(t *testing.T) {
	for raw, id := range map[string]UserID{
		`{"id":"4fa85f64-5717-4562-b3fc-2c963f66afa6","email":"a@b.c"}`: "4fa85f64-5717-4562-b3fc-2c963f66afa6",
		`{"id":1234,"email":"a@b.c","tenant":"eu"}`:                     "1234",
		`{"id":null,"email":"a@b.c"}`:                                   "",
	} {
		var u User
		require.NoError(t, json.Unmarshal([]byte(raw), &u), raw)
		assert.Equal(t, id, u.ID)
		assert.Equal(t, "a@b.c", u.Email)
		assert.JSONEq(t, raw, string(u.Raw))
	}
	var u User
	assert.Error(t, json.Unmarshal([]byte(`{"id":true}`), &u))
	assert.Error(t, json.Unmarshal([]byte(`[]`), &u))
}

func TestForbiddenOnMeIsUnverified(t *testing.T) {
	e := &providers.Error{Provider: Name, Operation: opMe, StatusCode: 403, Body: []byte(`{"detail":"Forbidden"}`)}
	decodeError(e)
	assert.ErrorIs(t, e, ErrUserNotVerified)
	assert.ErrorIs(t, e, ErrForbidden)
	assert.NotErrorIs(t, e, providers.ErrInvalidCredentials)
	other := &providers.Error{Provider: Name, Operation: "cases", StatusCode: 403, Body: []byte(`{"detail":"Forbidden"}`)}
	decodeError(other)
	assert.ErrorIs(t, other, ErrForbidden)
	assert.NotErrorIs(t, other, ErrUserNotVerified, "elsewhere a 403 may mean superuser only")
}

func TestErrUserNotVerified(t *testing.T) {
	assert.ErrorIs(t, ErrUserNotVerified, providers.ErrInvalidCredentials)
	assert.Equal(t, "unikyc: genericjwt: user not verified", ErrUserNotVerified.Error())
}
