package storesqlite_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/store/storesqlite"
	"github.com/netra-ai/netra/store/storesqlite/sqlitetest"
	"github.com/netra-ai/netra/store/storetest"
	"github.com/netra-ai/netra/workload"
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
	s, _ := sqlitetest.Open(t)
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

// TestReadOnlyBesideAServer: a tool opens the database of a running server read-only: it reads
// what the server committed, cannot write, and leaves the server's work alone.
func TestReadOnlyBesideAServer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rw, path := sqlitetest.Open(t)
	e := &netra.AuditEntry{UserID: "ann", Seq: 1, At: time.Now().UTC(), Action: "auth", Outcome: "ok", Hash: "h"}
	if err := rw.Append(ctx, []store.Record{{Audit: e}}); err != nil {
		t.Fatal(err)
	}
	up, err := rw.BeginUpload(ctx, "ann", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := up.Add(ctx, []workload.Record{{ID: "r1", TS: time.Now().UTC(), Provider: "p", Model: "m", Route: "r", OK: true}}); err != nil {
		t.Fatal(err)
	}
	ro, err := storesqlite.OpenReadOnly(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ro.ListAudit(ctx, "ann", 0, 0); err != nil || len(got) != 1 {
		t.Fatalf("read-only ListAudit = %v, %v", got, err)
	}
	if err := ro.Append(ctx, []store.Record{{Audit: &netra.AuditEntry{UserID: "ann", Seq: 2, At: time.Now(), Hash: "x"}}}); err == nil {
		t.Fatal("a read-only store wrote")
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	// The server's unfinished upload survived the tool's open, and the server still writes.
	if err := up.Commit(ctx); err != nil {
		t.Fatalf("the server's upload: %v", err)
	}
	if sum, err := rw.RecordSummary(ctx, "ann"); err != nil || sum.Records != 1 {
		t.Fatalf("the server's staged record after the tool's open: %+v, %v", sum, err)
	}
	if err := rw.Append(ctx, []store.Record{{Audit: &netra.AuditEntry{UserID: "ann", Seq: 2, At: time.Now(), Hash: "y"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := storesqlite.OpenReadOnly(ctx, filepath.Join(t.TempDir(), "missing.db")); err == nil {
		t.Fatal("opened a database that does not exist")
	}
}

// TestOpenReadOnlyOnReadOnlyMedia: a database on read-only media (a backup mounted read-only;
// here a read-only bind mount, skipped where the test may not mount) cannot be opened as a WAL
// reader, which needs files beside it; OpenReadOnly then opens it in SQLite's immutable mode
// and reads it.
func TestOpenReadOnlyOnReadOnlyMedia(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, mnt := t.TempDir(), t.TempDir()
	s, err := storesqlite.Open(ctx, filepath.Join(src, "netra.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateThread(ctx, "alice", "kept"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // checkpoints the WAL into the file, as a backup has it
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "--bind", "-o", "ro", src, mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount read-only here: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	_ = exec.Command("mount", "-o", "remount,ro,bind", mnt).Run() // older mounts ignore ro on the first call
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o600); err == nil {
		t.Skip("the mount is not read-only")
	}
	ro, err := storesqlite.OpenReadOnly(ctx, filepath.Join(mnt, "netra.db"))
	if err != nil {
		t.Fatalf("read-only media: %v", err)
	}
	defer ro.Close()
	threads, _, err := ro.ListThreads(ctx, "alice", 10, "")
	if err != nil || len(threads) != 1 || threads[0].Title != "kept" || !ro.Immutable {
		t.Fatalf("threads %v %v, immutable %v", threads, err, ro.Immutable)
	}
}

// TestOpenSaysFullOrReadOnly: a store that cannot start on its disk says why in words: a
// read-only file system (a read-only bind mount) or a full one (a 256 KiB tmpfs, filled). Skipped
// where the test may not mount.
func TestOpenSaysFullOrReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mount := func(t *testing.T, args ...string) string {
		t.Helper()
		mnt := t.TempDir()
		if out, err := exec.Command("mount", append(args, mnt)...).CombinedOutput(); err != nil {
			t.Skipf("cannot mount here: %v %s", err, out)
		}
		t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
		return mnt
	}
	t.Run("read-only", func(t *testing.T) {
		mnt := mount(t, "--bind", "-o", "ro", t.TempDir())
		_ = exec.Command("mount", "-o", "remount,ro,bind", mnt).Run()
		_, err := storesqlite.Open(ctx, filepath.Join(mnt, "netra.db"))
		if err == nil || !strings.Contains(err.Error(), "is read-only or not writable") {
			t.Fatalf("open on a read-only file system: %v", err)
		}
	})
	t.Run("full", func(t *testing.T) {
		mnt := mount(t, "-t", "tmpfs", "-o", "size=256k", "tmpfs")
		// Leave room for the database's first pages, not for its tables.
		if err := os.WriteFile(filepath.Join(mnt, "filler"), make([]byte, 240<<10), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := storesqlite.Open(ctx, filepath.Join(mnt, "netra.db"))
		if err == nil || !strings.Contains(err.Error(), "is full") {
			t.Fatalf("open on a full disk: %v", err)
		}
	})
}

// A group commit starts no goroutine a statement. Given a context that can end, the driver
// starts one per statement to interrupt it, which cost the writer a third of its time an
// acceptance. Not parallel: the count is the process's.
func TestGroupCommitStartsNoGoroutineAStatement(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // as the pipeline's
	defer cancel()
	s, _ := sqlitetest.Open(t)
	const events = 200
	batch := make([]store.Record, events)
	for i := range batch {
		batch[i] = store.Record{Event: &netra.Event{RunID: "run_a", Seq: int64(i + 1), Owner: "ann", Type: netra.EventAgentThinking, Frame: []byte(`{}`)}}
	}
	created := func() uint64 {
		m := []metrics.Sample{{Name: "/sched/goroutines-created:goroutines"}}
		metrics.Read(m)
		return m[0].Value.Uint64()
	}
	before := created()
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n := created() - before; n > events/10 {
		t.Fatalf("committing %d events started %d goroutines", events, n)
	}
}

// Checkpoints run beside the writer: what commits reaches the database file within moments,
// without waiting for the writer's own checkpoint (16,000 pages), which runs inside a commit
// and held every event behind it for 40 ms (docs/benchmarks.md, "Streaming answers").
func TestCheckpointsRunBesideTheWriter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, path := sqlitetest.Open(t)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	frame := []byte(`{"text":"` + strings.Repeat("x", 1000) + `"}`)
	for c := range 20 { // ~2 MB in 20 commits
		batch := make([]store.Record, 100)
		for i := range batch {
			batch[i] = store.Record{Event: &netra.Event{RunID: "run_a", Seq: int64(c*100 + i + 1), Owner: "ann", Type: netra.EventMessageDelta, Frame: frame}}
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); size() < before+1<<20; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the database file holds %d bytes after 2 MB of commits (%d before): no checkpoint ran", size(), before)
		}
	}
}

// TestForeignKeysLeadAnIndex: deleting a thread cascades to its runs and messages. Without an
// index that starts with the child's key, SQLite scans the whole child table, every user's
// rows, for each thread deleted.
func TestForeignKeysLeadAnIndex(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "netra.db")
	s, err := storesqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT m.name, f."from", f."table" FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	type fk struct{ table, column, parent string }
	var fks []fk
	for rows.Next() {
		var k fk
		if err := rows.Scan(&k.table, &k.column, &k.parent); err != nil {
			t.Fatal(err)
		}
		fks = append(fks, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(fks) == 0 {
		t.Fatal("no foreign keys found: the schema query is wrong")
	}
	for _, k := range fks {
		var n int
		err := db.QueryRow(`SELECT count(*) FROM pragma_index_list(?) l, pragma_index_info(l.name) i WHERE i.seqno = 0 AND i.name = ?`, k.table, k.column).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Errorf("%s.%s references %s but leads no index: deleting a %s row scans all of %s", k.table, k.column, k.parent, k.parent, k.table)
		}
	}
}
