package cli

import (
	"io"
	"log/slog"
)

// newLogger writes JSON lines with the keys time, level, message and data,
// the event's details grouped under data.
func newLogger(w io.Writer) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.MessageKey {
				a.Key = "message"
			}
			return a
		},
	})
	return slog.New(h).WithGroup("data")
}
