// Command etcdfab-bench measures etcdfab against real etcd on loopback
// addresses and prints tables: how long a 3-node cluster takes to become
// healthy, how long a member takes to join a cluster holding 100 MB, and
// what a rolling restart of 3 members costs a continuous writer.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

func main() {
	etcdfab := flag.String("etcdfab", "", "path to the etcdfab binary")
	etcd := flag.String("etcd", "", "path to the etcd binary")
	runs := flag.Int("runs", 3, "repetitions of each measurement")
	dataMB := flag.Int("data-mb", 100, "MB of data in the cluster a member joins")
	flag.Parse()
	b := bench{etcdfab: *etcdfab, etcd: *etcd, subnet: 200}
	if err := b.run(*runs, *dataMB); err != nil {
		fmt.Fprintln(os.Stderr, "etcdfab-bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	etcdfab, etcd string
	subnet        int
}

// cluster gives each measurement a fresh cluster on its own subnet.
func (b *bench) cluster() (*localcluster.Cluster, func(), error) {
	dir, err := os.MkdirTemp("", "etcdfab-bench-")
	if err != nil {
		return nil, nil, err
	}
	b.subnet++
	c := localcluster.New(localcluster.Options{Dir: dir, EtcdfabPath: b.etcdfab, EtcdPath: b.etcd,
		Subnet: b.subnet, StartTimeout: 10 * time.Minute})
	return c, func() { c.Cleanup(); os.RemoveAll(dir) }, nil
}

func (b *bench) run(runs, dataMB int) error {
	table := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "measurement\truns\tmin\tmedian\tmax\t")
	var rolling []localcluster.WriterStats
	for _, m := range []struct {
		name string
		fn   func() (time.Duration, error)
	}{
		{"3 nodes started at once, all healthy (s)", b.threeNodes},
		{fmt.Sprintf("1 member joins a cluster holding %d MB (s)", dataMB), func() (time.Duration, error) { return b.join(dataMB) }},
		{"rolling restart of 3 members (s)", func() (time.Duration, error) {
			d, stats, err := b.rollingRestart()
			rolling = append(rolling, stats)
			return d, err
		}},
	} {
		var times []time.Duration
		for range runs {
			d, err := m.fn()
			if err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			times = append(times, d)
		}
		slices.Sort(times)
		fmt.Fprintf(table, "%s\t%d\t%.2f\t%.2f\t%.2f\t\n", m.name, runs,
			times[0].Seconds(), times[len(times)/2].Seconds(), times[len(times)-1].Seconds())
	}
	table.Flush()

	fmt.Println()
	table = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(table, "rolling restart run\twrites attempted\twrites failed\tacknowledged writes lost\t")
	for i, s := range rolling {
		fmt.Fprintf(table, "%d\t%d\t%d\t%d\t\n", i+1, s.Attempted, s.Failed, s.Lost)
	}
	return table.Flush()
}

func (b *bench) threeNodes() (time.Duration, error) {
	c, done, err := b.cluster()
	if err != nil {
		return 0, err
	}
	defer done()
	start := time.Now()
	err = startAll(c, c.Config(0, 3), c.Config(1, 3), c.Config(2, 3))
	return time.Since(start), err
}

func (b *bench) join(dataMB int) (time.Duration, error) {
	c, done, err := b.cluster()
	if err != nil {
		return 0, err
	}
	defer done()
	first := c.Config(0, 2)
	if err := c.StartAndWait(first); err != nil {
		return 0, err
	}
	cli, err := dial(c.Endpoints(first))
	if err != nil {
		return 0, err
	}
	defer cli.Close()
	value := strings.Repeat("x", 1<<20) // 1 MB values stay under etcd's 1.5 MB request limit
	for i := range dataMB {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := cli.Put(ctx, fmt.Sprintf("bulk-%04d", i), value)
		cancel()
		if err != nil {
			return 0, fmt.Errorf("loading data: %w", err)
		}
	}
	start := time.Now()
	err = c.StartAndWait(c.Config(1, 2))
	return time.Since(start), err
}

func (b *bench) rollingRestart() (time.Duration, localcluster.WriterStats, error) {
	c, done, err := b.cluster()
	if err != nil {
		return 0, localcluster.WriterStats{}, err
	}
	defer done()
	cfgs := []config.Config{c.Config(0, 3), c.Config(1, 3), c.Config(2, 3)}
	if err := startAll(c, cfgs...); err != nil {
		return 0, localcluster.WriterStats{}, err
	}
	cli, err := dial(c.Endpoints(cfgs...))
	if err != nil {
		return 0, localcluster.WriterStats{}, err
	}
	defer cli.Close()
	w := localcluster.StartWriter(cli, "bench", 10*time.Millisecond, 2*time.Second)
	start := time.Now()
	for i, cfg := range cfgs {
		if err := c.Stop(i); err != nil {
			w.Stop()
			return 0, localcluster.WriterStats{}, err
		}
		if err := c.StartAndWait(cfg); err != nil {
			w.Stop()
			return 0, localcluster.WriterStats{}, err
		}
	}
	elapsed := time.Since(start)
	stats := w.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lost, err := w.Lost(ctx, cli, stats.Acked)
	stats.Lost = len(lost)
	return elapsed, stats, err
}

func startAll(c *localcluster.Cluster, cfgs ...config.Config) error {
	errs := make(chan error, len(cfgs))
	for _, cfg := range cfgs {
		go func() { errs <- c.StartAndWait(cfg) }()
	}
	var first error
	for range cfgs {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func dial(endpoints []string) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}
