package cli

import (
	"errors"
	"fmt"
	"strings"
)

// UsageError is a command line the CLI cannot run: an unknown command or
// flag, a missing or extra argument. Its message is worded as the bosh CLI
// words them.
type UsageError struct {
	Message string
}

func (e *UsageError) Error() string { return e.Message }

func usageErrorf(format string, args ...any) error {
	return &UsageError{Message: fmt.Sprintf(format, args...)}
}

// multilineError prints an error chain one step per line, each indented
// under the step that failed, as the bosh CLI prints wrapped errors:
//
//	Evaluating manifest:
//	  reading variables file (-l):
//	    open vars.yml: no such file or directory
//
// The last step stays on one line with its cause (a cause such as "no such
// file or directory" reads badly alone).
func multilineError(err error) string {
	var b strings.Builder
	indent := ""
	for err != nil {
		inner := errors.Unwrap(err)
		msg := err.Error()
		if inner != nil && errors.Unwrap(inner) != nil {
			if step, ok := strings.CutSuffix(msg, ": "+inner.Error()); ok {
				b.WriteString(indent + step + ":\n")
				indent += "  "
				err = inner
				continue
			}
		}
		b.WriteString(indent + strings.ReplaceAll(msg, "\n", "\n"+indent))
		break
	}
	return b.String()
}
