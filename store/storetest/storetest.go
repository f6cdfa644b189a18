// Package storetest is the conformance suite every store.Store implementation passes.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/killswitch"
	"github.com/netra-ai/netra/model"
	"github.com/netra-ai/netra/store"
	"github.com/netra-ai/netra/workload"
)

// Run runs the suite. open returns an empty store; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"ThreadsAreScopedByOwner", threadsScoped},
		{"RenameThreadIsScopedByOwner", renameThread},
		{"ListThreadsPagesNewestFirst", listThreadsPages},
		{"ListUserRunsPagesNewestFirstByStatus", listUserRuns},
		{"CreateRunWritesThreadMessageAndRun", createRun},
		{"CreateRunOnForeignThreadIsNotFound", createRunForeignThread},
		{"AppendEventsAndTransitions", appendEvents},
		{"AppendAcceptsStartsAndEndsRunsInOneBatch", appendWholeRuns},
		{"EventsAreScopedByOwner", eventsScoped},
		{"DeleteThreadRemovesEverything", deleteThread},
		{"ActiveRunsForRecovery", activeRuns},
		{"RunStatesReadManyRunsByOwner", runStates},
		{"UploadsAreAllOrNothing", uploadsAllOrNothing},
		{"UploadsAreIdempotent", uploadsIdempotent},
		{"UploadLimit", uploadLimit},
		{"RecordsAreScopedAndWindowed", recordsScoped},
		{"RollupsTallyAsRecords", rollupsTally},
		{"ChunksHoldTheRecordsOfTheWindow", chunksHoldRecords},
		{"AuditIsScopedOrderedAndPrunedWithAnchors", auditTrail},
		{"AuditHeadsAndCheckpoints", auditHeadsAndCheckpoints},
		{"AuditHeadsOfEveryUser", auditHeadsOfEveryUser},
		{"ModelUsageAddsUpByMonthAndModel", modelUsageAddsUp},
		{"KillSwitchesAreKept", killSwitchesKept},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.fn(t, s)
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func ident(user string) netra.Identity {
	return netra.Identity{UserID: user, Tier: netra.TierFree, Role: netra.RoleUser}
}

func wantCode(t *testing.T, err error, code netra.Code) {
	t.Helper()
	if err == nil || netra.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
}

func newRun(t *testing.T, s store.Store, user, threadID, input string) netra.Run {
	t.Helper()
	r, err := s.CreateRun(ctx(t), store.NewRun{ID: netra.NewID("run_"), Identity: ident(user), ThreadID: threadID,
		Agent: "echo", Input: input, Params: json.RawMessage(`{"delay_ms":0}`), CreatedAt: time.Now().UTC()})
	if err != nil {
		t.Fatalf("CreateRun: %v", err)
	}
	return r
}

func frame(e *netra.Event) []byte {
	return []byte(fmt.Sprintf(`{"type":%q,"run_id":%q,"seq":%d}`, e.Type, e.RunID, e.Seq))
}

func event(r netra.Run, seq int64, typ netra.EventType) *netra.Event {
	e := &netra.Event{Owner: r.Owner, RunID: r.ID, ThreadID: r.ThreadID, Seq: seq, Type: typ, TS: time.Now().UTC()}
	e.Frame = frame(e)
	return e
}

func threadsScoped(t *testing.T, s store.Store) {
	c := ctx(t)
	th, err := s.CreateThread(c, "alice", "hello")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetThread(c, "alice", th.ID)
	if err != nil || got.ID != th.ID || got.Title != "hello" || got.Owner != "alice" {
		t.Fatalf("GetThread = %+v, %v", got, err)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at not UTC: %v", got.CreatedAt)
	}
	_, err = s.GetThread(c, "bob", th.ID)
	wantCode(t, err, netra.CodeNotFound)
	_, err = s.GetThread(c, "alice", "thr_missing")
	wantCode(t, err, netra.CodeNotFound)
	wantCode(t, s.DeleteThread(c, "bob", th.ID), netra.CodeNotFound)
	_, err = s.ListMessages(c, "bob", th.ID)
	wantCode(t, err, netra.CodeNotFound)
	_, err = s.ListRuns(c, "bob", th.ID)
	wantCode(t, err, netra.CodeNotFound)
	list, _, err := s.ListThreads(c, "bob", 10, "")
	if err != nil || len(list) != 0 {
		t.Fatalf("bob sees %d threads, err %v", len(list), err)
	}
}

// newestFirstPages pages through a listing of pages of 3 and checks that it holds exactly ids,
// newest (the last made) first.
func newestFirstPages(t *testing.T, ids []string, page func(cursor string) (ids []string, next string, err error)) {
	t.Helper()
	var seen []string
	cursor := ""
	for pages := 0; ; pages++ {
		got, next, err := page(cursor)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > 3 {
			t.Fatalf("page of %d, limit 3", len(got))
		}
		seen = append(seen, got...)
		if next == "" {
			break
		}
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		cursor = next
	}
	if len(seen) != len(ids) {
		t.Fatalf("saw %d, want %d", len(seen), len(ids))
	}
	for i := range ids {
		if seen[i] != ids[len(ids)-1-i] {
			t.Fatalf("order %v, want newest first: reverse of %v", seen, ids)
		}
	}
}

func renameThread(t *testing.T, s store.Store) {
	th, err := s.CreateThread(ctx(t), "ria", "first")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RenameThread(ctx(t), "sam", th.ID, "stolen"); netra.ErrorCode(err) != netra.CodeNotFound {
		t.Fatalf("another owner renamed it: %v", err)
	}
	got, err := s.RenameThread(ctx(t), "ria", th.ID, "second")
	if err != nil || got.Title != "second" || got.ID != th.ID {
		t.Fatalf("%+v %v", got, err)
	}
	if again, _ := s.GetThread(ctx(t), "ria", th.ID); again.Title != "second" {
		t.Fatalf("the title stored is %q", again.Title)
	}
}

