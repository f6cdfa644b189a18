package agent

import (
	"encoding/json"
	"fmt"

	"github.com/netra-ai/netra"
)

// Prior decodes the result of an earlier workflow step into a T. It reports false when the
// step did not run (or returned nothing).
func Prior[T any](in Input, step string) (T, bool, error) {
	var v T
	raw, ok := in.Prior[step]
	if !ok || len(raw) == 0 {
		return v, false, nil
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, false, &netra.Error{Code: netra.CodeInternal, Message: fmt.Sprintf("the result of %s could not be read", step), Err: err}
	}
	return v, true, nil
}

// PartialError fails a run while still delivering what was done: the engine puts Output in
// run_failed's data and in the run's stored output.
type PartialError struct {
	Output any
	Err    error
}

func (e *PartialError) Error() string { return e.Err.Error() }

func (e *PartialError) Unwrap() error { return e.Err }
