package storesqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite"
	"github.com/netra-ai/netra/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "netra.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "netra.db")
	ctx := context.Background()
	s, err := storesqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	th, err := s.CreateThread(ctx, "pat", "kept")
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = storesqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.GetThread(ctx, "pat", th.ID); err != nil || got.Title != "kept" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}
