package vm

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// mountEntry is one line of /proc/<pid>/mountinfo.
type mountEntry struct {
	Point   string // where it is mounted
	FSType  string
	Root    string // the mounted path within its filesystem; "mnt:[4026531841]" for a namespace file
	Options string // per-mount options: "rw,nosuid,relatime"
}

// parseMountinfo reads the mountinfo format (proc(5)): the fifth field is
// the mount point with spaces and tabs octal-escaped, and the filesystem
// type follows the " - " separator.
func parseMountinfo(r io.Reader) ([]mountEntry, error) {
	var entries []mountEntry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		before, after, ok := strings.Cut(line, " - ")
		fields := strings.Fields(before)
		if !ok || len(fields) < 5 {
			return nil, fmt.Errorf("parsing mountinfo line %q: expected at least 5 fields and a ' - ' separator", line)
		}
		entry := mountEntry{Point: unescapeMountField(fields[4]), Root: unescapeMountField(fields[3]), Options: fields[5]}
		if post := strings.Fields(after); len(post) > 0 {
			entry.FSType = post[0]
		}
		entries = append(entries, entry)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mountinfo: %w", err)
	}
	return entries, nil
}

// unescapeMountField undoes the kernel's \ooo escaping of space, tab,
// newline and backslash.
func unescapeMountField(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// hostMounts lists the director's own mounts, as the calling thread sees
// them. /proc/self is the main thread's view, and the main thread may sit
// in a VM's mount namespace: a goroutine that entered one to attach a disk
// (mountInto) ends locked to its thread, and when that thread is the main
// one the runtime parks it there instead of ending it. Read that way, the
// namespace directory looked unmounted and was bind-mounted again on top,
// hiding every VM's namespace files.
func hostMounts() ([]mountEntry, error) {
	f, err := os.Open("/proc/thread-self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("listing host mounts: %w", err)
	}
	defer f.Close()
	return parseMountinfo(f)
}

// isMountPoint reports whether path is a mount point in entries.
func isMountPoint(entries []mountEntry, path string) bool {
	for _, e := range entries {
		if e.Point == path {
			return true
		}
	}
	return false
}

// mountsUnder lists the mount points at or below dir, deepest first, the
// order in which they can be unmounted.
func mountsUnder(entries []mountEntry, dir string) []string {
	var points []string
	for _, e := range entries {
		if isUnder(e.Point, dir) {
			points = append(points, e.Point)
		}
	}
	// Reverse mount order unmounts children before their parents.
	for i, j := 0, len(points)-1; i < j; i, j = i+1, j-1 {
		points[i], points[j] = points[j], points[i]
	}
	return points
}

// isUnder reports whether path is dir or inside it.
func isUnder(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}
