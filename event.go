package netra

import "time"

// EventType names a run event on the wire.
type EventType string

// The run events of the wire contract.
const (
	EventRunQueued      EventType = "run_queued"
	EventRunStarted     EventType = "run_started"
	EventAgentStarted   EventType = "agent_started"
	EventAgentThinking  EventType = "agent_thinking"
	EventMessageDelta   EventType = "message_delta"
	EventToolExecuting  EventType = "tool_executing"
	EventToolCompleted  EventType = "tool_completed"
	EventAgentCompleted EventType = "agent_completed"
	EventAgentError     EventType = "agent_error"
	EventRunCompleted   EventType = "run_completed"
	EventRunFailed      EventType = "run_failed"
	EventRunCancelled   EventType = "run_cancelled"
)

// Terminal reports whether t ends a run.
func (t EventType) Terminal() bool {
	return t == EventRunCompleted || t == EventRunFailed || t == EventRunCancelled
}

// Event is one progress event of a run. Frame is its complete JSON wire encoding, made once
// when the event is emitted, so that storing and fanning it out never encodes it again.
// Owner is never part of the frame: it is the routing key, stamped by the emitter.
type Event struct {
	Owner    string
	RunID    string
	ThreadID string
	Seq      int64
	Type     EventType
	TS       time.Time
	Frame    []byte
}

// Transition is a change of a run's stored state that commits atomically with an event.
type Transition struct {
	Status    RunStatus
	At        time.Time
	Output    []byte    // JSON, for completed runs
	Error     *RunError // for failed runs
	Assistant *Message  // the assistant message of a completed run
}
