package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// UI is where commands print, with the bosh CLI's kinds of output: lines
// (messages such as "Using deployment 'etcd'"), blocks (raw text such as
// task events and manifests) and tables. The text UI separates output of
// different kinds with blank lines; --json collects everything into one
// document; piped output without --tty keeps only blocks, tables and errors.
type UI interface {
	// PrintLinef prints a message line.
	PrintLinef(format string, args ...any)
	// ErrorLinef prints an error line on stderr.
	ErrorLinef(format string, args ...any)
	// BeginLinef and EndLinef print the start and the end of a line built
	// in pieces ("Task 12", then ". Done").
	BeginLinef(format string, args ...any)
	EndLinef(format string, args ...any)
	// PrintBlock prints text as it is.
	PrintBlock(block string)
	// PrintErrorBlock prints text as it is (errors inside task output).
	PrintErrorBlock(block string)
	PrintTable(t Table)
	// AskForConfirmation asks "Continue? [yN]" unless non-interactive; an
	// answer other than yes is an error.
	AskForConfirmation() error
	// IsInteractive reports whether the UI may ask questions.
	IsInteractive() bool
	// Flush writes what the UI holds back (the --json document).
	Flush()
}

// ErrStopped is returned when the user does not confirm.
var ErrStopped = errors.New("stopped")

// paddingMode is the kind of the last output, to put blank lines between
// kinds as the bosh CLI does.
type paddingMode int

const (
	padNone paddingMode = iota
	padRaw              // pieces of lines and blocks: never separated
	padAuto             // lines and tables: separated from anything before
)

// textUI prints for people. Without a TTY (and --tty) it prints only
// blocks, bare tables and errors, as the bosh CLI does for pipes.
type textUI struct {
	out, errOut io.Writer
	in          *bufio.Reader
	tty         bool
	interactive bool
	prev        paddingMode
}

func newTextUI(out, errOut io.Writer, in io.Reader, tty, interactive bool) *textUI {
	return &textUI{out: out, errOut: errOut, in: bufio.NewReader(in), tty: tty, interactive: interactive}
}

func (u *textUI) pad(mode paddingMode) {
	if u.prev != padNone && (u.prev != padRaw || mode != padRaw) {
		fmt.Fprintln(u.out)
	}
	u.prev = mode
}

func (u *textUI) PrintLinef(format string, args ...any) {
	if !u.tty {
		return
	}
	u.pad(padAuto)
	fmt.Fprintf(u.out, format+"\n", args...)
}

func (u *textUI) ErrorLinef(format string, args ...any) {
	u.pad(padAuto)
	fmt.Fprintf(u.errOut, format+"\n", args...)
}

func (u *textUI) BeginLinef(format string, args ...any) {
	if !u.tty {
		return
	}
	u.pad(padRaw)
	fmt.Fprintf(u.out, format, args...)
}

func (u *textUI) EndLinef(format string, args ...any) {
	if !u.tty {
		return
	}
	u.pad(padRaw)
	fmt.Fprintf(u.out, format+"\n", args...)
}

func (u *textUI) PrintBlock(block string) {
	u.pad(padRaw)
	io.WriteString(u.out, block)
}

func (u *textUI) PrintErrorBlock(block string) { u.PrintBlock(block) }

func (u *textUI) PrintTable(t Table) {
	u.pad(padAuto)
	if u.tty {
		t.printTTY(u.out)
	} else {
		t.printPiped(u.out)
	}
}

func (u *textUI) AskForConfirmation() error {
	if !u.interactive {
		return nil
	}
	u.pad(padAuto)
	fmt.Fprint(u.out, "Continue? [yN]: ")
	answer, err := u.in.ReadString('\n')
	if err != nil && answer == "" {
		return fmt.Errorf("asking for confirmation: no answer on standard input (%v); pass -n to skip the question", err)
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	default:
		return ErrStopped
	}
}

func (u *textUI) IsInteractive() bool { return u.interactive }

func (u *textUI) Flush() {}
