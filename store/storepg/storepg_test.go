package storepg_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storepg"
	"github.com/netra-ai/netra/store/storepg/pgtest"
	"github.com/netra-ai/netra/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := storepg.Open(context.Background(), pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestNodesMigrateOnce: nodes starting together on one database migrate it once, and a
// reopened store keeps its data.
func TestNodesMigrateOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := context.Background()
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			s, err := storepg.Open(ctx, url)
			if err == nil {
				_, err = s.CreateThread(ctx, "pat", "kept")
				_ = s.Close()
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err := storepg.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if threads, _, err := s.ListThreads(ctx, "pat", 10, ""); err != nil || len(threads) != 3 {
		t.Fatalf("after three nodes: %d threads, %v", len(threads), err)
	}
}

// TestChainMovedNamesTheUser: an audit entry whose seq another node took fails the commit
// with store.ErrChainMoved naming whose chain moved (for the log; the committer reads every
// head of its batch again).
func TestChainMovedNamesTheUser(t *testing.T) {
	ctx := context.Background()
	s, err := storepg.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	entry := func(seq int64) store.Record {
		return store.Record{Audit: &netra.AuditEntry{UserID: "ann.b@example.com", Seq: seq, At: time.Now(), Action: netra.AuditConnect, Outcome: netra.AuditOK, Hash: "h"}}
	}
	if err := s.Append(ctx, []store.Record{entry(1)}); err != nil {
		t.Fatal(err)
	}
	err = s.Append(ctx, []store.Record{entry(1)})
	var moved *store.ChainMoved
	if !errors.Is(err, store.ErrChainMoved) || !errors.As(err, &moved) || moved.User != "ann.b@example.com" {
		t.Fatalf("a taken seq: %v, want ErrChainMoved naming ann.b@example.com", err)
	}
}

// TestForeignKeysLeadAnIndex: deleting a thread cascades to its runs and messages. Without an
// index that starts with the child's key, PostgreSQL scans the whole child table, every user's
// rows, for each thread deleted.
func TestForeignKeysLeadAnIndex(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	ctx := context.Background()
	s, err := storepg.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `
		SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text,
		       EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1])
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var table, column, parent string
		var indexed bool
		if err := rows.Scan(&table, &column, &parent, &indexed); err != nil {
			t.Fatal(err)
		}
		n++
		if !indexed {
			t.Errorf("%s.%s references %s but leads no index: deleting a %s row scans all of %s", table, column, parent, parent, table)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no foreign keys found: the catalog query is wrong")
	}
}
