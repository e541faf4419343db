package manifest

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every error this package returns wraps one.
var (
	ErrInvalidManifest     = errors.New("invalid deployment manifest")
	ErrInvalidCloudConfig  = errors.New("invalid cloud config")
	ErrUnresolvedVariables = errors.New("unresolved variables")
	ErrIPAllocation        = errors.New("cannot allocate IPs")
	ErrInvalidState        = errors.New("invalid deployment state")
	ErrLinks               = errors.New("cannot resolve links")
)

// Problem is one thing wrong in a document, located as precisely as the
// document allows.
type Problem struct {
	// Path names the place as operators read it, with instance group and job
	// names: "instance_groups[1] (etcd)". Empty for the top level.
	Path string
	// Pointer is the same place as an ops-file path: "/instance_groups/1/instances".
	Pointer string
	// Line is the line of the offending key or value, 0 when unknown.
	Line    int
	Message string
}

func (p Problem) String() string {
	s := p.Message
	if p.Path != "" {
		s = p.Path + ": " + s
	}
	if p.Line > 0 {
		s += fmt.Sprintf(" (line %d)", p.Line)
	}
	return s
}

// ValidationError lists everything wrong with a document at once, so one
// edit can fix them all.
type ValidationError struct {
	Document string // "deployment manifest" or "cloud config"
	Problems []Problem
	kinds    []error
}

func (e *ValidationError) Error() string {
	prefix := e.kinds[0].Error()
	if len(e.Problems) == 1 {
		return prefix + ": " + e.Problems[0].String()
	}
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = "  - " + p.String()
	}
	return fmt.Sprintf("%s (%d problems):\n%s", prefix, len(e.Problems), strings.Join(lines, "\n"))
}

// Unwrap lets errors.Is find ErrInvalidManifest or ErrInvalidCloudConfig, and
// ErrUnresolvedVariables when that is what is wrong.
func (e *ValidationError) Unwrap() []error { return e.kinds }

// Warning is something BOSH accepts but that is probably a mistake or is
// deprecated. Type is "warning" or "deprecation", as in BOSH task output.
type Warning struct {
	Type    string
	Message string
}

const (
	warningType     = "warning"
	deprecationType = "deprecation"
)
