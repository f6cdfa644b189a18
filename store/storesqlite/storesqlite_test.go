package storesqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// TestCancelledContextsDoNotInterruptOthers: cancelling a caller's context must never fail a
// query of another caller on a shared connection. Drivers that call sqlite3_interrupt on
// cancellation have had this bug (modernc v1.29); the one writer connection carries every
// user's events, so a regression here would be a cross-user failure.
func TestCancelledContextsDoNotInterruptOthers(t *testing.T) {
	t.Parallel()
	s, err := storesqlite.Open(context.Background(), filepath.Join(t.TempDir(), "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	th, err := s.CreateThread(context.Background(), "owner", "x")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for g := 0; g < 4; g++ {
		wg.Add(2)
		go func() { // callers whose contexts end right after their query
			defer wg.Done()
			for i := 0; i < 150; i++ {
				// Cancel at varying points, some while the statement runs.
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(time.Duration(i%50)*time.Microsecond, cancel)
				_, _ = s.GetThread(ctx, "owner", th.ID)
				ctx, cancel = context.WithCancel(context.Background())
				time.AfterFunc(time.Duration(i%70)*time.Microsecond, cancel)
				_, _ = s.CreateThread(ctx, "owner", "y")
				_, _ = s.ListEvents(ctx, "owner", "run_x", 0, 0)
			}
		}()
		go func() { // callers that must never see an error
			defer wg.Done()
			for i := 0; i < 150; i++ {
				if _, err := s.GetThread(context.Background(), "owner", th.ID); err != nil {
					errs <- err
				}
				if _, err := s.CreateThread(context.Background(), "owner", "z"); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
