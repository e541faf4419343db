package localcluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
)

// Router picks the client for the next operation and names the route
// (while a cluster turns TLS on, some members serve plain and some TLS).
type Router func() (clientv3.KV, string)

// Via always routes through kv.
func Via(kv clientv3.KV, name string) Router {
	return func() (clientv3.KV, string) { return kv, name }
}

// LoadOptions shape a Load. Zero fields take the defaults.
type LoadOptions struct {
	Prefix string
	// One worker writes <prefix>-log-<n>, one new key per write, every
	// LogPace (default 20ms: 50 writes a second); RegisterWorkers (default
	// 2) read and overwrite Registers (default 4) shared keys every
	// RegisterPace (default 40ms each), which is what makes the history's
	// linearizability worth checking.
	LogPace, RegisterPace      time.Duration
	RegisterWorkers, Registers int
	// Timeout bounds each operation (default 2s).
	Timeout time.Duration
	// MaxDuration, when set, bounds the load: no operation starts later
	// (so a load forgotten by a failing test stops by itself).
	MaxDuration time.Duration
	// OpenLoop starts the writer's operations at its pace without waiting
	// for the previous one (up to MaxInFlight at once, default 200), so a
	// member that stalls does not slow the load down: the rate offered
	// stays what its pace says while operations wait out their timeouts.
	// The register workers wait for each operation still: a failed write
	// may take effect at any later time, and many of them on a few keys
	// would make the history too costly to check.
	OpenLoop    bool
	MaxInFlight int
}

func (o LoadOptions) withDefaults() LoadOptions {
	if o.Prefix == "" {
		o.Prefix = "load"
	}
	if o.LogPace == 0 {
		o.LogPace = 20 * time.Millisecond
	}
	if o.RegisterPace == 0 {
		o.RegisterPace = 40 * time.Millisecond
	}
	if o.RegisterWorkers == 0 {
		o.RegisterWorkers = 2
	}
	if o.Registers == 0 {
		o.Registers = 4
	}
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Second
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 200
	}
	return o
}

// Op is one recorded operation.
type Op struct {
	Worker       int
	Put          bool
	Key, Value   string // Value: what a put wrote, or what a get read
	Found        bool   // a get found the key
	Call, Return time.Duration
	Route        string
	Err          error
}

// Load runs puts and linearizable gets against a cluster and records every
// one of them, to check afterwards that no acknowledged write was lost and
// that the history is linearizable.
type Load struct {
	opts  LoadOptions
	route Router
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup

	mu     sync.Mutex
	ops    []Op
	faults []Fault
}

// Fault is a span of a load, from its start, in which the scenario made
// the cluster unable to serve on purpose (a member killed, quorum lost, a
// partition, the only member restarting): the explanation of the
// operations that fail in it.
type Fault struct {
	Name     string
	From, To time.Duration
}

// Fault marks the start of a fault named name; the function it returns
// marks its end (once the cluster serves again). A fault never ended lasts
// until the load stops.
func (l *Load) Fault(name string) (end func()) {
	l.mu.Lock()
	i := len(l.faults)
	l.faults = append(l.faults, Fault{Name: name, From: time.Since(l.start), To: -1})
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		if l.faults[i].To < 0 {
			l.faults[i].To = time.Since(l.start)
		}
		l.mu.Unlock()
	}
}

// StartLoad begins the workers.
func StartLoad(route Router, opts LoadOptions) *Load {
	l := &Load{opts: opts.withDefaults(), route: route, start: time.Now(), stop: make(chan struct{})}
	l.wg.Add(1 + l.opts.RegisterWorkers)
	go l.run(0, l.opts.LogPace, func(n int) (bool, string, string) {
		return true, fmt.Sprintf("%s-log-%08d", l.opts.Prefix, n), strconv.Itoa(n)
	})
	for w := 1; w <= l.opts.RegisterWorkers; w++ {
		rng := rand.New(rand.NewPCG(uint64(w), uint64(l.start.UnixNano())))
		go l.run(w, l.opts.RegisterPace, func(n int) (bool, string, string) {
			key := fmt.Sprintf("%s-reg-%d", l.opts.Prefix, rng.IntN(l.opts.Registers))
			return rng.IntN(2) == 0, key, fmt.Sprintf("w%d-%d", w, n)
		})
	}
	return l
}

