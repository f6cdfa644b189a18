package store

import (
	"time"

	"github.com/netra-ai/netra"
)

// RunRowState is a run's row as a batch leaves it: its status, and the fields its transitions
// set (zero when not set).
type RunRowState struct {
	Status             netra.RunStatus
	StartedAt, EndedAt time.Time
	Output             []byte
	Error              *netra.RunError

	owner string
}

// FoldRuns folds the transitions of each run created in batch, by records after its
// creation, into the state its row is first written in: a run accepted, started and ended in
// one group commit (most echo runs, and any run that starts at once on a quiet node) is
// inserted once, in its final state, instead of inserted queued and updated twice: two
// statements and two row versions fewer. states holds each created run's state (queued when
// nothing folded); folded[i] reports that batch[i].Transition is in it, and the store then
// writes only that record's event and assistant message. Both are nil when batch creates no
// run.
func FoldRuns(batch []Record) (states map[string]*RunRowState, folded []bool) {
	for i, r := range batch {
		if r.Create != nil {
			if states == nil {
				states = map[string]*RunRowState{}
				folded = make([]bool, len(batch))
			}
			states[r.Create.ID] = &RunRowState{Status: netra.RunQueued, owner: r.Create.Identity.UserID}
			continue
		}
		e, t := r.Event, r.Transition
		if states == nil || e == nil || t == nil {
			continue
		}
		st, ok := states[e.RunID]
		if !ok || st.owner != e.Owner {
			continue // not created here, or not the owner's: the store updates the row as usual
		}
		st.Status = t.Status
		if t.Status == netra.RunRunning {
			st.StartedAt = t.At
		} else {
			st.EndedAt, st.Output, st.Error = t.At, t.Output, t.Error
		}
		folded[i] = true
	}
	return states, folded
}

// Columns returns the state as both stores bind a run's row: its status, its times in Unix
// nanoseconds and its end's output and error, nil (NULL) where not set. A nil state is a run
// just queued.
func (s *RunRowState) Columns() (status string, started, ended *int64, output []byte, code, msg *string) {
	if s == nil {
		return string(netra.RunQueued), nil, nil, nil, nil, nil
	}
	if !s.StartedAt.IsZero() {
		n := s.StartedAt.UnixNano()
		started = &n
	}
	if !s.EndedAt.IsZero() {
		n := s.EndedAt.UnixNano()
		ended, output = &n, s.Output
		if e := s.Error; e != nil {
			c := string(e.Code)
			code, msg = &c, &e.Message
		}
	}
	return string(s.Status), started, ended, output, code, msg
}
