package providers

// Encoders that do not ask for JSON (encoding/xml, YAML, gob) would walk
// an Error's exported fields, Body and Message included. They ask for these
// instead, and get what Error() says.

// MarshalText returns Error(): encoding/xml, YAML and other encoders that
// honour encoding.TextMarshaler show no body, message or header.
func (e Error) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(), so gob carries no body, message or header. An
// Error does not decode from gob.
func (e Error) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }

// MarshalText returns Error().
func (e RateLimitError) MarshalText() ([]byte, error) { return []byte(e.Error()), nil }

// GobEncode returns Error(); a RateLimitError does not decode from gob.
func (e RateLimitError) GobEncode() ([]byte, error) { return []byte(e.Error()), nil }