func (l *Load) run(worker int, pace time.Duration, next func(n int) (put bool, key, value string)) {
	defer l.wg.Done()
	ticker := time.NewTicker(pace)
	defer ticker.Stop()
	inFlight := make(chan struct{}, l.opts.MaxInFlight)
	var ops sync.WaitGroup
	defer ops.Wait()
	for n := 1; ; n++ {
		select {
		case <-l.stop:
			return
		case <-ticker.C:
		}
		if l.opts.MaxDuration > 0 && time.Since(l.start) > l.opts.MaxDuration {
			return
		}
		put, key, value := next(n)
		if !l.opts.OpenLoop || worker != 0 {
			l.do(worker, put, key, value)
			continue
		}
		inFlight <- struct{}{}
		ops.Add(1)
		go func() {
			defer ops.Done()
			l.do(worker, put, key, value)
			<-inFlight
		}()
	}
}

// do runs one operation and records it.
func (l *Load) do(worker int, put bool, key, value string) {
	kv, route := l.route()
	op := Op{Worker: worker, Put: put, Key: key, Route: route, Call: time.Since(l.start)}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.Timeout)
	if put {
		op.Value = value
		_, op.Err = kv.Put(ctx, key, value)
	} else {
		var resp *clientv3.GetResponse
		if resp, op.Err = kv.Get(ctx, key); op.Err == nil && len(resp.Kvs) > 0 {
			op.Found, op.Value = true, string(resp.Kvs[0].Value)
		}
	}
	cancel()
	op.Return = time.Since(l.start)
	l.mu.Lock()
	l.ops = append(l.ops, op)
	l.mu.Unlock()
}

// LoadResult is what a load did.
type LoadResult struct {
	// Duration is the load's length, the wait for the operations still
	// running when it stopped included; Offered is the span in which it
	// started operations (the rate is counted over it).
	Duration, Offered time.Duration
	Attempted         int
	Failed            int
	// FailedBy counts the failed operations by cause (see Cause).
	FailedBy map[string]int
	// LongestStall is the longest time without an acknowledged write.
	LongestStall time.Duration
	// Lost lists acknowledged writes a final linearizable read did not find.
	Lost []string
	// Linearizable is porcupine's verdict on the whole history, the final
	// reads included: "ok", "illegal" or "unknown" (it ran out of time).
	Linearizable string
	Ops          []Op
	// Faults are the spans the scenario marked (Load.Fault); Unexplained
	// counts the failed operations outside all of them: an operation is
	// explained by a fault when it was running at some time between the
	// fault's start and one operation timeout after its end (an operation
	// started just before the end may still wait on a connection the fault
	// broke).
	Faults      []Fault
	Unexplained int
	grace       time.Duration
}

// explainedBy names the fault op ran during, widened by the operation
// timeout at its end, or "" when there is none.
func (r LoadResult) explainedBy(op Op) string {
	for _, f := range r.Faults {
		if op.Return >= f.From && op.Call <= f.To+r.grace {
			return f.Name
		}
	}
	return ""
}

