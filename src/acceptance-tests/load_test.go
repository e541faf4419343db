package eats_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// loadEntry names the report entries holding a load's table row.
const loadEntry = "load"

const tableHeader = "| scenario | TLS | duration | attempted | acknowledged | failed (by cause) | failures explained by | lost | longest stall | linearizable |\n" +
	"| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"

// row is one load's line of the table.
type row struct {
	Stage string
	TLS   bool
	Res   localcluster.LoadResult
}

func (r row) String() string {
	tlsText := "no"
	if r.TLS {
		tlsText = "yes"
	}
	return fmt.Sprintf("| %s | %s | %s | %d | %d | %s | %s | %d | %s | %s |", r.Stage, tlsText, r.Res.Duration.Round(100*time.Millisecond),
		r.Res.Attempted, r.Res.Attempted-r.Res.Failed, r.Res.FailedText(), r.explained(), len(r.Res.Lost),
		r.Res.LongestStall.Round(10*time.Millisecond), r.Res.Linearizable)
}

// explained says which marked faults the failures ran during, and how many
// ran outside them.
func (r row) explained() string {
	if r.Res.Failed == 0 {
		return "-"
	}
	var names []string
	for _, f := range r.Res.Faults {
		names = append(names, f.Name)
	}
	text := "during " + strings.Join(names, ", ")
	if r.Res.Unexplained > 0 {
		text = fmt.Sprintf("%d outside the faults (%s)", r.Res.Unexplained, r.Res.FaultsText())
	}
	return text
}

// verdict says what a load must show besides no lost write and a
// linearizable history.
type verdict = localcluster.Bounds

// logPace is the writer's: 62.5 new keys a second, open loop, so that the
// load offers more than 50 operations a second even while a fault stalls
// the register workers (they wait for each operation).
const logPace = 16 * time.Millisecond

// maxLoad bounds every load, so that a load a failing spec forgets stops.
const maxLoad = 20 * time.Minute

// underLoad runs do(load) while a recorded load of about 110 operations a second
// (one writer of new keys at 62.5 a second, each write starting on time
// whether or not the one before has returned, and two workers reading and
// overwriting four shared keys at 25 a second each) runs through route; then it reads every key back
// through readBack, checks the history with porcupine and records the row.
// do marks what it does to the cluster with during: a failed operation is
// explained only by a fault it ran during.
func underLoad(ctx context.Context, stage string, useTLS bool, route localcluster.Router, readBack clientv3.KV, v verdict, do func(*localcluster.Load)) localcluster.LoadResult {
	GinkgoHelper()
	By(stage + ", under load")
	prefix := strings.NewReplacer(" ", "-", ">", "", "/", "-").Replace(stage)
	l := localcluster.StartLoad(route, localcluster.LoadOptions{Prefix: prefix, MaxDuration: maxLoad, OpenLoop: true, LogPace: logPace})
	do(l)
	res, err := l.Stop(ctx, readBack)
	Expect(err).NotTo(HaveOccurred(), "reading back the load of %s", stage)
	r := row{Stage: stage, TLS: useTLS, Res: res}
	AddReportEntry(loadEntry, r)
	GinkgoWriter.Println(r.String())
	res.WriteFailures(GinkgoWriter)
	Expect(res.Violations(v)).To(BeEmpty(), "the load of %s", stage)
	return res
}

// steady is the verdict of a deploy that restarts members one at a time:
// the load keeps its rate, no write waits more than 5 s for an
// acknowledgement, and at most a second's worth of operations (100) fails,
// each counted by cause and each while the deploy ran (a load without a
// deploy or fault in it fails nothing). The seed's suite, writing once a
// second, allowed 5 failures per rolling deploy and 15 per rotation.
var steady = verdict{MinRate: 50, MaxFailed: 100, MaxStall: 5 * time.Second, OnlyInFaults: true}

// transportSwitch is the verdict of the deploy that turns TLS on in a
// running cluster (step 2): as steady, but up to 300 operations may fail.
// Members move their client and peer listeners from http to https and
// their peer URLs from IPs to names while the others still dial the old
// ones, and every run here (five in a row, on 2 cores with other
// scenarios beside it) showed one leader election of about 1.6 s in it,
// which times out 76 to 100 of the open-loop writer's 62.5 writes a second.
// The stall bound (5 s) stays that of steady.
var transportSwitch = verdict{MinRate: 50, MaxFailed: 300, MaxStall: 5 * time.Second, OnlyInFaults: true}

// faulty is the verdict of a fault scenario, and of a deploy that restarts
// the only member: operations fail while no quorum serves, each while the
// fault lasts (from its injection until every member serves again), and
// the load still offers its rate.
var faulty = verdict{MinRate: 50, MaxFailed: -1, OnlyInFaults: true}

// during marks do as the fault name of the load l: failures while it runs
// (and up to one operation timeout after) are explained by it.
func during(l *localcluster.Load, name string, do func()) {
	end := l.Fault(name)
	defer end()
	do()
}

// hold keeps the load running for d: the load phase of a scenario without
// a deploy in it.
func hold(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// acked are the log keys a load wrote and etcd acknowledged, with their
// values: each is written once, so each must stay.
func acked(res localcluster.LoadResult) map[string]string {
	out := map[string]string{}
	for _, op := range res.Ops {
		if op.Put && op.Err == nil && strings.Contains(op.Key, "-log-") {
			out[op.Key] = op.Value
		}
	}
	return out
}

// missing reads back keys through kv and names those not holding their value.
func missing(ctx context.Context, kv clientv3.KV, keys map[string]string) []string {
	GinkgoHelper()
	var lost []string
	for key, value := range keys {
		var resp *clientv3.GetResponse
		Eventually(func() (err error) {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			resp, err = kv.Get(cctx, key)
			return err
		}, "30s", "500ms").Should(Succeed())
		if len(resp.Kvs) != 1 || string(resp.Kvs[0].Value) != value {
			lost = append(lost, key)
		}
	}
	return lost
}
