// Package netra holds the domain types of the Netra agent execution server: identities, tiers,
// threads, runs, events and the one error type every layer returns. It depends on the standard
// library only; transports map error codes to HTTP statuses and WebSocket frames at the edge.
package netra

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code of the wire contract (protocol-v1 §2).
type Code string

// The error codes of the wire contract. Agents may add their own snake_case codes.
const (
	CodeInvalidRequest  Code = "invalid_request"
	CodeUnauthorized    Code = "unauthorized"
	CodeForbidden       Code = "forbidden"
	CodeNotFound        Code = "not_found"
	CodeConflict        Code = "conflict"
	CodePayloadTooLarge Code = "payload_too_large"
	CodeRateLimited     Code = "rate_limited"
	CodeQueueFull       Code = "queue_full"
	CodeInternal        Code = "internal"
	CodeUnavailable     Code = "unavailable"
	CodeTimeout         Code = "timeout"
	CodeInterrupted     Code = "interrupted"
	// CodeBudgetExceeded: the user's monthly model budget is spent (429 with Retry-After at
	// the month's end).
	CodeBudgetExceeded Code = "budget_exceeded"
	// CodeHeadersTooLarge: the request's headers pass the server's bound (431).
	CodeHeadersTooLarge Code = "headers_too_large"
	// CodeInsufficientStorage: the server cannot write (a full disk); nothing was stored.
	CodeInsufficientStorage Code = "insufficient_storage"
	// CodeCancelled reports work stopped because its run was cancelled (tool and agent errors).
	CodeCancelled Code = "cancelled"
)

// Error is the domain error. Message is safe to show a person: it never holds stack traces,
// SQL, file paths or secrets. Err, when set, carries the details for the log only.
type Error struct {
	Code    Code
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Err.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted, user-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps err as an internal error whose message reveals nothing of it.
func Internal(err error) *Error {
	return &Error{Code: CodeInternal, Message: "internal error", Err: err}
}

// ErrorCode returns the code of err: the code of the first *Error in its chain, else internal.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the user-safe message of err: the first *Error's message, else a generic one.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
