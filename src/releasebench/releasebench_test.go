package releasebench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/releasebench"
)

var _ = Describe("Summarize", func() {
	It("gives the middle value of an odd count, and min and max, keeping the runs in order", func() {
		s := releasebench.Summarize([]float64{9, 1, 4})
		Expect(s).To(Equal(releasebench.Stat{Runs: []float64{9, 1, 4}, Median: 4, Min: 1, Max: 9}))
	})

	It("gives the mean of the two middle values of an even count", func() {
		Expect(releasebench.Summarize([]float64{10, 2, 4, 100}).Median).To(Equal(7.0))
	})

	It("takes one run as median, min and max", func() {
		s := releasebench.Summarize([]float64{3.5})
		Expect([]float64{s.Median, s.Min, s.Max}).To(Equal([]float64{3.5, 3.5, 3.5}))
	})

	It("does not reorder the caller's values", func() {
		values := []float64{3, 2, 1}
		releasebench.Summarize(values)
		Expect(values).To(Equal([]float64{3, 2, 1}))
	})
})

var _ = Describe("Percentile", func() {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, n := range v {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}

	It("takes the nearest rank", func() {
		hundred := make([]int, 100)
		for i := range hundred {
			hundred[i] = i + 1
		}
		Expect(releasebench.Percentile(ms(hundred...), 50)).To(Equal(50 * time.Millisecond))
		Expect(releasebench.Percentile(ms(hundred...), 99)).To(Equal(99 * time.Millisecond))
		Expect(releasebench.Percentile(ms(1, 2, 3), 50)).To(Equal(2 * time.Millisecond))
		Expect(releasebench.Percentile(ms(1, 2, 3), 99)).To(Equal(3 * time.Millisecond))
		Expect(releasebench.Percentile(ms(7), 1)).To(Equal(7 * time.Millisecond))
	})

	It("is 0 without values", func() {
		Expect(releasebench.Percentile(nil, 99)).To(BeZero())
	})

	It("sums up a throughput run", func() {
		t := releasebench.ThroughputOf(ms(30, 10, 20, 40), 2, 2*time.Second)
		Expect(t).To(Equal(releasebench.Throughput{WritesPerSecond: 2, P50Millis: 20, P99Millis: 40, Failed: 2}))
	})
})

var _ = Describe("load figures", func() {
	It("counts failures by cause and converts the stall to seconds", func() {
		res := localcluster.LoadResult{Attempted: 100, Failed: 3, FailedBy: map[string]int{"timeout": 2, "unavailable: x": 1},
			LongestStall: 1500 * time.Millisecond, Lost: []string{"k"}, Linearizable: "ok"}
		f := releasebench.Figures(12*time.Second, res)
		Expect(f).To(Equal(releasebench.LoadFigures{Seconds: 12, Attempted: 100, Failed: 3, Lost: 1, StallSeconds: 1.5,
			Linearizable: "ok", FailedBy: "1 unavailable: x; 2 timeout"}))
	})
})

var _ = Describe("StageSeconds", func() {
	It("spans a stage's first to last event, ignoring other stages", func() {
		events := []director.TaskEvent{
			{Time: 100, Stage: "Preparing deployment"},
			{Time: 101, Stage: "Compiling packages", State: "started"},
			{Time: 130, Stage: "Compiling packages", State: "finished"},
			{Time: 131, Stage: "Updating instance"},
		}
		Expect(releasebench.StageSeconds(events, "Compiling packages")).To(Equal(29.0))
		Expect(releasebench.StageSeconds(events, "Deleting")).To(BeZero())
	})
})

