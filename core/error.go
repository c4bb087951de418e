package core

import (
	"errors"
	"fmt"
)

// Error codes are the only vocabulary the core uses to say what went wrong;
// core/api maps each one to an HTTP status in exactly one place.
const (
	EINVALID      = "invalid"      // the caller sent something we cannot accept
	ENOTFOUND     = "not_found"    // the thing asked for does not exist (or is not public)
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials
	EFORBIDDEN    = "forbidden"    // the caller may not do this (a blocked address)
	ECONFLICT     = "conflict"     // a write lost against newer state
	ETOOLARGE     = "too_large"    // a body or document over its limit
	EUNAVAILABLE  = "unavailable"  // a dependency is down
	ETOOMANY      = "too_many"     // the caller is over a rate limit
	EINTERNAL     = "internal"     // a bug or an unexpected failure
)

// FieldError names one problem with an input, by its JSON path.
type FieldError struct {
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (f FieldError) String() string { return f.Path + ": " + f.Message }

// Error is a domain error: a code, a message safe to show to the caller and,
// for validation failures, every problem found.
type Error struct {
	Code    string
	Message string
	Details []FieldError
	Err     error // the underlying cause; logged, never shown to callers
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: %s", e.Code, msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds a domain error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first domain error in err's chain, or
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err. Errors that are not
// domain errors may carry internal detail, so they become a generic message.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorDetails returns the field errors carried by err, if any.
func ErrorDetails(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Details
	}
	return nil
}
