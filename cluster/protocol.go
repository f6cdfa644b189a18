// Package cluster makes the nodes that share one PostgreSQL database and one NATS server one
// service (contract §8).
//
// One node at a time is the leader: it holds a session advisory lock in the database and runs
// the service's scheduler (package sched, the same fair scheduler a lone node runs) over every
// queued and running run of every node. Every node, the leader's own included, asks it over
// NATS request/reply to reserve, queue, cancel and locate runs, so limits, fair order and
// queue positions are the service's. A run executes on the node that accepted it, which emits
// all its events; the leader only says when it starts, its position while it waits, and when
// it is cancelled. The leader keeps no state of its own: a new leader rebuilds it from the
// store and from what each live node holds.
//
// Every node beats its row in the nodes table each second. The leader deletes the row of a
// node whose beat is older than Expire, and then ends that node's running runs (run_failed
// interrupted, their seq continued) and hands its queued runs to the other nodes. Deleting the
// row fences the node: every commit of its store needs its row (storepg.Fence), so a node that
// comes back after losing its leases writes nothing more, and when its beat finds its row
// gone it silences and drops the runs it held.
//
// docs/architecture.md says why the scheduler is a leader's and not a queue table.
package cluster

import (
	"errors"
	"time"

	"github.com/netra-ai/netra"
	"github.com/netra-ai/netra/sched"
	"github.com/netra-ai/netra/store"
)

// Operations on the leader's subject (<prefix>.sched) and on a node's (<prefix>.node.<id>).
const (
	opReserve  = "reserve"
	opRelease  = "release"
	opSubmit   = "submit"
	opFinished = "finished" // a node's run ended
	opCancel   = "cancel"
	opPosition = "position"
	opThread   = "thread" // active runs of a thread
	opUsage    = "usage"
	opUsers    = "users"
	opLive     = "live"
	opOwner    = "owner"
	opLeader   = "leader" // who leads
	opLeave    = "leave"  // a node stops: hand its queued runs over
	opConnect  = "connect"
	opGone     = "gone" // a connection ended

	opStart     = "start"     // to a node: execute the run
	opStop      = "stop"      // to a node: cancel the executing run (Cause)
	opMoved     = "moved"     // to a node: the queued run's position changed
	opCancelled = "cancelled" // to a node: the queued run was cancelled
	opAdopt     = "adopt"     // to a node: take over a stored queued run
	opDrop      = "drop"      // to a node: give a queued run up, silently
	opState     = "state"     // to a node: the runs it holds
)

// msg is every request and notice; each operation reads the fields it needs.
type msg struct {
	Op     string         `json:"op"`
	Node   string         `json:"node,omitempty"`
	Run    string         `json:"run,omitempty"`
	Owner  string         `json:"owner,omitempty"`
	Tier   netra.Tier     `json:"tier,omitempty"`
	Thread string         `json:"thread,omitempty"`
	Agent  string         `json:"agent,omitempty"`
	Pos    int            `json:"pos,omitempty"`
	ETA    int64          `json:"eta,omitempty"` // nanoseconds
	Cause  string         `json:"cause,omitempty"`
	Runs   []store.RunRef `json:"runs,omitempty"`  // opAdopt, opDrop
	Slots  int            `json:"slots,omitempty"` // opSubmit, opReserve: the node's, if the leader has not met it yet
	Begin  bool           `json:"begin,omitempty"` // opReserve: and start the run at once on its node, if a slot is free there
}

// Causes of opStop.
const (
	causeCancel   = "cancel"
	causeShutdown = "shutdown"
)

// reply answers a request.
type reply struct {
	Code    netra.Code        `json:"code,omitempty"` // a refusal
	Message string            `json:"message,omitempty"`
	Full    bool              `json:"full,omitempty"` // the service's queue is full (sched.ErrNodeQueueFull)
	OK      bool              `json:"ok,omitempty"`
	Started bool              `json:"started,omitempty"` // opReserve with Begin: the run started on its node
	Pos     int               `json:"pos,omitempty"`
	Running int               `json:"running,omitempty"`
	Queued  int               `json:"queued,omitempty"`
	Owner   string            `json:"owner,omitempty"`  // opOwner
	Leader  string            `json:"leader,omitempty"` // opLeader: the leading node
	Runs    []string          `json:"runs,omitempty"`   // opThread; opDrop: the runs given up
	Users   []sched.UserUsage `json:"users,omitempty"`
	Live    []sched.LiveRun   `json:"live,omitempty"`
	Held    []held            `json:"held,omitempty"`
	Conns   []conns           `json:"conns,omitempty"`   // opState
	AvgRun  time.Duration     `json:"avg_run,omitempty"` // the scheduler's pace, for ETAs
	Slots   int               `json:"slots,omitempty"`
}

// conns is a node's count of one user's connections, for a new leader.
type conns struct {
	User string `json:"user"`
	N    int    `json:"n"`
}

// held is a run a node holds, for a new leader. A running run also says whose it is: it may
// have started before its acceptance was stored (opReserve with Begin), so the store may not know it yet.
type held struct {
	Run     string     `json:"run"`
	Running bool       `json:"running,omitempty"`
	Owner   string     `json:"owner,omitempty"`
	Tier    netra.Tier `json:"tier,omitempty"`
	Thread  string     `json:"thread,omitempty"`
	Agent   string     `json:"agent,omitempty"`
}

// err turns a refusal back into the error the scheduler gave.
func (r reply) err() error {
	if r.Code == "" {
		return nil
	}
	e := &netra.Error{Code: r.Code, Message: r.Message}
	if r.Full {
		e.Err = sched.ErrNodeQueueFull
	}
	return e
}

// refusal is the reply of an error.
func refusal(err error) reply {
	return reply{Code: netra.ErrorCode(err), Message: netra.ErrorMessage(err), Full: errors.Is(err, sched.ErrNodeQueueFull)}
}
