package render

import (
	"errors"
	"fmt"
	"strings"
)

// ErrRubyNotFound means the ruby binary that evaluates ERB is not installed.
var ErrRubyNotFound = errors.New("ruby not found")

// TemplateError is one template that failed to render, worded as the BOSH
// director words it.
type TemplateError struct {
	Source  string // template path under the job's templates/, or "monit"
	Line    int    // line in the template; 0 when Ruby did not say
	Message string // Ruby's message, e.g. Can't find property '["etcd.ca_cert"]'
}

func (e TemplateError) Error() string {
	line := "(unknown)"
	if e.Line > 0 {
		line = fmt.Sprint(e.Line)
	}
	return fmt.Sprintf("Error filling in template '%s' (line %s: %s)", e.Source, line, e.Message)
}

// JobError groups every failing template of one job, as BOSH does.
type JobError struct {
	Job       string
	Templates []TemplateError
}

func (e *JobError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Unable to render templates for job '%s'. Errors are:", e.Job)
	for _, t := range e.Templates {
		// Continuation lines of a multi-line message stay under their item.
		b.WriteString("\n  - ")
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(t.Error()), "\n", "\n    "))
	}
	return b.String()
}
