// Package etcdversion reads etcd versions and holds etcd's rules for moving
// a cluster from one minor version to another.
package etcdversion

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Version is an etcd major.minor.patch version.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// MinorString is major.minor, as etcd's downgrade API takes it.
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// Less orders versions.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

// SameMinor reports whether v and w share major and minor.
func (v Version) SameMinor(w Version) bool { return v.Major == w.Major && v.Minor == w.Minor }

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.(\d+))?`)

// Parse reads "3.6.16", "v3.7.3", "3.6" (patch 0) and ignores anything after
// the patch (pre-release tags).
func Parse(s string) (Version, error) {
	m := versionRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("%q is not an etcd version (major.minor.patch)", s)
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, nil
}

// MustParse is Parse for constants.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

// upgradeFloor is, per target minor, the oldest version every member must
// run before the first member moves to that minor (etcd's upgrade guides).
var upgradeFloor = map[Version]Version{
	{3, 7, 0}: {3, 6, 11},
}

// UpgradeFloor is the oldest version a member may run while the cluster
// moves to to's minor: the floor etcd names for that minor, or the previous
// minor's first release.
func UpgradeFloor(to Version) Version {
	if f, ok := upgradeFloor[Version{to.Major, to.Minor, 0}]; ok {
		return f
	}
	return Version{to.Major, max(to.Minor-1, 0), 0}
}

// OfBinary runs `etcd --version` and reads the version it prints.
func OfBinary(ctx context.Context, path string) (Version, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return Version{}, fmt.Errorf("running %s --version: %w", path, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "etcd Version:"); ok {
			return Parse(rest)
		}
	}
	return Version{}, fmt.Errorf("%s --version printed no \"etcd Version:\" line: %q", path, out)
}
