package icomply

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/unikyc/unikyc/providers"
)

// envelope is the v2 answer, for success and failure alike. Its "code"
// and "status" are not read: the HTTP status decides (iComply answers 200
// with code 201), and problem details put a number in "status".
type envelope[T any] struct {
	Message  text            `json:"message"`
	Messsage text            `json:"messsage"` // sic: one documented 400 spells it so
	Data     T               `json:"data"`
	Errors   json.RawMessage `json:"errors"`
	// ASP.NET problem details, answered outside the v2 envelope (e.g. 415).
	Title  text `json:"title"`
	Detail text `json:"detail"`
}

func (e *envelope[T]) message() string {
	for _, m := range []text{e.Message, e.Messsage, e.Detail, e.Title} {
		if m != "" {
			return string(m)
		}
	}
	_, msg := errorDetails(e.Errors)
	return msg
}

// text is a JSON string; any other JSON value reads as "" instead of
// failing the whole answer.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
	}
	return nil
}

// errorDetails reads "errors", whatever its shape: a list of strings, a
// list of objects naming a field, or problem details' map from field to
// messages. It returns the field names and the first message.
func errorDetails(raw json.RawMessage) (fields []string, msg string) {
	if len(raw) == 0 {
		return nil, ""
	}
	var byField map[string][]string
	if json.Unmarshal(raw, &byField) == nil {
		for f, msgs := range byField {
			fields = append(fields, f)
			if msg == "" && len(msgs) > 0 {
				msg = msgs[0]
			}
		}
		sort.Strings(fields)
		return fields, msg
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil, ""
	}
	for _, item := range list {
		var s string
		var o struct{ Field, Key, Name, Message string }
		switch {
		case json.Unmarshal(item, &s) == nil:
			if msg == "" {
				msg = s
			}
		case json.Unmarshal(item, &o) == nil:
			for _, f := range []string{o.Field, o.Key, o.Name} {
				if f != "" {
					fields = append(fields, f)
					break
				}
			}
			if msg == "" {
				msg = o.Message
			}
		}
	}
	return fields, msg
}

// decoder returns the client's ErrorDecoder.
func decoder(apiKey bool) providers.ErrorDecoder {
	return func(e *providers.Error) {
		var env envelope[json.RawMessage]
		if json.Unmarshal(e.Body, &env) == nil {
			e.Message = env.message()
			e.Fields, _ = errorDetails(env.Errors)
		}
		if s := sentinel(e, apiKey); s != nil {
			e.Err = s
		}
	}
}

// sentinel is the sentinel e's status implies beyond those *providers.Error
// matches by itself (401, 404, 422, 429).
func sentinel(e *providers.Error, apiKey bool) error {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		if apiKey || e.Operation == "login" {
			return providers.ErrInvalidCredentials
		}
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return providers.ErrValidation
	}
	return nil
}

// call sends one v2 request and returns the envelope's data.
func call[T any](ctx context.Context, c *Client, method, path, op string, body any) (T, error) {
	var env envelope[T]
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return env.Data, err
	}
	if err := c.Do(req, op, &env); err != nil {
		return env.Data, err
	}
	return env.Data, nil
}