func listThreadsPages(t *testing.T, s store.Store) {
	c := ctx(t)
	var ids []string
	for i := 0; i < 7; i++ {
		th, err := s.CreateThread(c, "carol", fmt.Sprint("t", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, th.ID)
	}
	if _, err := s.CreateThread(c, "dave", "other"); err != nil {
		t.Fatal(err)
	}
	newestFirstPages(t, ids, func(cursor string) ([]string, string, error) {
		page, next, err := s.ListThreads(c, "carol", 3, cursor)
		var out []string
		for i, th := range page {
			if i > 0 && th.CreatedAt.After(page[i-1].CreatedAt) {
				t.Fatalf("page not newest first: %v then %v", page[i-1].CreatedAt, th.CreatedAt)
			}
			out = append(out, th.ID)
		}
		return out, next, err
	})
	_, _, err := s.ListThreads(c, "carol", 3, "not-a-cursor!")
	wantCode(t, err, netra.CodeInvalidRequest)
}

func listUserRuns(t *testing.T, s store.Store) {
	c := ctx(t)
	var ids []string
	for i := 0; i < 7; i++ {
		ids = append(ids, newRun(t, s, "gina", "", fmt.Sprint("run ", i)).ID)
	}
	other := newRun(t, s, "hank", "", "not gina's")
	// One of gina's runs is running.
	running, err := s.GetRun(c, "gina", ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Append(c, []store.Record{{Event: event(running, 1, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: time.Now().UTC()}}}); err != nil {
		t.Fatal(err)
	}
	newestFirstPages(t, ids, func(cursor string) ([]string, string, error) {
		page, next, err := s.ListUserRuns(c, "gina", "", 3, cursor)
		var out []string
		for _, r := range page {
			if r.Owner != "gina" || r.ID == other.ID {
				t.Fatalf("another user's run listed: %+v", r)
			}
			out = append(out, r.ID)
		}
		return out, next, err
	})
	only, next, err := s.ListUserRuns(c, "gina", netra.RunRunning, 10, "")
	if err != nil || next != "" || len(only) != 1 || only[0].ID != ids[2] || only[0].Status != netra.RunRunning {
		t.Fatalf("running runs %+v %q %v", only, next, err)
	}
	_, _, err = s.ListUserRuns(c, "gina", "", 3, "not-a-cursor!")
	wantCode(t, err, netra.CodeInvalidRequest)
}

func createRun(t *testing.T, s store.Store) {
	c := ctx(t)
	r := newRun(t, s, "erin", "", "first line\nsecond")
	if r.Status != netra.RunQueued || r.ThreadID == "" || r.Owner != "erin" {
		t.Fatalf("run = %+v", r)
	}
	th, err := s.GetThread(c, "erin", r.ThreadID)
	if err != nil || th.Title != "first line" {
		t.Fatalf("thread = %+v, %v", th, err)
	}
	r2 := newRun(t, s, "erin", r.ThreadID, "again")
	got, err := s.GetRun(c, "erin", r2.ID)
	if err != nil || got.Status != netra.RunQueued || got.Input != "again" || got.Tier != netra.TierFree ||
		string(got.Params) != `{"delay_ms":0}` || got.StartedAt != nil {
		t.Fatalf("GetRun = %+v, %v", got, err)
	}
	_, err = s.GetRun(c, "frank", r2.ID)
	wantCode(t, err, netra.CodeNotFound)
	runs, err := s.ListRuns(c, "erin", r.ThreadID)
	if err != nil || len(runs) != 2 || runs[0].ID != r.ID || runs[1].ID != r2.ID {
		t.Fatalf("ListRuns = %v, %v", runs, err)
	}
	msgs, err := s.ListMessages(c, "erin", r.ThreadID)
	if err != nil || len(msgs) != 2 || msgs[0].Role != netra.MessageUser || msgs[0].RunID != r.ID ||
		msgs[0].Content != "first line\nsecond" || msgs[1].Content != "again" {
		t.Fatalf("ListMessages = %+v, %v", msgs, err)
	}
}

func createRunForeignThread(t *testing.T, s store.Store) {
	r := newRun(t, s, "gina", "", "mine")
	_, err := s.CreateRun(ctx(t), store.NewRun{ID: netra.NewID("run_"), Identity: ident("hank"), ThreadID: r.ThreadID,
		Agent: "echo", Input: "x", CreatedAt: time.Now().UTC()})
	wantCode(t, err, netra.CodeNotFound)
	msgs, _ := s.ListMessages(ctx(t), "gina", r.ThreadID)
	if len(msgs) != 1 {
		t.Fatalf("foreign run wrote a message: %d messages", len(msgs))
	}
}

func appendEvents(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newRun(t, s, "ivy", "", "hi")
	b := newRun(t, s, "jack", "", "yo")
	start := time.Now().UTC()
	batch := []store.Record{
		{Event: event(a, 1, netra.EventRunQueued)},
		{Event: event(b, 1, netra.EventRunQueued)},
		{Event: event(a, 2, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: start}},
	}
	if err := s.Append(c, batch); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetRun(c, "ivy", a.ID)
	if got.Status != netra.RunRunning || got.StartedAt == nil || !got.StartedAt.Equal(start) {
		t.Fatalf("after start: %+v", got)
	}
	end := start.Add(time.Millisecond)
	msg := &netra.Message{ID: netra.NewID("msg_"), Content: "hi"}
	if err := s.Append(c, []store.Record{
		{Event: event(a, 3, netra.EventRunCompleted), Transition: &netra.Transition{Status: netra.RunCompleted, At: end, Output: []byte(`"hi"`), Assistant: msg}},
		{Event: event(b, 2, netra.EventRunFailed), Transition: &netra.Transition{Status: netra.RunFailed, At: end, Error: &netra.RunError{Code: "internal", Message: "boom"}}},
	}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetRun(c, "ivy", a.ID)
	if got.Status != netra.RunCompleted || got.EndedAt == nil || string(got.Output) != `"hi"` || got.Error != nil {
		t.Fatalf("after completion: %+v", got)
	}
	gb, _ := s.GetRun(c, "jack", b.ID)
	if gb.Status != netra.RunFailed || gb.Error == nil || gb.Error.Code != "internal" || gb.Error.Message != "boom" {
		t.Fatalf("failed run: %+v", gb)
	}
	evs, err := s.ListEvents(c, "ivy", a.ID, 0, 0)
	if err != nil || len(evs) != 3 {
		t.Fatalf("ListEvents = %d, %v", len(evs), err)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) || string(e.Frame) != string(frame(&e)) {
			t.Fatalf("event %d = seq %d frame %s", i, e.Seq, e.Frame)
		}
	}
	if evs[2].Type != netra.EventRunCompleted {
		t.Fatalf("last type = %s", evs[2].Type)
	}
	after, _ := s.ListEvents(c, "ivy", a.ID, 1, 1)
	if len(after) != 1 || after[0].Seq != 2 {
		t.Fatalf("after_seq=1 limit 1 = %+v", after)
	}
	msgs, _ := s.ListMessages(c, "ivy", a.ThreadID)
	if len(msgs) != 2 || msgs[1].Role != netra.MessageAssistant || msgs[1].Content != "hi" || msgs[1].RunID != a.ID {
		t.Fatalf("messages = %+v", msgs)
	}
	if n, err := s.LastSeq(c, a.ID); err != nil || n != 3 {
		t.Fatalf("LastSeq = %d, %v", n, err)
	}
	// A duplicate (run, seq) is refused and the whole batch with it.
	err = s.Append(c, []store.Record{{Event: event(b, 3, netra.EventRunCancelled)}, {Event: event(a, 3, netra.EventRunCancelled)}})
	if err == nil {
		t.Fatal("duplicate seq accepted")
	}
	if n, _ := s.LastSeq(c, b.ID); n != 2 {
		t.Fatalf("failed batch was partly written: last seq %d", n)
	}
}

// A run that starts at once commits its acceptance with its events: one batch can hold runs'
// creations (in new and existing threads), their starts and their ends, with audit entries.
// A creation in another user's thread refuses the whole batch.
func appendWholeRuns(t *testing.T, s store.Store) {
	c := ctx(t)
	old := newRun(t, s, "kim", "", "first")
	now := time.Now().UTC().Truncate(time.Microsecond)
	mk := func(user, thread string) (store.NewRun, netra.Run) {
		nr := store.NewRun{ID: netra.NewID("run_"), Identity: ident(user), ThreadID: thread, Agent: "echo", Input: "in " + user,
			Params: json.RawMessage(`{"delay_ms":1}`), CreatedAt: now}
		if thread == "" {
			nr.NewThreadID = netra.NewID("thr_")
			thread = nr.NewThreadID
		}
		return nr, netra.Run{ID: nr.ID, Owner: user, ThreadID: thread}
	}
	nrA, a := mk("kim", "")           // a new thread: accepted, started and completed here
	nrB, b := mk("kim", old.ThreadID) // an existing thread: accepted, started, failed
	nrC, cr := mk("lou", "")          // another user's: only accepted
	start, end := now.Add(time.Millisecond), now.Add(2*time.Millisecond)
	msg := &netra.Message{ID: netra.NewID("msg_"), Content: "out kim"}
	batch := []store.Record{
		{Create: &nrA},
		{Event: event(a, 1, netra.EventRunQueued)},
		{Create: &nrB},
		{Audit: &netra.AuditEntry{UserID: "kim", Seq: 1, At: now, Action: "run.start", Outcome: netra.AuditOK, RunID: a.ID, Prev: "", Hash: "h1"}},
		{Event: event(a, 2, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: start}},
		{Create: &nrC},
		{Event: event(b, 1, netra.EventRunQueued)},
		{Event: event(b, 2, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: start}},
		{Event: event(a, 3, netra.EventRunCompleted), Transition: &netra.Transition{Status: netra.RunCompleted, At: end, Output: []byte(`"out kim"`), Assistant: msg}},
		{Event: event(b, 3, netra.EventRunFailed), Transition: &netra.Transition{Status: netra.RunFailed, At: end, Error: &netra.RunError{Code: "timeout", Message: "slow"}}},
		{Event: event(cr, 1, netra.EventRunQueued)},
	}
	if err := s.Append(c, batch); err != nil {
		t.Fatal(err)
	}
	ga, err := s.GetRun(c, "kim", a.ID)
	if err != nil || ga.Status != netra.RunCompleted || ga.ThreadID != a.ThreadID || ga.StartedAt == nil || !ga.StartedAt.Equal(start) ||
		ga.EndedAt == nil || !ga.EndedAt.Equal(end) || string(ga.Output) != `"out kim"` || ga.Input != "in kim" || ga.Agent != "echo" ||
		string(ga.Params) != `{"delay_ms":1}` {
		t.Fatalf("run accepted, started and completed in one batch: %+v, %v", ga, err)
	}
	gb, err := s.GetRun(c, "kim", b.ID)
	if err != nil || gb.Status != netra.RunFailed || gb.ThreadID != old.ThreadID || gb.StartedAt == nil ||
		gb.EndedAt == nil || !gb.EndedAt.Equal(end) || gb.Error == nil || gb.Error.Code != "timeout" || gb.Error.Message != "slow" {
		t.Fatalf("run accepted in an existing thread, started and failed in one batch: %+v, %v", gb, err)
	}
	if gc, err := s.GetRun(c, "lou", cr.ID); err != nil || gc.Status != netra.RunQueued || gc.StartedAt != nil {
		t.Fatalf("another user's run accepted in the batch: %+v, %v", gc, err)
	}
	if _, err := s.GetRun(c, "kim", cr.ID); err == nil {
		t.Fatal("lou's run is kim's too")
	}
	msgs, _ := s.ListMessages(c, "kim", a.ThreadID)
	if len(msgs) != 2 || msgs[0].Role != netra.MessageUser || msgs[0].Content != "in kim" || msgs[1].Role != netra.MessageAssistant || msgs[1].Content != "out kim" {
		t.Fatalf("messages of the new thread: %+v", msgs)
	}
	if msgs, _ := s.ListMessages(c, "kim", old.ThreadID); len(msgs) != 2 || msgs[1].RunID != b.ID {
		t.Fatalf("messages of the existing thread: %+v", msgs)
	}
	if evs, err := s.ListEvents(c, "kim", a.ID, 0, 0); err != nil || len(evs) != 3 || evs[2].Type != netra.EventRunCompleted {
		t.Fatalf("events of the completed run: %d, %v", len(evs), err)
	}
	if head, found, err := s.LastAudit(c, "kim"); err != nil || !found || head.Seq != 1 || head.Hash != "h1" {
		t.Fatalf("audit head: %+v %v %v", head, found, err)
	}
	// A creation in another user's thread refuses the batch, and nothing of it is stored.
	nrD, d := mk("lou", old.ThreadID)
	nrE, e := mk("lou", "")
	err = s.Append(c, []store.Record{{Create: &nrE}, {Event: event(e, 1, netra.EventRunQueued)}, {Create: &nrD}, {Event: event(d, 1, netra.EventRunQueued)}})
	wantCode(t, err, netra.CodeNotFound)
	if _, err := s.GetRun(c, "lou", e.ID); err == nil {
		t.Fatal("a run of the refused batch was stored")
	}
	if msgs, _ := s.ListMessages(c, "kim", old.ThreadID); len(msgs) != 2 {
		t.Fatalf("the refused batch wrote into kim's thread: %d messages", len(msgs))
	}
}

func runStates(t *testing.T, s store.Store) {
	c := ctx(t)
	a, b, none := newRun(t, s, "rosa", "", "a"), newRun(t, s, "sam", "", "b"), newRun(t, s, "rosa", "", "no events")
	if err := s.Append(c, []store.Record{{Event: event(a, 1, netra.EventRunQueued)}, {Event: event(a, 2, netra.EventRunQueued)},
		{Event: event(b, 1, netra.EventRunQueued)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.RunStates(c, []store.RunRef{{ID: a.ID, Owner: "rosa"}, {ID: b.ID, Owner: "sam"}, {ID: none.ID, Owner: "rosa"},
		{ID: b.ID, Owner: "rosa"}, // not rosa's: left out
		{ID: "run_missing", Owner: "rosa"}})
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]int64{}
	for _, st := range got {
		last[st.Run.ID+"/"+st.Run.Owner] = st.LastSeq
		if st.Run.Agent != "echo" || st.Run.Status != netra.RunQueued || st.Run.ThreadID == "" {
			t.Fatalf("run state %+v", st.Run)
		}
	}
	want := map[string]int64{a.ID + "/rosa": 2, b.ID + "/sam": 1, none.ID + "/rosa": 0}
	if len(got) != 3 || !maps.Equal(last, want) {
		t.Fatalf("RunStates = %v, want %v", last, want)
	}
	if got, err := s.RunStates(c, nil); err != nil || len(got) != 0 {
		t.Fatalf("RunStates of none = %v, %v", got, err)
	}
	if _, err := s.RunStates(c, make([]store.RunRef, store.MaxRunStates+1)); err == nil {
		t.Fatal("RunStates took more than MaxRunStates refs")
	}
}

func eventsScoped(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newRun(t, s, "kim", "", "hi")
	if err := s.Append(c, []store.Record{{Event: event(a, 1, netra.EventRunQueued)}}); err != nil {
		t.Fatal(err)
	}
	evs, err := s.ListEvents(c, "lee", a.ID, 0, 0)
	if err != nil || len(evs) != 0 {
		t.Fatalf("foreign ListEvents = %v, %v", evs, err)
	}
}

func deleteThread(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newRun(t, s, "mia", "", "hi")
	other := newRun(t, s, "mia", "", "keep")
	if err := s.Append(c, []store.Record{{Event: event(a, 1, netra.EventRunQueued)}, {Event: event(other, 1, netra.EventRunQueued)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteThread(c, "mia", a.ThreadID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetThread(c, "mia", a.ThreadID)
	wantCode(t, err, netra.CodeNotFound)
	_, err = s.GetRun(c, "mia", a.ID)
	wantCode(t, err, netra.CodeNotFound)
	if evs, _ := s.ListEvents(c, "mia", a.ID, 0, 0); len(evs) != 0 {
		t.Fatalf("events survived: %d", len(evs))
	}
	if evs, _ := s.ListEvents(c, "mia", other.ID, 0, 0); len(evs) != 1 {
		t.Fatalf("other thread's events gone: %d", len(evs))
	}
	wantCode(t, s.DeleteThread(c, "mia", a.ThreadID), netra.CodeNotFound)
}

func activeRuns(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newRun(t, s, "ned", "", "1")
	b := newRun(t, s, "olga", "", "2")
	d := newRun(t, s, "ned", "", "3")
	now := time.Now().UTC()
	if err := s.Append(c, []store.Record{
		{Event: event(a, 1, netra.EventRunStarted), Transition: &netra.Transition{Status: netra.RunRunning, At: now}},
		{Event: event(d, 1, netra.EventRunCancelled), Transition: &netra.Transition{Status: netra.RunCancelled, At: now}},
	}); err != nil {
		t.Fatal(err)
	}
	runs, err := s.ActiveRuns(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != a.ID || runs[0].Status != netra.RunRunning || runs[1].ID != b.ID {
		t.Fatalf("ActiveRuns = %+v", runs)
	}
}

func rec(id string, at time.Time, cost float64) workload.Record {
	return workload.Record{ID: id, TS: at.UTC().Truncate(time.Microsecond), Provider: "openai", Model: "gpt-4o", Route: "chat",
		InputTokens: 100, OutputTokens: 10, LatencyMS: 12.5, OK: true, Interactive: true, CostUSD: cost}
}

func upload(t *testing.T, s store.Store, owner string, limit int64, batches ...[]workload.Record) (int64, int64, error) {
	t.Helper()
	u, err := s.BeginUpload(ctx(t), owner, limit)
	if err != nil {
		t.Fatal(err)
	}
	var acc, dup int64
	for _, b := range batches {
		a, d, err := u.Add(ctx(t), b)
		if err != nil {
			_ = u.Abort(ctx(t))
			return acc, dup, err
		}
		acc, dup = acc+a, dup+d
	}
	return acc, dup, u.Commit(ctx(t))
}

func scanAll(t *testing.T, s store.Store, owner string, w workload.Window) []workload.Record {
	t.Helper()
	var out []workload.Record
	if err := s.ScanRecords(ctx(t), owner, w, func(r *workload.Record) bool { out = append(out, *r); return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

func everything() workload.Window {
	return workload.Window{From: time.Unix(0, 0), To: time.Now().Add(time.Hour)}
}

func uploadsAllOrNothing(t *testing.T, s store.Store) {
	now := time.Now()
	u, err := s.BeginUpload(ctx(t), "uma", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := u.Add(ctx(t), []workload.Record{rec("a", now, 1), rec("b", now, 2)}); err != nil {
		t.Fatal(err)
	}
	if n := len(scanAll(t, s, "uma", everything())); n != 0 {
		t.Fatalf("staged records visible before commit: %d", n)
	}
	if err := u.Abort(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if sum, _ := s.RecordSummary(ctx(t), "uma"); sum.Records != 0 {
		t.Fatalf("aborted upload left %d records", sum.Records)
	}
	// The aborted ids are free again.
	acc, dup, err := upload(t, s, "uma", 1000, []workload.Record{rec("a", now, 1), rec("b", now, 2)}, []workload.Record{rec("c", now, 3)})
	if err != nil || acc != 3 || dup != 0 {
		t.Fatalf("upload: %d %d %v", acc, dup, err)
	}
	got := scanAll(t, s, "uma", everything())
	if len(got) != 3 {
		t.Fatalf("scanned %d", len(got))
	}
	var total float64
	for _, r := range got {
		total += r.CostUSD
		if r.Model != "gpt-4o" || r.LatencyMS != 12.5 || !r.OK {
			t.Fatalf("record changed in storage: %+v", r)
		}
	}
	if total != 6 {
		t.Fatalf("costs sum to %v", total)
	}
}

func uploadsIdempotent(t *testing.T, s store.Store) {
	now := time.Now()
	acc, dup, err := upload(t, s, "vic", 1000, []workload.Record{rec("x", now, 1), rec("x", now, 1), rec("", now, 1), rec("", now, 1)})
	if err != nil || acc != 3 || dup != 1 {
		t.Fatalf("first upload: %d %d %v", acc, dup, err)
	}
	acc, dup, err = upload(t, s, "vic", 1000, []workload.Record{rec("x", now, 1), rec("y", now, 1)})
	if err != nil || acc != 1 || dup != 1 {
		t.Fatalf("second upload: %d %d %v", acc, dup, err)
	}
	// Ids are per owner: another user may use the same ones.
	if acc, dup, err := upload(t, s, "wes", 1000, []workload.Record{rec("x", now, 1)}); err != nil || acc != 1 || dup != 0 {
		t.Fatalf("other owner: %d %d %v", acc, dup, err)
	}
}

func uploadLimit(t *testing.T, s store.Store) {
	now := time.Now()
	if _, _, err := upload(t, s, "xia", 3, []workload.Record{rec("", now, 1), rec("", now, 1)}); err != nil {
		t.Fatal(err)
	}
	_, _, err := upload(t, s, "xia", 3, []workload.Record{rec("", now, 1), rec("", now, 1)})
	wantCode(t, err, netra.CodePayloadTooLarge)
	if sum, _ := s.RecordSummary(ctx(t), "xia"); sum.Records != 2 {
		t.Fatalf("after refused upload: %d records", sum.Records)
	}
}

func recordsScoped(t *testing.T, s store.Store) {
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var batch []workload.Record
	for d := 0; d < 10; d++ {
		batch = append(batch, rec("", base.Add(time.Duration(d)*24*time.Hour), float64(d)))
	}
	if _, _, err := upload(t, s, "yan", 1000, batch); err != nil {
		t.Fatal(err)
	}
	if _, _, err := upload(t, s, "zed", 1000, []workload.Record{rec("", base, 100)}); err != nil {
		t.Fatal(err)
	}
	w := workload.Window{From: base.Add(2 * 24 * time.Hour), To: base.Add(4 * 24 * time.Hour)}
	got := scanAll(t, s, "yan", w)
	if len(got) != 3 {
		t.Fatalf("window holds %d records, want days 2, 3, 4", len(got))
	}
	sum, err := s.RecordSummary(ctx(t), "yan")
	if err != nil || sum.Records != 10 || !sum.First.Equal(base) || !sum.Last.Equal(base.Add(9*24*time.Hour)) {
		t.Fatalf("summary %+v %v", sum, err)
	}
	if n := len(scanAll(t, s, "nobody", everything())); n != 0 {
		t.Fatalf("a user without records sees %d", n)
	}
	n, err := s.DeleteRecords(ctx(t), "yan")
	if err != nil || n != 10 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if len(scanAll(t, s, "yan", everything())) != 0 || len(scanAll(t, s, "zed", everything())) != 1 {
		t.Fatal("delete removed the wrong records")
	}
}

// chunksHoldRecords: the chunks ScanChunks passes, decoded and cut to the window, hold the
// records ScanRecords passes, and are the caller's to keep; another owner's chunks never come.
func chunksHoldRecords(t *testing.T, s store.Store) {
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for up := range 3 {
		var batch []workload.Record
		for d := range 5 {
			batch = append(batch, rec(fmt.Sprintf("c%d-%d", up, d), base.Add(time.Duration(up*5+d)*24*time.Hour), float64(up*5+d)))
		}
		if _, _, err := upload(t, s, "cho", 1000, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := upload(t, s, "dee", 1000, []workload.Record{rec("d", base.Add(7*24*time.Hour), 99)}); err != nil {
		t.Fatal(err)
	}
	// Days 6 to 8: the middle upload only.
	w := workload.Window{From: base.Add(6 * 24 * time.Hour), To: base.Add(8 * 24 * time.Hour)}
	var chunks [][]byte
	if err := s.ScanChunks(ctx(t), "cho", w, func(c []byte) bool { chunks = append(chunks, c); return true }); err != nil {
		t.Fatal(err)
	}
	if len(chunks) != 1 {
		t.Fatalf("%d chunks overlap days 6-8, want the middle upload's", len(chunks))
	}
	var got []string
	for _, c := range chunks {
		if err := workload.DecodeChunk(c, func(r *workload.Record) bool {
			if w.Contains(r.TS) {
				got = append(got, r.ID)
			}
			return true
		}); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for _, r := range scanAll(t, s, "cho", w) {
		want = append(want, r.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) || len(want) != 3 {
		t.Fatalf("chunks hold %v, records %v", got, want)
	}
	n := 0
	if err := s.ScanChunks(ctx(t), "cho", everything(), func([]byte) bool { n++; return n < 2 }); err != nil || n != 2 {
		t.Fatalf("stopping after 2 chunks: %d, %v", n, err)
	}
}

// rollupsTally: three chunks (uploads) of which the window holds one wholly and cuts one; the
// tally of ScanRollups equals that of ScanRecords, and the whole chunk came as rollups.
func rollupsTally(t *testing.T, s store.Store) {
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for c := range 3 {
		var batch []workload.Record
		for i := range 48 {
			r := rec("", base.Add(time.Duration(c*48+i)*time.Hour), float64(i%7)+0.25)
			r.Route = []string{"chat", "search"}[i%2]
			if i%5 == 0 {
				r.OK, r.ErrorType, r.Retries = false, "timeout", 2
			}
			batch = append(batch, r)
		}
		if _, _, err := upload(t, s, "roll", 1000, batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := upload(t, s, "other-roll", 1000, []workload.Record{rec("", base.Add(60*time.Hour), 1000)}); err != nil {
		t.Fatal(err)
	}
	// Chunk 1 (hours 48-95) wholly inside; chunk 0 (0-47) touches it at its last record and
	// chunk 2 (96-143) is cut at hour 120, both inclusive.
	w := workload.Window{From: base.Add(47 * time.Hour), To: base.Add(120 * time.Hour)}
	want := workload.NewTally(w, workload.DefaultPrices())
	for _, r := range scanAll(t, s, "roll", w) {
		want.Add(&r)
	}
	got := workload.NewTally(w, workload.DefaultPrices())
	var groups, records int
	err := s.ScanRollups(ctx(t), "roll", w, func(g *workload.Rollup) bool {
		groups++
		got.AddRollup(g)
		return true
	}, func(r *workload.Record) bool {
		records++
		if !got.Add(r) {
			t.Errorf("a record outside the window: %v", r.TS)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if groups == 0 || records != 1+25 {
		t.Fatalf("%d rollups and %d records; want the whole chunk as rollups and the cut ones' 26 records in the window", groups, records)
	}
	a, b := want.Stats(), got.Stats()
	// Costs are multiples of 1/4: sums in any order are exact. Their division between input
	// and output tokens is not: it is compared to the nano-dollar.
	for _, st := range []*workload.Stats{&a, &b} {
		roundSplit(st)
	}
	if a.Totals != b.Totals || a.Totals.Requests != 74 || !reflect.DeepEqual(a.Errors, b.Errors) || !reflect.DeepEqual(a.SpendByRoute, b.SpendByRoute) ||
		!reflect.DeepEqual(a.SpendByDay, b.SpendByDay) || !reflect.DeepEqual(a.SpendByModel, b.SpendByModel) {
		t.Fatalf("rollups tally differently:\nrecords %+v\nrollups %+v", a, b)
	}
}

// roundSplit rounds the input and output cost of the totals and breakdowns to 1e-9 USD.
func roundSplit(s *workload.Stats) {
	r := func(f *float64) { *f = math.Round(*f*1e9) / 1e9 }
	r(&s.Totals.InputCostUSD)
	r(&s.Totals.OutputCostUSD)
	for _, l := range [][]workload.Spend{s.SpendByModel, s.SpendByRoute, s.SpendByProvider} {
		for i := range l {
			r(&l[i].InputCostUSD)
			r(&l[i].OutputCostUSD)
		}
	}
}

func auditTrail(t *testing.T, s store.Store) {
	c := ctx(t)
	admin, ok := s.(store.AuditAdmin)
	if !ok {
		t.Fatalf("%T does not implement store.AuditAdmin", s)
	}
	if _, ok, err := s.LastAudit(c, "alice"); err != nil || ok {
		t.Fatalf("LastAudit of nobody = %v, %v", ok, err)
	}
	old := time.Now().UTC().Add(-48 * time.Hour)
	var batch []store.Record
	for i, u := range []string{"alice", "bob", "alice", "alice", "bob"} {
		at := old
		if i >= 3 {
			at = time.Now().UTC()
		}
		seq := int64(1)
		for _, r := range batch {
			if r.Audit.UserID == u {
				seq++
			}
		}
		batch = append(batch, store.Record{Audit: &netra.AuditEntry{UserID: u, Seq: seq, At: at, Action: "run.start",
			Outcome: "ok", RequestID: fmt.Sprintf("req_%d", i), RunID: "run_x", Remote: "127.0.0.1", Detail: "d",
			Prev: fmt.Sprintf("p%d", i), Hash: fmt.Sprintf("h%d", i)}})
	}
	// Audit entries ride a batch beside an event, as the pipeline writes them.
	r := newRun(t, s, "alice", "", "x")
	batch = append(batch, store.Record{Event: event(r, 1, netra.EventRunQueued)})
	if err := s.Append(c, batch); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit(c, "alice", 0, 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("ListAudit(alice) = %d entries, %v", len(got), err)
	}
	for i, e := range got {
		if e.UserID != "alice" || e.Seq != int64(i+1) {
			t.Fatalf("entry %d = %+v", i, e)
		}
	}
	if w := batch[0].Audit; got[0].At != w.At || got[0].RequestID != w.RequestID || got[0].Prev != w.Prev || got[0].Hash != w.Hash ||
		got[0].Remote != w.Remote || got[0].Detail != w.Detail || got[0].Action != w.Action || got[0].Outcome != w.Outcome || got[0].RunID != w.RunID {
		t.Fatalf("round trip: got %+v, want %+v", got[0], *w)
	}
	if got, _ := s.ListAudit(c, "alice", 1, 1); len(got) != 1 || got[0].Seq != 2 {
		t.Fatalf("ListAudit after 1 limit 1 = %+v", got)
	}
	if got, _ := s.ListAudit(c, "carol", 0, 0); len(got) != 0 {
		t.Fatalf("carol sees %d entries", len(got))
	}
	if last, ok, err := s.LastAudit(c, "alice"); err != nil || !ok || last.Seq != 3 || last.Hash != "h3" {
		t.Fatalf("LastAudit(alice) = %+v, %v, %v", last, ok, err)
	}
	var order []string
	if err := admin.ScanAudit(c, "", 0, 0, func(e netra.AuditEntry) error {
		order = append(order, fmt.Sprintf("%s/%d", e.UserID, e.Seq))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(order) != "[alice/1 alice/2 alice/3 bob/1 bob/2]" {
		t.Fatalf("ScanAudit order = %v", order)
	}
	n, err := admin.PruneAudit(c, time.Now().Add(-24*time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("PruneAudit = %d, %v; want 3", n, err)
	}
	anchors, err := admin.AuditAnchors(c)
	if err != nil || anchors["alice"] != (store.AuditAnchor{Seq: 2, Hash: "h2"}) || anchors["bob"] != (store.AuditAnchor{Seq: 1, Hash: "h1"}) {
		t.Fatalf("anchors = %+v, %v", anchors, err)
	}
	if got, _ := s.ListAudit(c, "alice", 0, 0); len(got) != 1 || got[0].Seq != 3 {
		t.Fatalf("after prune alice has %+v", got)
	}
	// A chain pruned to nothing still knows where it ends.
	if _, err := admin.PruneAudit(c, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if last, ok, err := s.LastAudit(c, "bob"); err != nil || !ok || last.Seq != 2 || last.Hash != "h4" {
		t.Fatalf("LastAudit(bob) after pruning all = %+v, %v, %v", last, ok, err)
	}
}

// auditHeadsAndCheckpoints: heads are each chain's newest entry, or its anchor once pruning
// took every entry, for all users and for the owners asked for; checkpoints come back in seq
// order after the given one, and a seq cannot be stored twice.
func auditHeadsAndCheckpoints(t *testing.T, s store.Store) {
	c := ctx(t)
	admin := s.(store.AuditAdmin)
	old := time.Now().UTC().Add(-48 * time.Hour)
	var batch []store.Record
	for i, u := range []string{"hal", "hal", "ivy"} {
		at := time.Now().UTC()
		if u == "ivy" {
			at = old
		}
		seq := int64(1)
		if i == 1 {
			seq = 2
		}
		batch = append(batch, store.Record{Audit: &netra.AuditEntry{UserID: u, Seq: seq, At: at, Action: "auth", Outcome: "ok", Hash: fmt.Sprintf("h-%s-%d", u, seq)}})
	}
	if err := s.Append(c, batch); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PruneAudit(c, time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	heads, err := admin.AuditHeads(c)
	if err != nil || heads["hal"] != (store.AuditAnchor{Seq: 2, Hash: "h-hal-2"}) || heads["ivy"] != (store.AuditAnchor{Seq: 1, Hash: "h-ivy-1"}) {
		t.Fatalf("heads %v %v", heads, err)
	}
	// The same heads, asked for by owner; an owner without a chain is left out.
	mine, err := s.LastAudits(c, []string{"ivy", "nobody", "hal"})
	if err != nil || len(mine) != 2 || mine["hal"] != heads["hal"] || mine["ivy"] != heads["ivy"] {
		t.Fatalf("LastAudits %v %v", mine, err)
	}
	if none, err := s.LastAudits(c, nil); err != nil || len(none) != 0 {
		t.Fatalf("LastAudits of no one %v %v", none, err)
	}
	if _, ok, err := admin.LastCheckpoint(c); ok || err != nil {
		t.Fatalf("a last checkpoint before any: %v %v", ok, err)
	}
	for seq := int64(1); seq <= 3; seq++ {
		if err := admin.AppendCheckpoint(c, store.StoredCheckpoint{Seq: seq, Body: []byte(fmt.Sprintf(`{"seq":%d}`, seq)), Sig: "s"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.AppendCheckpoint(c, store.StoredCheckpoint{Seq: 2, Body: []byte(`{}`), Sig: "forged"}); err == nil {
		t.Fatal("a checkpoint seq was stored twice")
	}
	if last, ok, err := admin.LastCheckpoint(c); !ok || err != nil || last.Seq != 3 || string(last.Body) != `{"seq":3}` || last.Sig != "s" {
		t.Fatalf("last checkpoint %+v %v %v", last, ok, err)
	}
	cps, err := admin.Checkpoints(c, 1)
	if err != nil || len(cps) != 2 || cps[0].Seq != 2 || string(cps[1].Body) != `{"seq":3}` || cps[1].Sig != "s" {
		t.Fatalf("checkpoints %+v %v", cps, err)
	}
}

// auditHeadsOfEveryUser: every user's head is found, whatever the names (one a prefix of
// another, the empty one, upper case, non-ASCII) and however long the chains.
func auditHeadsOfEveryUser(t *testing.T, s store.Store) {
	c := ctx(t)
	users := []string{"b", "", "a", "ab", "a b", "zz", "Z", "é"}
	var batch []store.Record
	for n := int64(1); n <= 5; n++ {
		for i, u := range users {
			if n <= int64(i%5+1) {
				batch = append(batch, store.Record{Audit: &netra.AuditEntry{UserID: u, Seq: n, At: time.Now().UTC(), Action: "auth", Outcome: "ok", Hash: fmt.Sprintf("h-%s-%d", u, n)}})
			}
		}
	}
	if err := s.Append(c, batch); err != nil {
		t.Fatal(err)
	}
	heads, err := s.(store.AuditAdmin).AuditHeads(c)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range users {
		n := int64(i%5 + 1)
		if want := (store.AuditAnchor{Seq: n, Hash: fmt.Sprintf("h-%s-%d", u, n)}); heads[u] != want {
			t.Errorf("head of %q: %+v, want %+v", u, heads[u], want)
		}
	}
	if len(heads) != len(users) {
		t.Errorf("%d heads for %d users: %v", len(heads), len(users), heads)
	}
}

// modelUsageAddsUp: usage adds up per (owner, month, model), and is the owner's only.
func modelUsageAddsUp(t *testing.T, s store.Store) {
	c := ctx(t)
	for range 2 {
		if err := s.AddModelUsage(c, "una", "2026-11", map[string]model.Usage{"openai:m": {ModelCalls: 1, InputTokens: 10, OutputTokens: 2, CostUSD: 0.5}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddModelUsage(c, "una", "2026-12", map[string]model.Usage{"openai:m": {ModelCalls: 1, InputTokens: 1}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ModelUsage(c, "una", "2026-11")
	if err != nil || len(got) != 1 || got["openai:m"] != (model.Usage{ModelCalls: 2, InputTokens: 20, OutputTokens: 4, CostUSD: 1}) {
		t.Fatalf("usage %v %v", got, err)
	}
	if other, err := s.ModelUsage(c, "vera", "2026-11"); err != nil || len(other) != 0 {
		t.Fatalf("another user sees %v %v", other, err)
	}
}

func killSwitchesKept(t *testing.T, s store.Store) {
	c := ctx(t)
	at := time.Date(2026, 11, 30, 9, 0, 0, 123, time.UTC)
	if sws, err := s.ListSwitches(c); err != nil || len(sws) != 0 {
		t.Fatalf("a new store's switches: %v %v", sws, err)
	}
	for _, sw := range []killswitch.Switch{
		{Kind: killswitch.Tool, Name: "echo", Mode: killswitch.ModeFinish, At: at, By: "root", Reason: "flaky"},
		{Kind: killswitch.Agent, Name: "analyst", Mode: killswitch.ModeFinish, At: at, By: "root"},
		{Kind: killswitch.Agent, Name: "analyst", Mode: killswitch.ModeCancel, At: at.Add(time.Minute), By: "ops", Reason: "cost"}, // replaces
	} {
		if err := s.PutSwitch(c, sw); err != nil {
			t.Fatal(err)
		}
	}
	want := []killswitch.Switch{
		{Kind: killswitch.Agent, Name: "analyst", Mode: killswitch.ModeCancel, At: at.Add(time.Minute), By: "ops", Reason: "cost"},
		{Kind: killswitch.Tool, Name: "echo", Mode: killswitch.ModeFinish, At: at, By: "root", Reason: "flaky"},
	}
	if got, err := s.ListSwitches(c); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("switches %+v, %v; want %+v", got, err, want)
	}
	if ok, err := s.DeleteSwitch(c, killswitch.Tool, "echo"); !ok || err != nil {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, err := s.DeleteSwitch(c, killswitch.Tool, "echo"); ok || err != nil {
		t.Fatalf("delete again: %v %v", ok, err)
	}
	if got, _ := s.ListSwitches(c); !reflect.DeepEqual(got, want[:1]) {
		t.Fatalf("after delete: %+v", got)
	}
}
