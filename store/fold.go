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
