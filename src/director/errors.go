package director

import (
	"errors"
	"fmt"
	"net/http"
)

// Director error codes (bosh-director errors.rb) that localbosh uses.
const (
	CodeDirectorError                     = 100
	CodeTaskNotFound                      = 10000
	CodeTaskCancelled                     = 10001
	CodeTaskUnexpectedState               = 10002
	CodeReleaseInvalidArchive             = 30002
	CodeReleaseNotFound                   = 30005
	CodeReleaseSHA1Mismatch               = 30015
	CodeValidationInvalidType             = 40000
	CodeValidationMissingField            = 40001
	CodeValidationInvalidValue            = 40005
	CodeStemcellNotFound                  = 50003
	CodeDeploymentNotFound                = 70000
	CodeInstanceNotFound                  = 70001
	CodeJobNotFound                       = 70009
	CodeContextIDViolatedMax              = 70010
	CodeResourceNotFound                  = 100002
	CodeInvalidInstanceState              = 140008
	CodeCloudcheckResolutionNotProvided   = 410002
	CodeCloudcheckInvalidResolutionFormat = 410003
	CodeBadManifest                       = 440001
	CodeSystemError                       = 500000
	CodeRunErrandError                    = 510000
)

// Error is a director error: the JSON body {code, description} of a failed
// request, with the HTTP status it came with.
type Error struct {
	StatusCode  int    `json:"-"`
	Code        int    `json:"code"`
	Description string `json:"description"`
}

// NewError makes an Error for a server to send.
func NewError(status, code int, format string, args ...any) *Error {
	return &Error{StatusCode: status, Code: code, Description: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Code == 0 {
		return fmt.Sprintf("director responded %d %s: %s", e.StatusCode, http.StatusText(e.StatusCode), e.Description)
	}
	return fmt.Sprintf("director error %d (HTTP %d): %s", e.Code, e.StatusCode, e.Description)
}

// ErrorCode returns the director error code carried by err, or 0.
func ErrorCode(err error) int {
	var de *Error
	if errors.As(err, &de) {
		return de.Code
	}
	return 0
}

// DeploymentNotFound is the director's error for an unknown deployment.
func DeploymentNotFound(name string) *Error {
	return NewError(http.StatusNotFound, CodeDeploymentNotFound, "Deployment '%s' doesn't exist", name)
}

// TaskError is a task that ended in a state other than done.
type TaskError struct {
	ID     int
	State  string
	Result string
}

func (e *TaskError) Error() string {
	msg := fmt.Sprintf("task %d ended in state '%s'", e.ID, e.State)
	if e.Result != "" {
		msg += ": " + e.Result
	}
	return msg + fmt.Sprintf("; the task's debug output has details (`task %d --debug`)", e.ID)
}

// ErrConfigNotFound is returned by LatestConfig when no config of that type and name exists.
var ErrConfigNotFound = errors.New("config not found")
