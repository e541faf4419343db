package manifest

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// UpdateSpec is an update block as written. Canaries and MaxInFlight are a
// whole number or "N%"; watch times are milliseconds, "N" or "min-max". A nil
// field was not given: in an instance group it falls back to the deployment's.
type UpdateSpec struct {
	Canaries        any
	MaxInFlight     any
	CanaryWatchTime any
	UpdateWatchTime any
	Serial          *bool
}

// UpdateSettings are an instance group's update settings, resolved for its size.
type UpdateSettings struct {
	Canaries    int
	MaxInFlight int // at least 1
	CanaryWatch WatchWindow
	UpdateWatch WatchWindow
	// Serial: this group waits for the groups before it (the default);
	// false lets it update alongside them.
	Serial bool
}

// WatchWindow is how long the director waits for an updated instance to run:
// it sleeps Min, then polls until Max.
type WatchWindow struct {
	Min, Max time.Duration
}

// Over returns base with the fields s sets replacing base's: an instance
// group's update block over the deployment's.
func (s UpdateSpec) Over(base UpdateSpec) UpdateSpec {
	out := base
	if s.Canaries != nil {
		out.Canaries = s.Canaries
	}
	if s.MaxInFlight != nil {
		out.MaxInFlight = s.MaxInFlight
	}
	if s.CanaryWatchTime != nil {
		out.CanaryWatchTime = s.CanaryWatchTime
	}
	if s.UpdateWatchTime != nil {
		out.UpdateWatchTime = s.UpdateWatchTime
	}
	if s.Serial != nil {
		out.Serial = s.Serial
	}
	return out
}

// Resolve computes the settings for a group of size instances.
func (s UpdateSpec) Resolve(size int) (UpdateSettings, error) {
	canaries, err := Canaries(s.Canaries, size)
	if err != nil {
		return UpdateSettings{}, fmt.Errorf("'canaries' %w", err)
	}
	maxInFlight, err := MaxInFlight(s.MaxInFlight, size)
	if err != nil {
		return UpdateSettings{}, fmt.Errorf("'max_in_flight' %w", err)
	}
	canaryMin, canaryMax, err := WatchTime(s.CanaryWatchTime)
	if err != nil {
		return UpdateSettings{}, fmt.Errorf("'canary_watch_time' %w", err)
	}
	updateMin, updateMax, err := WatchTime(s.UpdateWatchTime)
	if err != nil {
		return UpdateSettings{}, fmt.Errorf("'update_watch_time' %w", err)
	}
	return UpdateSettings{
		Canaries:    canaries,
		MaxInFlight: maxInFlight,
		CanaryWatch: WatchWindow{Min: canaryMin, Max: canaryMax},
		UpdateWatch: WatchWindow{Min: updateMin, Max: updateMax},
		Serial:      s.Serial == nil || *s.Serial,
	}, nil
}

// Canaries computes how many canaries a group of size instances gets from a
// manifest value: a whole number, or "N%" = floor(N*size/100), at most size.
func Canaries(value any, size int) (int, error) {
	return instanceCount(value, size)
}

// MaxInFlight computes how many instances update at once from a manifest
// value, like Canaries, but never less than 1.
func MaxInFlight(value any, size int) (int, error) {
	n, err := instanceCount(value, size)
	return max(n, 1), err
}

var (
	wholeNumber = regexp.MustCompile(`^\d+$`)
	percentage  = regexp.MustCompile(`^(\d+)%$`)
	watchRange  = regexp.MustCompile(`^\s*(\d+)\s*-\s*(\d+)\s*$`)
	watchSingle = regexp.MustCompile(`^\s*(\d+)\s*$`)
)

func instanceCount(value any, size int) (int, error) {
	if n, ok := asInt(value); ok {
		if n < 0 {
			return 0, fmt.Errorf("must be 0 or more, not %d", n)
		}
		return n, nil
	}
	text, ok := value.(string)
	if !ok {
		return 0, fmt.Errorf("must be a whole number or a percentage like \"25%%\", not %s", describe(value))
	}
	text = strings.TrimSpace(text)
	if m := percentage.FindStringSubmatch(text); m != nil {
		percent, err := strconv.Atoi(m[1])
		if err != nil || percent >= 100 {
			return size, nil // all of them; also keeps percent*size from overflowing
		}
		return percent * size / 100, nil
	}
	if wholeNumber.MatchString(text) {
		n, err := strconv.Atoi(text)
		if err != nil {
			return 0, fmt.Errorf("number %q is too large", text)
		}
		return n, nil
	}
	return 0, fmt.Errorf("must be a whole number or a percentage like \"25%%\", not %s", describe(value))
}

// WatchTime reads a watch time: milliseconds as a number or "N" (min = max),
// or a range "min-max".
func WatchTime(value any) (minimum, maximum time.Duration, err error) {
	var lo, hi string
	if n, ok := asInt(value); ok {
		if n < 0 {
			return 0, 0, fmt.Errorf("must be 0 or more milliseconds, not %d", n)
		}
		lo, hi = strconv.Itoa(n), strconv.Itoa(n)
	} else if text, ok := value.(string); ok {
		if m := watchRange.FindStringSubmatch(text); m != nil {
			lo, hi = m[1], m[2]
		} else if m := watchSingle.FindStringSubmatch(text); m != nil {
			lo, hi = m[1], m[1]
		}
	}
	if lo == "" {
		return 0, 0, fmt.Errorf("must be milliseconds or a range of milliseconds like \"1000-30000\", not %s", describe(value))
	}
	const longest = int64(math.MaxInt64 / time.Millisecond)
	loMS, err1 := strconv.ParseInt(lo, 10, 64)
	hiMS, err2 := strconv.ParseInt(hi, 10, 64)
	if err1 != nil || err2 != nil || loMS > longest || hiMS > longest {
		return 0, 0, fmt.Errorf("%v is too long", value)
	}
	if loMS > hiMS {
		return 0, 0, fmt.Errorf("%q has its minimum above its maximum; write it as \"min-max\"", value)
	}
	return time.Duration(loMS) * time.Millisecond, time.Duration(hiMS) * time.Millisecond, nil
}

// WithUpdateOverrides returns m with canaries and max_in_flight given on
// the command line (deploy --canaries / --max-in-flight; "" = not given)
// replacing the deployment's and every instance group's, as BOSH applies them.
func (m Manifest) WithUpdateOverrides(canaries, maxInFlight string) (Manifest, error) {
	over := UpdateSpec{}
	if canaries != "" {
		if _, err := Canaries(canaries, 0); err != nil {
			return Manifest{}, fmt.Errorf("%w: canaries override %w", ErrInvalidManifest, err)
		}
		over.Canaries = canaries
	}
	if maxInFlight != "" {
		if _, err := MaxInFlight(maxInFlight, 0); err != nil {
			return Manifest{}, fmt.Errorf("%w: max_in_flight override %w", ErrInvalidManifest, err)
		}
		over.MaxInFlight = maxInFlight
	}
	m.Update = over.Over(m.Update)
	groups := make([]InstanceGroup, len(m.InstanceGroups))
	for i, g := range m.InstanceGroups {
		g.Update = over.Over(g.Update)
		groups[i] = g
	}
	m.InstanceGroups = groups
	return m, nil
}
