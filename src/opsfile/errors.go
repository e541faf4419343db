package opsfile

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// The error types below name Path, the part of an operation's path up to and
// including the token that failed; the wording follows go-patch so messages
// read as they do with the bosh CLI. OpError adds the operation's full path.

// MissingKeyError: a map lacks a key that a non-optional token requires.
type MissingKeyError struct {
	Key  string
	Path Pointer
	Keys []string // the keys the map does have, sorted
}

func (e *MissingKeyError) Error() string {
	found := "found no other map keys"
	if len(e.Keys) > 0 {
		found = "found map keys: '" + strings.Join(e.Keys, "', '") + "'"
	}
	return fmt.Sprintf("Expected to find a map key '%s' for path '%s' (%s)", e.Key, e.Path, found)
}

// MissingIndexError: an array index (after modifiers) is out of range.
type MissingIndexError struct {
	Index  int
	Length int
	Path   Pointer
}

func (e *MissingIndexError) Error() string {
	return fmt.Sprintf("Expected to find array index '%d' but found array of length '%d' for path '%s'",
		e.Index, e.Length, e.Path)
}

// MatchCountError: a key=value token matched no item or several items.
type MatchCountError struct {
	Path    Pointer
	Matches int
}

func (e *MatchCountError) Error() string {
	return fmt.Sprintf("Expected to find exactly one matching array item for path '%s' but found %d",
		e.Path, e.Matches)
}

// TypeMismatchError: a token needs a map or an array and found something else.
type TypeMismatchError struct {
	Expected string // "a map" or "an array"
	Path     Pointer
	Found    any
}

func (e *TypeMismatchError) Error() string {
	return fmt.Sprintf("Expected to find %s at path '%s' but found %s", e.Expected, e.Path, Kind(e.Found))
}

// ErrTestFailed matches (errors.Is) the errors of failing test operations.
var ErrTestFailed = errors.New("test operation failed")

// TestFailedError is a test operation whose expectation does not hold. It
// matches ErrTestFailed with errors.Is.
type TestFailedError struct {
	Path   Pointer
	Reason string
}

func (e *TestFailedError) Error() string { return e.Reason }

// Is makes errors.Is(err, ErrTestFailed) true.
func (e *TestFailedError) Is(target error) bool { return target == ErrTestFailed }

// OpError places an operation's failure: which file, which operation, and
// the operation's full path. The custom message of the op's `error:` field,
// if any, comes first, as go-patch does.
type OpError struct {
	Source  string // ops file name, or "" for operations built in code
	Index   int
	Type    OpType
	Path    Pointer
	Message string // the op's `error:` field
	Err     error
}

func (e *OpError) Error() string {
	where := fmt.Sprintf("operation [%d] (%s '%s')", e.Index, e.Type, e.Path)
	if e.Source != "" {
		where = fmt.Sprintf("ops file '%s' %s", e.Source, where)
	}
	if e.Message != "" {
		return fmt.Sprintf("%s: Error '%s': %s", where, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", where, e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

func newMissingKeyError(key string, path Pointer, m map[string]any) *MissingKeyError {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return &MissingKeyError{Key: key, Path: path, Keys: keys}
}

// Kind names a YAML value's kind for error messages: "a map", "an array",
// "a string", "an integer", "null" and so on.
func Kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a map"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64:
		return "an integer"
	case float64:
		return "a float"
	default:
		return fmt.Sprintf("'%T'", v)
	}
}