var _ = Describe("the report", func() {
	var report releasebench.Report

	BeforeEach(func() {
		var c releasebench.Collector
		c.AddPair("deploy", "seconds", 30, 3)
		c.AddPair("deploy", "seconds", 40, 2)
		c.AddPair("deploy", "seconds", 20, 4)
		c.Add("scale", "failed", 0)
		c.Add("scale", "failed", 0)
		c.Add("scale", "failed", 0)
		report = releasebench.Report{Runs: 3, Cores: 2, EtcdVersion: "3.6.16", WallSeconds: 61, Figures: c.Figures(),
			Notes: []string{"beside other load"}}
	})

	It("takes ratios run by run, not as a ratio of medians", func() {
		f := report.Figures[0]
		Expect(f.Release.Median).To(Equal(30.0))
		Expect(f.HandRun.Median).To(Equal(3.0))
		// 10, 20, 5: median 10 (the ratio of medians would also be 10,
		// but the spread is the runs' own).
		Expect(f.Ratio.Runs).To(Equal([]float64{10, 20, 5}))
		Expect([]float64{f.Ratio.Median, f.Ratio.Min, f.Ratio.Max}).To(Equal([]float64{10, 5, 20}))
		Expect(report.Figures[1].HandRun).To(BeNil())
		Expect(report.Figures[1].Ratio).To(BeNil())
	})

	It("skips a ratio over a hand-run value of 0", func() {
		var c releasebench.Collector
		c.AddPair("rolling", "failed", 4, 0)
		f := c.Figures()[0]
		Expect(f.HandRun.Median).To(BeZero())
		Expect(f.Ratio).To(BeNil())
	})

	It("prints a Markdown table with median (min - max), each row's name once", func() {
		var b bytes.Buffer
		Expect(report.WriteTable(&b)).To(Succeed())
		Expect(b.String()).To(Equal(`etcd v3.6.16, 2 cores, 3 runs each (median, with min - max), 61 s wall

| row | metric | release on localbosh | etcd by hand, same flags | ratio |
| --- | --- | ---: | ---: | ---: |
| deploy | seconds | 30 (20 - 40) | 3 (2 - 4) | 10 (5 - 20)x |
| scale | failed | 0 |  |  |

- beside other load
`))
	})

	It("writes the same figures as JSON", func() {
		var b bytes.Buffer
		Expect(report.WriteJSON(&b)).To(Succeed())
		var back releasebench.Report
		Expect(json.Unmarshal(b.Bytes(), &back)).To(Succeed())
		Expect(back).To(Equal(report))
		Expect(b.String()).To(ContainSubstring(`"hand_run"`))
	})

	It("normalizes: rows in the order of their numbers, no ratios of counts", func() {
		var c releasebench.Collector
		c.Add("6. build", "seconds", 5)
		c.AddPair("1. deploy", "seconds", 30, 3)
		c.AddPair("1. deploy", releasebench.MetricFailed, 2, 1)
		c.Add("4. join 100 MB", "seconds", 9)
		c.Add("4. join 10 MB", "seconds", 8)
		r := releasebench.Report{Figures: c.Figures()}
		r.Normalize()
		var rows []string
		for _, f := range r.Figures {
			rows = append(rows, f.Row+" "+f.Metric)
		}
		Expect(rows).To(Equal([]string{"1. deploy seconds", "1. deploy failed", "4. join 100 MB seconds", "4. join 10 MB seconds", "6. build seconds"}))
		Expect(r.Figures[0].Ratio.Median).To(Equal(10.0))
		Expect(r.Figures[1].Ratio).To(BeNil())
		Expect(r.Figures[1].HandRun.Median).To(Equal(1.0))
	})

	It("prints numbers without noise", func() {
		Expect([]string{releasebench.Number(3), releasebench.Number(3.14159), releasebench.Number(12.345), releasebench.Number(1234.6)}).
			To(Equal([]string{"3", "3.14", "12.3", "1235"}))
		Expect(releasebench.Cell(releasebench.Stat{})).To(Equal("-"))
	})
})

var _ = Describe("UnderLoad", func() {
	It("reports the change's time, the failures and the longest stall of a store that was down for a while", func() {
		kv := newFakeKV()
		elapsed, res, err := releasebench.UnderLoad(context.Background(), kv, "x", func() error {
			time.Sleep(300 * time.Millisecond)
			kv.setDown(true)
			time.Sleep(400 * time.Millisecond)
			kv.setDown(false)
			time.Sleep(300 * time.Millisecond)
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
		f := releasebench.Figures(elapsed, res)
		Expect(f.Seconds).To(BeNumerically("~", 1.0, 0.2))
		Expect(f.Failed).To(BeNumerically(">", 0))
		Expect(f.Lost).To(BeZero())
		Expect(f.StallSeconds).To(BeNumerically(">=", 0.4))
		Expect(f.StallSeconds).To(BeNumerically("<", 0.7))
		Expect(f.Linearizable).To(Equal("ok"))
		// At most 200 operations a second (a busy machine drops ticks).
		Expect(f.Attempted).To(BeNumerically(">=", 100))
		Expect(f.Attempted).To(BeNumerically("<=", 205))
	})

	It("returns the change's error", func() {
		_, _, err := releasebench.UnderLoad(context.Background(), newFakeKV(), "x", func() error { return errors.New("boom") })
		Expect(err).To(MatchError("boom"))
	})
})

// fakeKV is a linearizable map that fails every operation while down.
type fakeKV struct {
	clientv3.KV
	mu   sync.Mutex
	down bool
	m    map[string]string
}

func newFakeKV() *fakeKV { return &fakeKV{m: map[string]string{}} }

func (f *fakeKV) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

var errDown = errors.New("store down")

func (f *fakeKV) Put(_ context.Context, key, value string, _ ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	f.m[key] = value
	return &clientv3.PutResponse{}, nil
}

func (f *fakeKV) Get(_ context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errDown
	}
	resp := &clientv3.GetResponse{}
	for k, v := range f.m {
		if k == key || (len(opts) > 0 && strings.HasPrefix(k, key)) {
			resp.Kvs = append(resp.Kvs, &mvccpb.KeyValue{Key: []byte(k), Value: []byte(v)})
		}
	}
	return resp, nil
}
