package vm

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ServiceStatus is one monit service as `monit status` reports it.
type ServiceStatus struct {
	Name string
	// Type is monit's service type: "Process", "File", "Program", "System", ...
	Type string
	// Status is monit's status text, for example "OK", "Not monitored",
	// "Initializing", "Does not exist", "Execution failed | Does not exist",
	// "OK - stop pending", "Not monitored - start pending".
	Status string
	// Monitoring is monit's monitoring status: "Monitored", "Not monitored",
	// "Initializing", "Waiting".
	Monitoring string
	// Running is what the BOSH agent calls running: monitored with status OK.
	Running bool

	PID           int           // 0 unless running
	Uptime        time.Duration // minute resolution, as monit prints it
	MemoryKB      uint64        // "memory total": the process and its children
	MemoryPercent float64       // of the machine's memory, process and children
	CPUPercent    float64       // "cpu total": process and children
}

// stopped reports a service that is unmonitored with no action pending.
func (s ServiceStatus) stopped() bool {
	return s.Monitoring == "Not monitored" && !s.pending()
}

// pending reports a start, stop, restart or monitor action monit has not
// done yet.
func (s ServiceStatus) pending() bool { return strings.HasSuffix(s.Status, " pending") }

var (
	// Process 'etcd'   |   Remote Host 'x'
	serviceHeader = regexp.MustCompile(`^([A-Z][A-Za-z ]*) '(.*)'$`)
	// "  status                       OK": a key, two or more spaces, a value
	serviceField = regexp.MustCompile(`^  (\S+(?: \S+)*)\s{2,}(.*)$`)
)

// parseMonitStatus reads the output of `monit status -B` (monit 5.33): a
// header line, then per service "<Type> '<name>'" followed by indented
// "key   value" lines. `monit summary` is not used because it truncates
// long service names.
func parseMonitStatus(out string) ([]ServiceStatus, error) {
	var services []ServiceStatus
	var cur *ServiceStatus
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if m := serviceHeader.FindStringSubmatch(line); m != nil {
			services = append(services, ServiceStatus{Type: m[1], Name: m[2]})
			cur = &services[len(services)-1]
			continue
		}
		m := serviceField.FindStringSubmatch(line)
		if m == nil || cur == nil {
			continue // the "Monit 5.33.0 uptime" header and blank lines
		}
		if err := cur.setField(m[1], m[2]); err != nil {
			return nil, fmt.Errorf("parsing monit status of %s: %w", cur.Name, err)
		}
	}
	for i := range services {
		s := &services[i]
		if s.Status == "" || s.Monitoring == "" {
			return nil, fmt.Errorf("parsing monit status: service %s has no status or monitoring status line", s.Name)
		}
		s.Running = s.Status == "OK" && s.Monitoring == "Monitored"
	}
	return services, nil
}

func (s *ServiceStatus) setField(key, value string) error {
	var err error
	switch key {
	case "status":
		s.Status = value
	case "monitoring status":
		s.Monitoring = value
	case "pid":
		if value != "-" { // monit's dash: no process yet, or one going
			s.PID, err = strconv.Atoi(value)
		}
	case "uptime":
		s.Uptime, err = parseMonitUptime(value)
	case "memory total":
		s.MemoryPercent, s.MemoryKB, err = parseMonitMemory(value)
	case "cpu total":
		s.CPUPercent, err = parseMonitPercent(value)
	}
	if err != nil {
		return fmt.Errorf("%s %q: %w", key, value, err)
	}
	return nil
}

// parseMonitUptime reads "0m", "5h 3m", "2d 0h 7m", and monit's "-" for a
// process it has not measured (one starting or stopping) as 0.
func parseMonitUptime(v string) (time.Duration, error) {
	if v == "-" {
		return 0, nil
	}
	units := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	var total time.Duration
	for _, part := range strings.Fields(v) {
		unit, ok := units[part[len(part)-1]]
		n, err := strconv.Atoi(part[:len(part)-1])
		if !ok || err != nil {
			return 0, fmt.Errorf("not an uptime like 2d 5h 3m")
		}
		total += time.Duration(n) * unit
	}
	return total, nil
}

// parseMonitPercent reads "1.5%"; monit prints "-" before it has measured.
func parseMonitPercent(v string) (float64, error) {
	if v == "-" {
		return 0, nil
	}
	return strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
}

// parseMonitMemory reads "0.3% [2.1 MB]" into a percentage and kilobytes.
// monit's units are powers of 1024; it prints "-" for a process it has not
// measured yet (one just started or stopping).
func parseMonitMemory(v string) (float64, uint64, error) {
	if v == "-" {
		return 0, 0, nil
	}
	pct, size, ok := strings.Cut(v, " [")
	if !ok || !strings.HasSuffix(size, "]") {
		return 0, 0, fmt.Errorf("not a memory figure like 0.3%% [2.1 MB]")
	}
	percent, err := parseMonitPercent(pct)
	if err != nil {
		return 0, 0, err
	}
	num, unit, ok := strings.Cut(strings.TrimSuffix(size, "]"), " ")
	amount, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil {
		return 0, 0, fmt.Errorf("not a memory figure like 0.3%% [2.1 MB]")
	}
	scale := map[string]float64{"B": 1.0 / 1024, "kB": 1, "MB": 1024, "GB": 1024 * 1024, "TB": 1024 * 1024 * 1024}
	factor, ok := scale[unit]
	if !ok {
		return 0, 0, fmt.Errorf("unknown memory unit %q", unit)
	}
	return percent, uint64(amount * factor), nil
}
