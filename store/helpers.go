package store

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/workload"
)

// The helpers every implementation shares, so that both stores page, refuse and word their
// errors alike.

// EncodeCursor makes the opaque cursor of a newest-first page that ended at the row created
// at createdAt (Unix nanoseconds) with id.
func EncodeCursor(createdAt int64, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt, 10) + "|" + id))
}

// DecodeCursor reads a cursor of EncodeCursor; anything else is invalid_request.
func DecodeCursor(c string) (int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		if at, id, ok := strings.Cut(string(b), "|"); ok {
			if n, err := strconv.ParseInt(at, 10, 64); err == nil {
				return n, id, nil
			}
		}
	}
	return 0, "", netra.Errorf(netra.CodeInvalidRequest, "invalid cursor")
}

// NotFound is the error of a missing (or another user's) thread, run or key.
func NotFound(what string) error { return netra.Errorf(netra.CodeNotFound, "%s not found", what) }

// TooManyRecords refuses an upload that would pass the owner's limit of stored records.
func TooManyRecords(limit int64) error {
	return netra.Errorf(netra.CodePayloadTooLarge, "this upload would pass your limit of %d stored records; delete old records or upload fewer", limit)
}

// TooManyKeys refuses a key beyond the owner's limit.
func TooManyKeys(n int) error {
	return netra.Errorf(netra.CodeConflict, "you have %d ingestion keys, the most your tier allows: delete one first", n)
}

// UploadEnded refuses a batch or a commit of an upload that has ended.
func UploadEnded() error { return netra.Errorf(netra.CodeConflict, "upload already ended") }

// CheckBatch refuses a batch larger than a chunk.
func CheckBatch(n int) error {
	if n > workload.ChunkSize {
		return netra.Errorf(netra.CodeInvalidRequest, "a batch holds at most %d records", workload.ChunkSize)
	}
	return nil
}
