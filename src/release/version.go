package release

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// version is a release version as bosh-cli numbers them: dot-separated
// release numbers ("1", "12.3") and, for dev releases, a "+dev.N"
// post-release segment. A post-release sorts after its release: 1 < 1+dev.1 < 2.
type version struct {
	release []int
	dev     int // 0 for a final version
}

func parseVersion(s string) (version, error) {
	relPart, devPart, hasDev := strings.Cut(s, "+")
	var v version
	for _, seg := range strings.Split(relPart, ".") {
		n, err := strconv.Atoi(seg)
		if err != nil || n < 0 {
			return version{}, fmt.Errorf("release version %q: %q is not a non-negative integer", s, seg)
		}
		v.release = append(v.release, n)
	}
	if hasDev {
		num, ok := strings.CutPrefix(devPart, "dev.")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 1 {
			return version{}, fmt.Errorf("release version %q: post-release must be dev.N with N >= 1", s)
		}
		v.dev = n
	}
	return v, nil
}

func (v version) String() string {
	segs := make([]string, len(v.release))
	for i, n := range v.release {
		segs[i] = strconv.Itoa(n)
	}
	s := strings.Join(segs, ".")
	if v.dev > 0 {
		s += "+dev." + strconv.Itoa(v.dev)
	}
	return s
}

// compare returns -1, 0 or 1 as v sorts before, equal to or after o.
func (v version) compare(o version) int {
	for i := 0; i < max(len(v.release), len(o.release)); i++ {
		a, b := segment(v.release, i), segment(o.release, i)
		if a != b {
			return cmp.Compare(a, b)
		}
	}
	return cmp.Compare(v.dev, o.dev)
}

// nextDev is the dev version bosh-cli creates after v: 3 -> 3+dev.1, 3+dev.1 -> 3+dev.2.
func (v version) nextDev() version {
	return version{release: v.release, dev: v.dev + 1}
}

// nextFinal is the final version after v: its last release number plus one.
func (v version) nextFinal() version {
	rel := append([]int(nil), v.release...)
	rel[len(rel)-1]++
	return version{release: rel}
}

func segment(segs []int, i int) int {
	if i < len(segs) {
		return segs[i]
	}
	return 0
}

// CompareVersions orders two release versions as bosh does (1 < 1+dev.1 <
// 2): -1, 0 or 1. It fails on a version that is not of that form.
func CompareVersions(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}
