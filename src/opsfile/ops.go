// Package opsfile applies BOSH operations files (go-patch semantics, as the
// bosh CLI's --ops-file does) to YAML documents decoded by gopkg.in/yaml.v3
// into generic values: map[string]any, []any and scalars.
//
// Where go-patch's behaviour is surprising it is kept, so ops files behave
// as with the bosh CLI: the path "/" is the map key "" (the root is ""),
// key=value matches only string values, unknown fields of an operation
// are ignored, and `value: null` is no value (a replace with it fails).
package opsfile

import (
	"errors"
	"fmt"
	"reflect"
)

// OpType is an operation's `type:`.
type OpType string

// The operation types the bosh CLI accepts.
const (
	Replace OpType = "replace"
	Remove  OpType = "remove"
	Test    OpType = "test"
)

// Op is one operation of an ops file.
type Op struct {
	Type   OpType
	Path   Pointer
	Value  any    // replace: the new value; test: the expected value
	Absent bool   // test: expect Path not to exist
	Error  string // custom message reported when the operation fails

	Source string // file the operation came from, for errors
	Index  int    // position in that file, for errors
}

// Ops is a sequence of operations, applied in order; several ops files
// given with -o concatenate into one Ops.
type Ops []Op

// Apply returns doc with every operation applied. doc itself is not changed.
func (ops Ops) Apply(doc any) (any, error) {
	result := Clone(doc)
	for _, op := range ops {
		var err error
		if result, err = op.applyInPlace(result); err != nil {
			return nil, err
		}
	}
	return result, nil
}

// Apply returns doc with this operation applied. doc itself is not changed.
func (op Op) Apply(doc any) (any, error) {
	return op.applyInPlace(Clone(doc))
}

// applyInPlace applies the operation to a document this package owns (a
// clone), which it may edit.
func (op Op) applyInPlace(doc any) (any, error) {
	var result any
	var err error
	switch op.Type {
	case Replace:
		result, err = replaceAt(doc, op.Path, 0, op.Value)
	case Remove:
		result, err = removeAt(doc, op.Path, 0)
	case Test:
		result, err = doc, op.test(doc)
	default:
		err = fmt.Errorf("unknown operation type '%s'; use replace, remove or test", op.Type)
	}
	if err != nil {
		return nil, &OpError{Source: op.Source, Index: op.Index, Type: op.Type, Path: op.Path, Message: op.Error, Err: err}
	}
	return result, nil
}

func (op Op) test(doc any) error {
	found, err := findAt(doc, op.Path, 0)
	if op.Absent {
		return op.expectAbsent(err)
	}
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(found, Clone(op.Value)) {
		return &TestFailedError{Path: op.Path, Reason: "Found value does not match expected value"}
	}
	return nil
}

// expectAbsent passes when the lookup failed exactly at the last token
// because the key or index is missing; a missing parent is still an error.
func (op Op) expectAbsent(findErr error) error {
	if findErr == nil {
		return &TestFailedError{Path: op.Path, Reason: fmt.Sprintf("Expected to not find '%s'", op.Path)}
	}
	var missingKey *MissingKeyError
	if errors.As(findErr, &missingKey) && missingKey.Path.String() == op.Path.String() {
		return nil
	}
	var missingIndex *MissingIndexError
	if errors.As(findErr, &missingIndex) && missingIndex.Path.String() == op.Path.String() {
		return nil
	}
	return findErr
}
