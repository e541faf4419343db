package releasebench

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// SteadyLoad is the load every change runs under: 200 recorded operations
// a second, 150 new keys a second from one worker and 2 workers reading
// and overwriting 4 shared keys 25 times a second each, every operation
// bounded by 2 s. Each worker waits for its operation before the next, so
// a stall lowers the rate rather than queueing operations.
func SteadyLoad(prefix string) localcluster.LoadOptions {
	return localcluster.LoadOptions{Prefix: prefix, LogPace: time.Second / 150, RegisterPace: 40 * time.Millisecond,
		RegisterWorkers: 2, Registers: 4, Timeout: 2 * time.Second}
}

// UnderLoad runs change while the steady load runs through kv, then reads
// every key back and checks the history.
func UnderLoad(ctx context.Context, kv clientv3.KV, prefix string, change func() error) (time.Duration, localcluster.LoadResult, error) {
	l := localcluster.StartLoad(localcluster.Via(kv, "bench"), SteadyLoad(prefix))
	start := time.Now()
	err := change()
	elapsed := time.Since(start)
	readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, stopErr := l.Stop(readCtx, kv)
	if err == nil {
		err = stopErr
	}
	return elapsed, res, err
}

// LoadFigures is what the table shows of a load: every value is per run.
type LoadFigures struct {
	Seconds      float64 `json:"seconds"`
	Attempted    int     `json:"attempted"`
	Failed       int     `json:"failed"`
	Lost         int     `json:"lost"`
	StallSeconds float64 `json:"longest_stall_seconds"`
	Linearizable string  `json:"linearizable"`
	FailedBy     string  `json:"failed_by,omitempty"`
}

// Figures sums up a load that ran through a change of elapsed.
func Figures(elapsed time.Duration, res localcluster.LoadResult) LoadFigures {
	var causes []string
	for cause, n := range res.FailedBy {
		causes = append(causes, fmt.Sprintf("%d %s", n, cause))
	}
	slices.Sort(causes)
	return LoadFigures{Seconds: elapsed.Seconds(), Attempted: res.Attempted, Failed: res.Failed, Lost: len(res.Lost),
		StallSeconds: res.LongestStall.Seconds(), Linearizable: res.Linearizable, FailedBy: strings.Join(causes, "; ")}
}

// AddLoad records a load's figures under row; with hand non-nil, beside
// the hand-run's.
func (c *Collector) AddLoad(row string, rel LoadFigures, hand *LoadFigures) {
	add := func(metric string, r, h float64) {
		if hand != nil {
			c.AddPair(row, metric, r, h)
		} else {
			c.Add(row, metric, r)
		}
	}
	var h LoadFigures
	if hand != nil {
		h = *hand
	}
	add("seconds", rel.Seconds, h.Seconds)
	add(MetricAttempted, float64(rel.Attempted), float64(h.Attempted))
	add(MetricFailed, float64(rel.Failed), float64(h.Failed))
	add(MetricLost, float64(rel.Lost), float64(h.Lost))
	add("longest stall (s)", rel.StallSeconds, h.StallSeconds)
	ok := func(f LoadFigures) float64 {
		if f.Linearizable == "ok" {
			return 1
		}
		return 0
	}
	add(MetricLinearizable, ok(rel), ok(h))
}

// Throughput is what a closed-loop write benchmark measured.
type Throughput struct {
	WritesPerSecond float64 `json:"writes_per_second"`
	P50Millis       float64 `json:"p50_ms"`
	P99Millis       float64 `json:"p99_ms"`
	Failed          int     `json:"failed"`
}

// MeasureThroughput runs clients goroutines writing values of size bytes
// to keys of their own through kv for d, each waiting for its write before
// the next, and reports acknowledged writes a second and the latency of
// acknowledged writes.
func MeasureThroughput(ctx context.Context, kv clientv3.KV, prefix string, clients, size int, d time.Duration) Throughput {
	value := strings.Repeat("v", size)
	var (
		mu        sync.Mutex
		latencies []time.Duration
		failed    int
		wg        sync.WaitGroup
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for n := 0; time.Now().Before(deadline); n++ {
				opCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
				t := time.Now()
				_, err := kv.Put(opCtx, fmt.Sprintf("%s-%d-%d", prefix, c, n%1000), value)
				cancel()
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			failed += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ThroughputOf(latencies, failed, time.Since(start))
}

// ThroughputOf sums up acknowledged writes' latencies over elapsed.
func ThroughputOf(latencies []time.Duration, failed int, elapsed time.Duration) Throughput {
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	t := Throughput{Failed: failed, P50Millis: ms(Percentile(sorted, 50)), P99Millis: ms(Percentile(sorted, 99))}
	if elapsed > 0 {
		t.WritesPerSecond = float64(len(sorted)) / elapsed.Seconds()
	}
	return t
}

// Percentile is the nearest-rank p-th percentile of sorted (0 if empty):
// the smallest value at or below which p% of the values lie.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
