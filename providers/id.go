package providers

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// ID is an identifier a provider sends: a JSON string in some answers and
// a number in others (NestJS apps on TypeORM or Prisma answer "id": 1,
// others UUID strings; iComply sends one AML search ID both ways). It
// decodes from a string, a number or null (empty), keeps a number's exact
// digits, and encodes as a JSON string.
type ID string

var errIDType = errors.New("unikyc: an ID must be a JSON string or number")

// UnmarshalJSON accepts a JSON string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*id = ID(n.String())
	default:
		return errIDType
	}
	return nil
}

// String returns the ID as text.
func (id ID) String() string { return string(id) }

// Int returns the ID as a number, for IDs that are numeric.
func (id ID) Int() (int64, error) { return strconv.ParseInt(string(id), 10, 64) }
