package director

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ErrandRequest is the body of POST /deployments/:d/errands/:e/runs.
type ErrandRequest struct {
	KeepAlive   bool `json:"keep-alive"`
	WhenChanged bool `json:"when-changed"`
	// Instances limits the run to these instances; empty runs on all.
	Instances []InstanceSlug `json:"instances"`
}

// InstanceSlug names an instance group, or one instance of it by ID or index.
type InstanceSlug struct {
	Group string `json:"group"`
	ID    string `json:"id,omitempty"`
}

// String is "group" or "group/id", as the bosh CLI prints slugs.
func (s InstanceSlug) String() string {
	if s.ID == "" {
		return s.Group
	}
	return s.Group + "/" + s.ID
}

// UnmarshalJSON accepts the object form and the "group/id" string form that
// older bosh CLIs send.
func (s *InstanceSlug) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		group, id, _ := strings.Cut(text, "/")
		if group == "" {
			return fmt.Errorf("instance %q has no instance group: use \"group\" or \"group/id\"", text)
		}
		*s = InstanceSlug{Group: group, ID: id}
		return nil
	}
	type plain InstanceSlug
	var obj plain
	if err := json.Unmarshal(data, &obj); err != nil {
		return fmt.Errorf("reading instance %s: expected {\"group\":..,\"id\":..} or \"group/id\": %w", data, err)
	}
	*s = InstanceSlug(obj)
	return nil
}

// ErrandResult is one JSON line of a run-errand task's result, one per instance.
type ErrandResult struct {
	Instance   InstanceSlug `json:"instance"`
	ErrandName string       `json:"errand_name"`
	ExitCode   int          `json:"exit_code"`
	Stdout     string       `json:"stdout"`
	Stderr     string       `json:"stderr"`
	Logs       ErrandLogs   `json:"logs"`
}

// ErrandLogs points at the errand's logs in the blobstore, if fetched.
type ErrandLogs struct {
	BlobstoreID string `json:"blobstore_id"`
	SHA1        string `json:"sha1"`
}

// ErrandSummary is the task result of a run-errand task:
// "N succeeded, N errored, N canceled". Exit codes 1-128 are errors, above
// 128 (killed by a signal) cancellations.
func ErrandSummary(results []ErrandResult) string {
	var ok, errored, canceled int
	for _, r := range results {
		switch {
		case r.ExitCode == 0:
			ok++
		case r.ExitCode > 128:
			canceled++
		default:
			errored++
		}
	}
	return fmt.Sprintf("%d succeeded, %d errored, %d canceled", ok, errored, canceled)
}
