package localcluster

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Writer writes numbered keys one after another until stopped and
// remembers which writes etcd acknowledged, to prove later that none of
// them was lost.
type Writer struct {
	kv      clientv3.KV
	prefix  string
	timeout time.Duration
	pace    time.Duration

	stop chan struct{}
	done chan struct{}

	mu    sync.Mutex
	stats WriterStats
}

// WriterStats counts what the writer did.
type WriterStats struct {
	Attempted int
	Failed    int
	Acked     []int // numbers of the acknowledged writes
	Lost      int   // acknowledged writes missing afterwards, once checked
	// LongestStall is the longest time without an acknowledged write.
	LongestStall time.Duration
}

// StartWriter begins writing prefix-1, prefix-2, ... through kv, one write
// every pace, each bounded by timeout.
func StartWriter(kv clientv3.KV, prefix string, pace, timeout time.Duration) *Writer {
	w := &Writer{kv: kv, prefix: prefix, pace: pace, timeout: timeout,
		stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *Writer) run() {
	defer close(w.done)
	ticker := time.NewTicker(w.pace)
	defer ticker.Stop()
	lastAck := time.Now()
	stalled := func(now time.Time) {
		w.mu.Lock()
		w.stats.LongestStall = max(w.stats.LongestStall, now.Sub(lastAck))
		w.mu.Unlock()
	}
	for n := 1; ; n++ {
		select {
		case <-w.stop:
			stalled(time.Now())
			return
		case <-ticker.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
		_, err := w.kv.Put(ctx, w.key(n), strconv.Itoa(n))
		cancel()
		w.mu.Lock()
		w.stats.Attempted++
		if err != nil {
			w.stats.Failed++
		} else {
			w.stats.Acked = append(w.stats.Acked, n)
		}
		w.mu.Unlock()
		if err == nil {
			now := time.Now()
			stalled(now)
			lastAck = now
		}
	}
}

func (w *Writer) key(n int) string { return fmt.Sprintf("%s-%08d", w.prefix, n) }

// Stop ends the writes and returns what happened.
func (w *Writer) Stop() WriterStats {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Lost reads back every acknowledged write through kv (linearizably) and
// returns the keys that are missing or hold the wrong value.
func (w *Writer) Lost(ctx context.Context, kv clientv3.KV, acked []int) ([]string, error) {
	resp, err := kv.Get(ctx, w.prefix+"-", clientv3.WithPrefix())
	if err != nil {
		return nil, fmt.Errorf("reading back the writes: %w", err)
	}
	stored := map[string]string{}
	for _, kv := range resp.Kvs {
		stored[string(kv.Key)] = string(kv.Value)
	}
	var lost []string
	for _, n := range acked {
		if stored[w.key(n)] != strconv.Itoa(n) {
			lost = append(lost, w.key(n))
		}
	}
	return lost, nil
}
