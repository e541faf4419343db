// Package turbulence is the fault agent of the turbulence_agent job: an
// HTTP API, run on each VM of a test deployment, that the acceptance suite
// calls to break that VM's own etcd member and to mend it. It drops and
// restores the VM's traffic to chosen addresses (iptables in the VM's own
// network namespace), kills a job's process with SIGKILL, pauses and
// resumes it (SIGSTOP, SIGCONT), and stops and starts a job through monit,
// optionally deleting its persistent data while it is stopped, as a lost
// disk would. It touches nothing outside its VM.
package turbulence

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// KillAll kills every process of the VM but its init, the agent included,
// as a VM whose machine died: kill(-1, SIGKILL) in the VM's PID namespace.
func KillAll() error { return syscall.Kill(-1, syscall.SIGKILL) }

// Runner runs a program to its end and returns its combined output.
type Runner func(ctx context.Context, argv ...string) ([]byte, error)

// Options configure an Agent.
type Options struct {
	// Username and Password protect every endpoint (basic auth).
	Username, Password string
	// Run runs iptables and monit.
	Run Runner
	// Monit is the monit command line, e.g. ["monit", "-c", "/var/vcap/monit/monitrc"].
	Monit []string
	// Proc is the proc file system (default /proc); Packages is where job
	// packages live (default /var/vcap/packages); Store the persistent
	// disk (default /var/vcap/store).
	Proc, Packages, Store string
	// Signal sends a signal to a process (default syscall.Kill).
	Signal func(pid int, sig syscall.Signal) error
	// KillVM kills every process of the VM (default KillAll); /kill-vm
	// calls it once the answer is sent.
	KillVM func() error
	// StopTimeout bounds how long /stop waits for the processes to end (default 2 minutes).
	StopTimeout time.Duration
}

// Agent serves the fault API.
type Agent struct {
	opts Options
	mux  *http.ServeMux
}

// ruleComment marks every iptables rule the agent adds, so that it removes
// exactly its own.
const ruleComment = "turbulence-agent-drop"

var nameRule = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// New builds an agent.
func New(opts Options) (*Agent, error) {
	if opts.Password == "" {
		return nil, errors.New("turbulence agent: a password is required (turbulence_agent.password)")
	}
	if opts.Run == nil || len(opts.Monit) == 0 {
		return nil, errors.New("turbulence agent: a runner and a monit command are required")
	}
	if opts.Proc == "" {
		opts.Proc = "/proc"
	}
	if opts.Packages == "" {
		opts.Packages = "/var/vcap/packages"
	}
	if opts.Store == "" {
		opts.Store = "/var/vcap/store"
	}
	if opts.Signal == nil {
		opts.Signal = syscall.Kill
	}
	if opts.KillVM == nil {
		opts.KillVM = KillAll
	}
	if opts.StopTimeout == 0 {
		opts.StopTimeout = 2 * time.Minute
	}
	a := &Agent{opts: opts, mux: http.NewServeMux()}
	a.mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { reply(w, map[string]string{"status": "ok"}) })
	a.mux.HandleFunc("PUT /drop", a.drop)
	a.mux.HandleFunc("DELETE /drop", a.restore)
	a.mux.HandleFunc("POST /kill", a.signal(syscall.SIGKILL))
	a.mux.HandleFunc("POST /pause", a.signal(syscall.SIGSTOP))
	a.mux.HandleFunc("POST /resume", a.signal(syscall.SIGCONT))
	a.mux.HandleFunc("POST /stop", a.stop)
	a.mux.HandleFunc("POST /kill-vm", a.killVM)
	a.mux.HandleFunc("POST /start", a.start)
	return a, nil
}

// ServeHTTP checks the credentials, then serves.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(a.opts.Username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(a.opts.Password)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="turbulence"`)
		fail(w, http.StatusUnauthorized, errors.New("wrong or missing credentials"))
		return
	}
	a.mux.ServeHTTP(w, r)
}

