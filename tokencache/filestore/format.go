package filestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// MaxFileSize is the largest token file a Store reads (1 MiB): thousands
// of entries. A larger file is not one the store wrote, and is refused
// unread with a *FileTooLargeError.
const MaxFileSize = 1 << 20

// ErrNotRegularFile is returned when the token file, or one of its lock
// files, is a symbolic link, a FIFO, a device or a directory: the store
// opens neither without following links nor blocking, and refuses them.
var ErrNotRegularFile = errors.New("unikyc: filestore: the token file or its lock file is not a regular file (a symbolic link, FIFO, device or directory); refusing it")

// FileTooLargeError is returned for a token file larger than MaxFileSize.
// The store neither reads nor overwrites it: move it away.
type FileTooLargeError struct {
	Size int64 // the file's size in bytes
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("unikyc: filestore: the token file is %d bytes, over the 1 MiB limit (MaxFileSize): not a file this store wrote; move it away", e.Size)
}

// The file's formats. Version 2 names each entry by an HMAC of its key
// and seals it with that name as additional data. Version 1 (unikyc
// before v2 of the format) named entries by their tokencache.Key, which
// anyone can compute from a guessed account; a Store reads its own
// version-1 entries and rewrites the file as version 2.
const (
	formatV1 = 1
	formatV2 = 2
)

// fileV2 is the token file: sealed entries by name.
type fileV2 struct {
	Version int              `json:"version"`
	Entries map[string]entry `json:"entries"`
}

// entry is one sealed token. Until, in clear, is when neither its access
// nor its refresh token can be used any more (zero: unknown): the time
// after which any program, whatever its key, may drop it.
type entry struct {
	Sealed []byte    `json:"sealed"`
	Until  time.Time `json:"until,omitzero"`
}

// contents is a decoded file: version-2 entries by name, or a version-1
// file's entries by tokencache key.
type contents struct {
	entries map[string]entry
	v1      map[string][]byte
}

var errFormat = errors.New("not a unikyc token file")

// decode reads a token file of either version. Entries without a sealed
// value are left out. Its errors never quote the data.
func decode(data []byte) (*contents, error) {
	var raw struct {
		Version int               `json:"version"`
		Tokens  map[string][]byte `json:"tokens"`  // version 1
		Entries map[string]entry  `json:"entries"` // version 2
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, errFormat
	}
	c := &contents{}
	switch raw.Version {
	case formatV1:
		for k, b := range raw.Tokens {
			if len(b) > 0 {
				if c.v1 == nil {
					c.v1 = map[string][]byte{}
				}
				c.v1[k] = b
			}
		}
	case formatV2:
		for name, e := range raw.Entries {
			if len(e.Sealed) > 0 {
				if c.entries == nil {
					c.entries = map[string]entry{}
				}
				c.entries[name] = e
			}
		}
	default:
		return nil, errFormat
	}
	return c, nil
}

// encode writes entries as a version-2 file.
func encode(entries map[string]entry) ([]byte, error) {
	return json.Marshal(fileV2{Version: formatV2, Entries: entries})
}
