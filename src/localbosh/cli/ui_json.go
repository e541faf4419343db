package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// jsonUI collects all output into one JSON document printed by Flush, in
// the bosh CLI's --json shape:
//
//	{"Tables": [{"Content", "Header", "Rows", "Notes"}], "Blocks": [...], "Lines": [...]}
//
// Error lines join the Lines. It never asks questions.
type jsonUI struct {
	out io.Writer
	doc jsonDocument
}

type jsonDocument struct {
	Tables []jsonTable
	Blocks []string
	Lines  []string
}

func newJSONUI(out io.Writer) *jsonUI {
	return &jsonUI{out: out, doc: jsonDocument{Tables: []jsonTable{}, Blocks: []string{}, Lines: []string{}}}
}

func (u *jsonUI) line(format string, args []any) {
	u.doc.Lines = append(u.doc.Lines, fmt.Sprintf(format, args...))
}

func (u *jsonUI) PrintLinef(format string, args ...any) { u.line(format, args) }
func (u *jsonUI) ErrorLinef(format string, args ...any) { u.line(format, args) }
func (u *jsonUI) BeginLinef(format string, args ...any) { u.line(format, args) }
func (u *jsonUI) EndLinef(format string, args ...any)   { u.line(format, args) }
func (u *jsonUI) PrintBlock(block string)               { u.doc.Blocks = append(u.doc.Blocks, block) }
func (u *jsonUI) PrintErrorBlock(block string)          { u.PrintBlock(block) }
func (u *jsonUI) PrintTable(t Table)                    { u.doc.Tables = append(u.doc.Tables, t.asJSON()) }
func (u *jsonUI) AskForConfirmation() error             { return nil }
func (u *jsonUI) IsInteractive() bool                   { return false }

func (u *jsonUI) Flush() {
	// Strings, slices and maps of strings only: encoding cannot fail.
	data, _ := json.MarshalIndent(u.doc, "", "    ")
	u.out.Write(append(data, '\n'))
}