// drop (PUT /drop?addr=IP[&addr=IP...]) drops every packet from and to each
// address.
func (a *Agent) drop(w http.ResponseWriter, r *http.Request) {
	addrs, err := addresses(r)
	if err == nil && len(addrs) == 0 {
		err = errors.New("name the addresses to cut off: PUT /drop?addr=10.244.0.2")
	}
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	for _, addr := range addrs {
		for _, rule := range dropRules(addr) {
			if _, err := a.opts.Run(r.Context(), append([]string{"iptables", "-w", "-C"}, rule...)...); err == nil {
				continue // already dropped
			}
			if out, err := a.opts.Run(r.Context(), append([]string{"iptables", "-w", "-I"}, rule...)...); err != nil {
				fail(w, http.StatusInternalServerError, fmt.Errorf("dropping traffic with %s: %v: %s", addr, err, out))
				return
			}
		}
	}
	reply(w, map[string]any{"dropped": addrs})
}

// restore (DELETE /drop[?addr=IP...]) removes the agent's rules for those
// addresses, or all of them.
func (a *Agent) restore(w http.ResponseWriter, r *http.Request) {
	addrs, err := addresses(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if len(addrs) == 0 {
		if addrs, err = a.droppedAddresses(r.Context()); err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
	}
	for _, addr := range addrs {
		for _, rule := range dropRules(addr) {
			// Delete every copy; -D fails once none is left.
			for range 10 {
				if _, err := a.opts.Run(r.Context(), append([]string{"iptables", "-w", "-D"}, rule...)...); err != nil {
					break
				}
			}
		}
	}
	reply(w, map[string]any{"restored": addrs})
}

func dropRules(addr netip.Addr) [][]string {
	comment := []string{"-m", "comment", "--comment", ruleComment, "-j", "DROP"}
	return [][]string{
		append([]string{"INPUT", "-s", addr.String()}, comment...),
		append([]string{"OUTPUT", "-d", addr.String()}, comment...),
	}
}

// droppedAddresses reads the agent's rules back from iptables -S.
func (a *Agent) droppedAddresses(ctx context.Context) ([]netip.Addr, error) {
	out, err := a.opts.Run(ctx, "iptables", "-w", "-S")
	if err != nil {
		return nil, fmt.Errorf("listing iptables rules: %v: %s", err, out)
	}
	seen := map[netip.Addr]bool{}
	var addrs []netip.Addr
	for _, line := range strings.Split(string(out), "\n") {
		if !strings.Contains(line, ruleComment) {
			continue
		}
		f := strings.Fields(line)
		for i := 0; i+1 < len(f); i++ {
			if f[i] == "-s" || f[i] == "-d" {
				if p, err := netip.ParsePrefix(f[i+1]); err == nil && !seen[p.Addr()] {
					seen[p.Addr()] = true
					addrs = append(addrs, p.Addr())
				}
			}
		}
	}
	return addrs, nil
}

func addresses(r *http.Request) ([]netip.Addr, error) {
	var addrs []netip.Addr
	for _, s := range r.URL.Query()["addr"] {
		addr, err := netip.ParseAddr(s)
		if err != nil || !addr.Is4() {
			return nil, fmt.Errorf("addr %q is not an IPv4 address", s)
		}
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

// signal (POST /kill|/pause|/resume?process=NAME) signals every process of
// the VM running a package's bin/NAME.
func (a *Agent) signal(sig syscall.Signal) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("process")
		if !nameRule.MatchString(name) {
			fail(w, http.StatusBadRequest, fmt.Errorf("process %q: name the program of a package's bin/, e.g. process=etcd", name))
			return
		}
		pids, err := a.processes(name)
		if err == nil && len(pids) == 0 {
			err = fmt.Errorf("no process runs %s/*/bin/%s", a.opts.Packages, name)
		}
		if err != nil {
			fail(w, http.StatusNotFound, err)
			return
		}
		for _, pid := range pids {
			if err := a.opts.Signal(pid, sig); err != nil {
				fail(w, http.StatusInternalServerError, fmt.Errorf("sending %s to %s (pid %d): %w", sig, name, pid, err))
				return
			}
		}
		reply(w, map[string]any{"signal": sig.String(), "pids": pids})
	}
}

// processes lists the pids whose executable is <Packages>/*/bin/<name>
// (packages are links into /var/vcap/data on a stemcell: the links are
// followed).
func (a *Agent) processes(name string) ([]int, error) {
	programs, err := filepath.Glob(filepath.Join(a.opts.Packages, "*", "bin", name))
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, p := range programs {
		wanted[p] = true
		if real, err := filepath.EvalSymlinks(p); err == nil {
			wanted[real] = true
		}
	}
	entries, err := os.ReadDir(a.opts.Proc)
	if err != nil {
		return nil, fmt.Errorf("listing processes: %w", err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if wanted[a.program(e.Name())] {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// program is the executable a process runs: its exe link or, when that
// cannot be read (another user's process, without CAP_SYS_PTRACE, as jobs
// run on localbosh), the first word of its command line, links followed.
func (a *Agent) program(pid string) string {
	if exe, err := os.Readlink(filepath.Join(a.opts.Proc, pid, "exe")); err == nil {
		return strings.TrimSuffix(exe, " (deleted)")
	}
	cmdline, err := os.ReadFile(filepath.Join(a.opts.Proc, pid, "cmdline"))
	if err != nil {
		return "" // gone
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	if !filepath.IsAbs(argv0) {
		return ""
	}
	if real, err := filepath.EvalSymlinks(argv0); err == nil {
		return real
	}
	return argv0
}

// stop (POST /stop?job=NAME[&process=NAME][&delete_data=true]) stops a job
// through monit, waits until its process is gone and, with delete_data,
// empties its directory of the persistent disk.
func (a *Agent) stop(w http.ResponseWriter, r *http.Request) {
	job, process, ok := jobAndProcess(w, r)
	if !ok {
		return
	}
	if out, err := a.opts.Run(r.Context(), append(a.opts.Monit, "stop", job)...); err != nil {
		fail(w, http.StatusInternalServerError, fmt.Errorf("monit stop %s: %v: %s", job, err, out))
		return
	}
	deadline := time.Now().Add(a.opts.StopTimeout)
	for {
		pids, err := a.processes(process)
		if err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		if len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			fail(w, http.StatusGatewayTimeout, fmt.Errorf("%s still runs (pids %v) %s after monit stop %s", process, pids, a.opts.StopTimeout, job))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	deleted := []string{}
	if r.URL.Query().Get("delete_data") == "true" {
		dir := filepath.Join(a.opts.Store, job)
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			fail(w, http.StatusInternalServerError, fmt.Errorf("reading %s: %w", dir, err))
			return
		}
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				fail(w, http.StatusInternalServerError, fmt.Errorf("deleting the data of %s: %w", job, err))
				return
			}
			deleted = append(deleted, filepath.Join(dir, e.Name()))
		}
	}
	reply(w, map[string]any{"stopped": job, "deleted": deleted})
}

// killVM (POST /kill-vm) answers, then kills every process of the VM,
// monit and the agent included: the director then finds the VM's agent
// unresponsive, as after a machine died.
func (a *Agent) killVM(w http.ResponseWriter, _ *http.Request) {
	reply(w, map[string]any{"killing": "every process of this VM"})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		_ = a.opts.KillVM()
	}()
}

// start (POST /start?job=NAME) starts a job through monit.
func (a *Agent) start(w http.ResponseWriter, r *http.Request) {
	job, _, ok := jobAndProcess(w, r)
	if !ok {
		return
	}
	if out, err := a.opts.Run(r.Context(), append(a.opts.Monit, "start", job)...); err != nil {
		fail(w, http.StatusInternalServerError, fmt.Errorf("monit start %s: %v: %s", job, err, out))
		return
	}
	reply(w, map[string]any{"started": job})
}

func jobAndProcess(w http.ResponseWriter, r *http.Request) (job, process string, ok bool) {
	job = r.URL.Query().Get("job")
	process = r.URL.Query().Get("process")
	if process == "" {
		process = job
	}
	if !nameRule.MatchString(job) || !nameRule.MatchString(process) {
		fail(w, http.StatusBadRequest, fmt.Errorf("job %q, process %q: name a monit job and the program it runs, e.g. job=etcd", job, process))
		return "", "", false
	}
	return job, process, true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