// Stop ends the load, reads every key back through kv, and checks the
// history.
func (l *Load) Stop(ctx context.Context, kv clientv3.KV) (LoadResult, error) {
	offered := time.Since(l.start)
	if l.opts.MaxDuration > 0 {
		offered = min(offered, l.opts.MaxDuration)
	}
	close(l.stop)
	l.wg.Wait()
	end := time.Since(l.start)
	l.mu.Lock()
	ops := append([]Op(nil), l.ops...)
	faults := append([]Fault(nil), l.faults...)
	l.mu.Unlock()
	for i := range faults {
		if faults[i].To < 0 {
			faults[i].To = end
		}
	}

	res := LoadResult{Duration: end, Offered: offered, FailedBy: map[string]int{}, Ops: ops, Faults: faults, grace: l.opts.Timeout}
	var lastAck time.Duration
	sort.Slice(ops, func(i, j int) bool { return ops[i].Return < ops[j].Return })
	for _, op := range ops {
		res.Attempted++
		if op.Err != nil {
			res.Failed++
			res.FailedBy[Cause(op.Err)]++
			if res.explainedBy(op) == "" {
				res.Unexplained++
			}
			continue
		}
		if op.Put {
			res.LongestStall = max(res.LongestStall, op.Return-lastAck)
			lastAck = op.Return
		}
	}
	res.LongestStall = max(res.LongestStall, end-lastAck)

	call := time.Since(l.start)
	resp, err := kv.Get(ctx, l.opts.Prefix+"-", clientv3.WithPrefix())
	if err != nil {
		return res, fmt.Errorf("reading back the load's keys: %w", err)
	}
	ret := time.Since(l.start)
	stored := map[string]string{}
	for _, kv := range resp.Kvs {
		stored[string(kv.Key)] = string(kv.Value)
	}
	history := make([]Op, 0, len(ops))
	keys := map[string]bool{}
	for _, op := range ops {
		keys[op.Key] = true
		if op.Put && op.Err == nil && strings.Contains(op.Key, "-log-") && stored[op.Key] != op.Value {
			res.Lost = append(res.Lost, op.Key)
		}
		history = append(history, op)
	}
	for key := range keys {
		v, found := stored[key]
		history = append(history, Op{Worker: -1, Key: key, Value: v, Found: found, Call: call, Return: ret})
	}
	switch porcupine.CheckOperationsTimeout(kvModel, operations(history), 2*time.Minute) {
	case porcupine.Ok:
		res.Linearizable = "ok"
	case porcupine.Illegal:
		res.Linearizable = "illegal"
	default:
		res.Linearizable = "unknown"
	}
	return res, nil
}

type kvInput struct {
	put        bool
	key, value string
}

type kvOutput struct {
	found, unknown bool
	value          string
}

type kvState struct {
	set   bool
	value string
}

// operations turns the recorded ops into porcupine's: a failed put may
// have taken effect at any time after its call (it never returns); a
// failed get observed nothing and is left out.
func operations(ops []Op) []porcupine.Operation {
	var out []porcupine.Operation
	for _, op := range ops {
		o := porcupine.Operation{ClientId: op.Worker + 1, Input: kvInput{put: op.Put, key: op.Key, value: op.Value},
			Call: op.Call.Nanoseconds(), Return: op.Return.Nanoseconds(), Output: kvOutput{found: op.Found, value: op.Value}}
		if op.Err != nil {
			if !op.Put {
				continue
			}
			o.Return, o.Output = math.MaxInt64, kvOutput{unknown: true}
		}
		out = append(out, o)
	}
	return out
}

// kvModel is a map of registers, checked key by key.
var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(byKey))
		for _, ops := range byKey {
			out = append(out, ops)
		}
		return out
	},
	Init: func() interface{} { return kvState{} },
	Step: func(state, input, output interface{}) (bool, interface{}) {
		s, in, out := state.(kvState), input.(kvInput), output.(kvOutput)
		if in.put {
			return true, kvState{set: true, value: in.value}
		}
		return out.found == s.set && (!out.found || out.value == s.value), s
	},
}

// Cause names why an operation failed, for counting failures by kind:
// etcd's own error when it gave one, else the gRPC status code, else the
// error's text without addresses.
func Cause(err error) string {
	var etcdErr rpctypes.EtcdError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &etcdErr):
		return "etcd: " + etcdErr.Error()
	}
	if s, ok := status.FromError(err); ok {
		msg := s.Message()
		for _, cut := range []string{": ", " to "} {
			if i := strings.Index(msg, cut); i > 0 && i < 60 {
				msg = msg[:i]
				break
			}
		}
		return strings.ToLower(s.Code().String()) + ": " + msg
	}
	return err.Error()
}

// EitherRoute sends each operation over secure once some member serves it
// (its connection is ready), over plain before: while a cluster turns TLS
// on, members serve one or the other.
func EitherRoute(plain, secure *clientv3.Client) Router {
	return func() (clientv3.KV, string) {
		conn := secure.ActiveConnection()
		switch conn.GetState() {
		case connectivity.Ready:
			return secure, "tls"
		case connectivity.Idle:
			conn.Connect()
		}
		return plain, "plain"
	}
}

