package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Table is tabular output, printed as the bosh CLI prints its tables: a
// title, a header row, aligned columns separated by two spaces, "-" for an
// empty cell, notes, and a footer counting the rows ("3 instances"). Cells
// may hold several lines. Rows are printed in the order given.
type Table struct {
	Title   string
	Content string // what the rows are, for the footer: "instances"
	Header  []string
	Rows    [][]string
	Notes   []string
	// Count is the number the footer reports when rows are not one per item
	// (instances --ps adds process rows); 0 counts the rows.
	Count int
	// FillFirstColumn repeats a first cell equal to the one above it; by
	// default it is printed as "~".
	FillFirstColumn bool
	// Transpose prints each row as "header value" lines (errand results).
	Transpose bool
}

const (
	emptyCell   = "-"
	ttyBorder   = "  "
	pipedBorder = "\t" // cut's default delimiter, as the bosh CLI uses when piped
)

func (t Table) count() int {
	if t.Count > 0 {
		return t.Count
	}
	return len(t.Rows)
}

// printTTY writes the table with its decorations.
func (t Table) printTTY(w io.Writer) error {
	var b strings.Builder
	if t.Title != "" {
		fmt.Fprintf(&b, "%s\n\n", t.Title)
	}
	var rows [][]string
	if t.Transpose {
		rows = t.transposed()
	} else {
		if len(t.Header) > 0 {
			rows = append(rows, t.Header)
		}
		rows = append(rows, t.dedupFirstColumn()...)
	}
	writeColumns(&b, rows, ttyBorder)
	if len(t.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.Notes {
			b.WriteString(n + "\n")
		}
	}
	if len(t.Header) > 0 && strings.TrimSpace(t.Content) != "" {
		fmt.Fprintf(&b, "\n%d %s\n", t.count(), t.Content)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// printPiped writes only the rows, tab separated, every first cell filled,
// for grep and cut.
func (t Table) printPiped(w io.Writer) error {
	var b strings.Builder
	rows := t.Rows
	if t.Transpose {
		rows = t.transposed()
	}
	writeColumns(&b, rows, pipedBorder)
	_, err := io.WriteString(w, b.String())
	return err
}

// transposed turns each row into header/value rows, items separated by an
// empty line (a row without cells).
func (t Table) transposed() [][]string {
	var rows [][]string
	for i, row := range t.Rows {
		if i > 0 {
			rows = append(rows, nil)
		}
		for j, cell := range row {
			if j < len(t.Header) {
				rows = append(rows, []string{t.Header[j], cell})
			}
		}
	}
	return rows
}

func (t Table) dedupFirstColumn() [][]string {
	if t.FillFirstColumn {
		return t.Rows
	}
	rows := make([][]string, len(t.Rows))
	for i, row := range t.Rows {
		rows[i] = row
		if i > 0 && len(row) > 0 && len(t.Rows[i-1]) > 0 && row[0] == t.Rows[i-1][0] {
			rows[i] = append([]string{"~"}, row[1:]...)
		}
	}
	return rows
}

// writeColumns aligns rows into columns. A cell of several lines spreads
// over several output lines; an empty cell prints as "-", a row without
// cells as an empty line. Every cell is padded to its column's width and
// followed by border.
func writeColumns(b *strings.Builder, rows [][]string, border string) {
	widths := map[int]int{}
	var lines [][]string
	for _, row := range rows {
		cells := make([][]string, len(row))
		height := 1
		for i, cell := range row {
			cells[i] = cellLines(cell)
			for _, l := range cells[i] {
				widths[i] = max(widths[i], len(l))
			}
			height = max(height, len(cells[i]))
		}
		for h := 0; h < height; h++ {
			line := make([]string, len(row))
			for i := range row {
				if h < len(cells[i]) {
					line[i] = cells[i][h]
				}
			}
			lines = append(lines, line)
		}
	}
	for _, line := range lines {
		for i, cell := range line {
			b.WriteString(cell + strings.Repeat(" ", widths[i]-len(cell)) + border)
		}
		b.WriteString("\n")
	}
}

func cellLines(cell string) []string {
	cell = strings.ReplaceAll(cell, "\r", "")
	if cell == "" {
		return []string{emptyCell}
	}
	return strings.Split(cell, "\n")
}

// jsonTable is a table as the bosh CLI's --json prints it: header titles
// keyed by their snake_case form, rows keyed the same way.
type jsonTable struct {
	Content string
	Header  map[string]string
	Rows    []map[string]string
	Notes   []string
}

func (t Table) asJSON() jsonTable {
	out := jsonTable{Content: t.Content, Header: map[string]string{}, Rows: []map[string]string{}, Notes: t.Notes}
	if out.Notes == nil {
		out.Notes = []string{}
	}
	for _, h := range t.Header {
		out.Header[headerKey(h)] = h
	}
	for _, row := range t.Rows {
		m := map[string]string{}
		for i, cell := range row {
			if i < len(t.Header) {
				m[headerKey(t.Header[i])] = cell
			}
		}
		out.Rows = append(out.Rows, m)
	}
	return out
}

// headerKey turns a column title into its JSON key: letters and digits
// lower-cased, every run of anything else one "_" ("Process State" ->
// "process_state", "Release(s)" -> "release_s").
func headerKey(title string) string {
	words := strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
	return strings.Join(words, "_")
}
