package health

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText prints the report as a table, one member a row, then the
// verdict and its reasons.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tID\tCLIENT URL\tLEADER\tLEARNER\tRAFT TERM\tRAFT INDEX\tAPPLIED\tREVISION\tDB SIZE\tIN USE\tALARMS\tHEALTH")
	for _, m := range r.Members {
		alarms := "-"
		if len(m.Alarms) > 0 {
			alarms = strings.Join(m.Alarms, ",")
		}
		state := "healthy"
		if !m.Healthy {
			state = "UNHEALTHY"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\n", m.Name, dash(m.ID), dash(m.ClientURL), yes(m.Leader), yes(m.Learner),
			m.RaftTerm, m.RaftIndex, m.AppliedIndex, m.Revision, Bytes(m.DBSize), Bytes(m.DBSizeInUse), alarms, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Healthy {
		_, err := fmt.Fprintf(w, "cluster %s is healthy: %d members\n", r.ClusterID, len(r.Members))
		return err
	}
	fmt.Fprintf(w, "cluster %s is NOT healthy:\n", dash(r.ClusterID))
	for _, p := range r.Problems {
		if _, err := fmt.Fprintf(w, "  - %s\n", p); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSON prints the report as one JSON document.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if r.Problems == nil {
		r.Problems = []string{}
	}
	for i := range r.Members {
		if r.Members[i].Alarms == nil {
			r.Members[i].Alarms = []string{}
		}
	}
	return enc.Encode(r)
}

// Bytes prints a size in binary units.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
