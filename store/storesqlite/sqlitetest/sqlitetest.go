// Package sqlitetest gives tests an embedded store of their own, in a new temporary
// directory, closed when the test ends (the SQLite counterpart of storepg/pgtest).
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/netra-ai/netra/store/storesqlite"
)

// Open opens an empty store and returns it with its file's path.
func Open(t testing.TB) (*storesqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "netra.db")
	s, err := storesqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}