// FailedText is the failure count with its causes, most frequent first:
// "3 (2 timeout; 1 unavailable: ...)".
func (r LoadResult) FailedText() string {
	causes := make([]string, 0, len(r.FailedBy))
	for cause := range r.FailedBy {
		causes = append(causes, cause)
	}
	sort.Slice(causes, func(i, j int) bool {
		if r.FailedBy[causes[i]] != r.FailedBy[causes[j]] {
			return r.FailedBy[causes[i]] > r.FailedBy[causes[j]]
		}
		return causes[i] < causes[j]
	})
	text := strconv.Itoa(r.Failed)
	if len(causes) > 0 {
		parts := make([]string, len(causes))
		for i, c := range causes {
			parts[i] = fmt.Sprintf("%d %s", r.FailedBy[c], c)
		}
		text += " (" + strings.Join(parts, "; ") + ")"
	}
	return text
}

// FaultsText names the faults with their spans: "leader killed 1.2s-6.8s".
func (r LoadResult) FaultsText() string {
	if len(r.Faults) == 0 {
		return "no fault marked"
	}
	parts := make([]string, len(r.Faults))
	for i, f := range r.Faults {
		parts[i] = fmt.Sprintf("%s %s-%s", f.Name, f.From.Round(100*time.Millisecond), f.To.Round(100*time.Millisecond))
	}
	return strings.Join(parts, "; ")
}

// WriteFailures writes one line per failed operation: worker, kind, key,
// route, when it was called and how long it took, and its error.
func (r LoadResult) WriteFailures(w io.Writer) {
	for _, op := range r.Ops {
		if op.Err == nil {
			continue
		}
		kind := "get"
		if op.Put {
			kind = "put"
		}
		why := "outside the faults"
		if f := r.explainedBy(op); f != "" {
			why = "during " + f
		}
		fmt.Fprintf(w, "  failed: worker %d %s %s via %s at %s after %s (%s): %v\n", op.Worker, kind, op.Key, op.Route,
			op.Call.Round(time.Millisecond), (op.Return - op.Call).Round(time.Millisecond), why, op.Err)
	}
}

// Rate is the operations started a second while the load started them
// (Offered; Duration for a result that has none).
func (r LoadResult) Rate() float64 {
	span := r.Offered
	if span <= 0 {
		span = r.Duration
	}
	return float64(r.Attempted) / span.Seconds()
}

// Bounds are what a load must keep within, besides losing nothing and
// staying linearizable. Zero fields bound nothing.
type Bounds struct {
	// MinRate is the operations a second attempted.
	MinRate float64
	// MaxFailed is the failed operations; negative bounds nothing.
	MaxFailed int
	// MaxStall is the longest time without an acknowledged write.
	MaxStall time.Duration
	// OnlyInFaults asks every failed operation to be explained by a fault
	// the scenario marked (LoadResult.Unexplained is 0).
	OnlyInFaults bool
}

// Violations lists what a load shows against the release's promise: an
// acknowledged write lost, a history porcupine does not find linearizable,
// or a bound exceeded (failures are counted by cause all the same). None
// means the load passed.
func (r LoadResult) Violations(b Bounds) []string {
	var out []string
	if len(r.Lost) > 0 {
		out = append(out, fmt.Sprintf("%d acknowledged writes lost: %v", len(r.Lost), r.Lost))
	}
	if r.Linearizable != "ok" {
		out = append(out, "history not linearizable: porcupine says "+r.Linearizable)
	}
	if rate := r.Rate(); rate < b.MinRate {
		out = append(out, fmt.Sprintf("%.1f operations a second started, below %.0f", rate, b.MinRate))
	}
	if b.MaxFailed >= 0 && r.Failed > b.MaxFailed {
		out = append(out, fmt.Sprintf("%s failed operations, more than %d", r.FailedText(), b.MaxFailed))
	}
	if b.OnlyInFaults && r.Unexplained > 0 {
		out = append(out, fmt.Sprintf("%d of %s failed operations ran outside the faults (%s)", r.Unexplained, r.FailedText(), r.FaultsText()))
	}
	if b.MaxStall > 0 && r.LongestStall > b.MaxStall {
		out = append(out, fmt.Sprintf("no write acknowledged for %s, longer than %s", r.LongestStall.Round(10*time.Millisecond), b.MaxStall))
	}
	return out
}
