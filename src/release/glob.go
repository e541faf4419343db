package release

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// errGlobEscapes is returned for a files pattern that climbs out of src/ or blobs/.
var errGlobEscapes = errors.New("pattern leaves the directory it is matched in")

// globRel returns the paths, relative to base and slash-separated, that a
// package spec pattern matches under base. It follows bosh-cli, which uses
// doublestar v1 and then drops what it calls unpackageable files
// (release/pkg/dir_reader.go):
//
//   - "*", "?" and "[...]" match within one path component, dot files
//     included; "{a,b}" is either alternative; a "**" component matches zero
//     or more directories, and as the last component everything below.
//   - Symlinks are tracked literally, never resolved (bosh-cli >= 5.0.1): a
//     symlink the pattern matches, to a file or a directory, is packaged as a
//     symlink, and nothing is ever found through a symlinked directory (bosh-cli
//     finds such files but then discards them because their resolved path
//     differs). So `src/acceptance-tests -> ../acceptance-tests` with the
//     pattern `acceptance-tests/**/*` matches nothing. Only base itself (src/
//     or blobs/) may be a symlink: it is resolved first. (bosh-cli resolves
//     src/ too but would drop every blob if blobs/ were a symlink.)
//   - Directories are returned too; the caller drops them, as bosh-cli does.
//
// A pattern that base does not exist for simply matches nothing.
func globRel(base, pattern string) ([]string, error) {
	var alternatives [][]string
	for _, p := range expandBraces(pattern) {
		comps, err := patternComponents(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
		alternatives = append(alternatives, comps)
	}
	resolved, err := filepath.EvalSymlinks(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", base, err)
	}
	g := globber{base: resolved, found: map[string]bool{}}
	for _, comps := range alternatives {
		if err := g.match("", comps); err != nil {
			return nil, fmt.Errorf("pattern %q: %w", pattern, err)
		}
	}
	return slices.Sorted(maps.Keys(g.found)), nil
}

// patternComponents cleans a pattern as filepath.Join would (bosh-cli joins
// it onto src/ and blobs/) and splits it into path components.
func patternComponents(pattern string) ([]string, error) {
	const base = "base"
	joined := path.Join(base, pattern)
	if joined == base {
		return nil, nil
	}
	rel, inside := strings.CutPrefix(joined, base+"/")
	if !inside {
		return nil, errGlobEscapes
	}
	return strings.Split(rel, "/"), nil
}

type globber struct {
	base  string
	found map[string]bool
}

// match finds the entries under rel (a real directory) that comps match.
func (g *globber) match(rel string, comps []string) error {
	if len(comps) == 0 {
		if rel != "" {
			g.found[rel] = true
		}
		return nil
	}
	c, rest := comps[0], comps[1:]
	if c == "**" {
		return g.matchDoubleStar(rel, rest)
	}
	if !strings.ContainsAny(c, `*?[\`) {
		next := path.Join(rel, c)
		if len(rest) == 0 {
			if _, err := os.Lstat(g.abs(next)); err == nil {
				g.found[next] = true
			}
			return nil
		}
		if g.isRealDir(next) {
			return g.match(next, rest)
		}
		return nil
	}
	names, err := g.list(rel)
	if err != nil {
		return err
	}
	for _, name := range names {
		ok, err := path.Match(c, name)
		if err != nil {
			return fmt.Errorf("component %q: %w", c, err)
		}
		if !ok {
			continue
		}
		next := path.Join(rel, name)
		if len(rest) == 0 {
			g.found[next] = true
		} else if g.isRealDir(next) {
			if err := g.match(next, rest); err != nil {
				return err
			}
		}
	}
	return nil
}

// matchDoubleStar handles a "**" component followed by rest.
func (g *globber) matchDoubleStar(rel string, rest []string) error {
	if len(rest) > 0 {
		// "**" standing for zero directories.
		if err := g.match(rel, rest); err != nil {
			return err
		}
	}
	names, err := g.list(rel)
	if err != nil {
		return err
	}
	for _, name := range names {
		next := path.Join(rel, name)
		if len(rest) == 0 {
			g.found[next] = true
		}
		if g.isRealDir(next) {
			if err := g.matchDoubleStar(next, rest); err != nil {
				return err
			}
		}
	}
	return nil
}

func (g *globber) abs(rel string) string {
	return filepath.Join(g.base, filepath.FromSlash(rel))
}

// isRealDir is true for a directory that is not reached through a symlink at its last component.
func (g *globber) isRealDir(rel string) bool {
	info, err := os.Lstat(g.abs(rel))
	return err == nil && info.IsDir()
}

func (g *globber) list(rel string) ([]string, error) {
	entries, err := os.ReadDir(g.abs(rel))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", g.abs(rel), err)
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// expandBraces turns "a/{b,c}/d" into "a/b/d" and "a/c/d", as doublestar's
// "{...}" alternatives match. Alternatives do not nest, as in doublestar v1.
func expandBraces(pattern string) []string {
	open := indexUnescaped(pattern, '{')
	if open < 0 {
		return []string{pattern}
	}
	end := indexUnescaped(pattern[open:], '}')
	if end < 0 {
		return []string{pattern}
	}
	end += open
	var out []string
	for _, alt := range strings.Split(pattern[open+1:end], ",") {
		out = append(out, expandBraces(pattern[:open]+alt+pattern[end+1:])...)
	}
	return out
}

func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			return i
		}
	}
	return -1
}
