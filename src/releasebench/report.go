// Package releasebench holds what scripts/bench measures and prints: the
// release on a localbosh test director beside the same etcd binary run by
// hand with the same flags, each figure summarized over several runs.
package releasebench

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Stat is one figure over several runs.
type Stat struct {
	Runs   []float64 `json:"runs"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
}

// Summarize gives the median (the mean of the two middle values of an even
// count), min and max of values, keeping them in run order.
func Summarize(values []float64) Stat {
	s := Stat{Runs: append([]float64(nil), values...)}
	if len(values) == 0 {
		return s
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(sorted)
	s.Min, s.Max = sorted[0], sorted[n-1]
	if n%2 == 1 {
		s.Median = sorted[n/2]
	} else {
		s.Median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return s
}

// Figure is one line of the table: what the release did and, where there
// is one, what the hand-run baseline did in the same runs, and their ratio
// taken run by run (release / hand-run).
type Figure struct {
	Row     string `json:"row"`
	Metric  string `json:"metric"`
	Release Stat   `json:"release"`
	HandRun *Stat  `json:"hand_run,omitempty"`
	Ratio   *Stat  `json:"ratio,omitempty"`
}

// Report is the whole benchmark, as printed and as written to JSON.
type Report struct {
	Command     string   `json:"command"`
	Runs        int      `json:"runs"`
	Cores       int      `json:"cores"`
	EtcdVersion string   `json:"etcd_version"`
	WallSeconds float64  `json:"wall_seconds"`
	Notes       []string `json:"notes,omitempty"`
	Figures     []Figure `json:"figures"`
}

// Collector gathers each run's values into figures, in the order rows were
// first added.
type Collector struct {
	order []string
	byKey map[string]*series
}

type series struct {
	row, metric      string
	release, handRun []float64
	ratios           []float64
	paired           bool
}

// Add records one run's release value.
func (c *Collector) Add(row, metric string, release float64) {
	c.get(row, metric).release = append(c.get(row, metric).release, release)
}

// AddPair records one run's release value beside the hand-run one.
func (c *Collector) AddPair(row, metric string, release, handRun float64) {
	s := c.get(row, metric)
	s.paired = true
	s.release = append(s.release, release)
	s.handRun = append(s.handRun, handRun)
	if handRun != 0 {
		s.ratios = append(s.ratios, release/handRun)
	}
}

func (c *Collector) get(row, metric string) *series {
	if c.byKey == nil {
		c.byKey = map[string]*series{}
	}
	key := row + "\x00" + metric
	s, ok := c.byKey[key]
	if !ok {
		s = &series{row: row, metric: metric}
		c.byKey[key] = s
		c.order = append(c.order, key)
	}
	return s
}

// Figures summarizes what was added.
func (c *Collector) Figures() []Figure {
	var out []Figure
	for _, key := range c.order {
		s := c.byKey[key]
		f := Figure{Row: s.row, Metric: s.metric, Release: Summarize(s.release)}
		if s.paired {
			h := Summarize(s.handRun)
			f.HandRun = &h
			if len(s.ratios) > 0 {
				r := Summarize(s.ratios)
				f.Ratio = &r
			}
		}
		out = append(out, f)
	}
	return out
}

// Counts: metrics whose ratio says nothing (a count of operations scales
// with the time it ran; failures and verdicts are read side by side).
const (
	MetricAttempted    = "operations attempted"
	MetricFailed       = "failed"
	MetricLost         = "acknowledged writes lost"
	MetricLinearizable = "linearizable (1 = ok)"
	MetricFailedWrites = "failed writes"
)

var counts = map[string]bool{MetricAttempted: true, MetricFailed: true, MetricLost: true,
	MetricLinearizable: true, MetricFailedWrites: true}

// Normalize orders the figures by the number their row starts with
// ("1. ...", keeping the order within a number) and drops the ratios of
// counts.
func (r *Report) Normalize() {
	slices.SortStableFunc(r.Figures, func(a, b Figure) int { return cmp.Compare(rowNumber(a.Row), rowNumber(b.Row)) })
	for i := range r.Figures {
		if counts[r.Figures[i].Metric] {
			r.Figures[i].Ratio = nil
		}
	}
}

// rowNumber is the number a row's name starts with, or a large one.
func rowNumber(row string) int {
	digits, _, _ := strings.Cut(row, ".")
	n, err := strconv.Atoi(digits)
	if err != nil {
		return math.MaxInt
	}
	return n
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a Markdown table: each cell the median
// with (min - max) when runs differ; a row's name is printed once for its
// metrics.
func (r Report) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "etcd v%s, %d cores, %d runs each (median, with min - max), %.0f s wall\n\n",
		r.EtcdVersion, r.Cores, r.Runs, r.WallSeconds)
	b.WriteString("| row | metric | release on localbosh | etcd by hand, same flags | ratio |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: |\n")
	prev := ""
	for _, f := range r.Figures {
		row := f.Row
		if row == prev {
			row = ""
		}
		prev = f.Row
		hand, ratio := "", ""
		if f.HandRun != nil {
			hand = Cell(*f.HandRun)
		}
		if f.Ratio != nil {
			ratio = Cell(*f.Ratio) + "x"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", row, f.Metric, Cell(f.Release), hand, ratio)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "\n- %s", n)
	}
	if len(r.Notes) > 0 {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Cell is a stat as the table prints it.
func Cell(s Stat) string {
	if len(s.Runs) == 0 {
		return "-"
	}
	if s.Min == s.Max {
		return Number(s.Median)
	}
	return fmt.Sprintf("%s (%s - %s)", Number(s.Median), Number(s.Min), Number(s.Max))
}

// Number prints whole numbers without decimals, others with two
// significant decimals at most.
func Number(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return strconv.FormatFloat(v, 'f', -1, 64)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}
