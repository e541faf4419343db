package localcluster

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func at(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

func linearizable(ops ...Op) porcupine.CheckResult {
	return porcupine.CheckOperationsTimeout(kvModel, operations(ops), 10*time.Second)
}

var _ = Describe("the load's history check", func() {
	failed := errors.New("connection reset")

	It("accepts a history in which reads see the last acknowledged write", func() {
		Expect(linearizable(
			Op{Worker: 0, Put: true, Key: "k", Value: "1", Call: at(0), Return: at(10)},
			Op{Worker: 1, Key: "k", Value: "1", Found: true, Call: at(20), Return: at(30)},
			Op{Worker: 0, Put: true, Key: "k", Value: "2", Call: at(40), Return: at(50)},
			Op{Worker: 1, Key: "k", Value: "2", Found: true, Call: at(45), Return: at(60)},
		)).To(Equal(porcupine.Ok))
	})

	It("refuses a read that misses an acknowledged write: a lost write", func() {
		Expect(linearizable(
			Op{Worker: 0, Put: true, Key: "k", Value: "1", Call: at(0), Return: at(10)},
			Op{Worker: 1, Key: "k", Found: false, Call: at(20), Return: at(30)},
		)).To(Equal(porcupine.Illegal))
	})

	It("refuses a stale read of an overwritten value", func() {
		Expect(linearizable(
			Op{Worker: 0, Put: true, Key: "k", Value: "1", Call: at(0), Return: at(10)},
			Op{Worker: 0, Put: true, Key: "k", Value: "2", Call: at(20), Return: at(30)},
			Op{Worker: 1, Key: "k", Value: "1", Found: true, Call: at(40), Return: at(50)},
		)).To(Equal(porcupine.Illegal))
	})

	It("lets a failed write have happened, or not", func() {
		put := Op{Worker: 0, Put: true, Key: "k", Value: "1", Call: at(0), Return: at(10), Err: failed}
		seen := Op{Worker: 1, Key: "k", Value: "1", Found: true, Call: at(20), Return: at(30)}
		notSeen := Op{Worker: 1, Key: "k", Call: at(20), Return: at(30)}
		Expect(linearizable(put, seen)).To(Equal(porcupine.Ok))
		Expect(linearizable(put, notSeen)).To(Equal(porcupine.Ok))
		Expect(linearizable(put, notSeen, Op{Worker: 2, Key: "k", Value: "1", Found: true, Call: at(40), Return: at(50)})).To(Equal(porcupine.Ok))
		Expect(linearizable(put, seen, Op{Worker: 2, Key: "k", Call: at(40), Return: at(50)})).To(Equal(porcupine.Illegal), "once seen it stays")
	})

	It("names failures by cause", func() {
		Expect(Cause(context.DeadlineExceeded)).To(Equal("timeout"))
		Expect(Cause(rpctypes.ErrLeaderChanged)).To(Equal("etcd: " + rpctypes.ErrLeaderChanged.Error()))
		Expect(Cause(status.Error(codes.Unavailable, "connection error: desc = transport is closing"))).To(Equal("unavailable: connection error"))
	})
})

var _ = Describe("a load's verdict", func() {
	It("names each broken promise, and counts failures by cause, most frequent first", func() {
		res := LoadResult{Duration: 10 * time.Second, Attempted: 1000, Failed: 3, Linearizable: "ok",
			FailedBy: map[string]int{"timeout": 2, "unavailable: x": 1}}
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: 15})).To(BeEmpty())
		Expect(res.FailedText()).To(Equal("3 (2 timeout; 1 unavailable: x)"))
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: 2})).To(ConsistOf(ContainSubstring("more than 2")))
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: -1})).To(BeEmpty(), "a fault scenario bounds no failures")
		res.Attempted, res.Offered = 490, 8*time.Second
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: -1})).To(BeEmpty(), "the rate counts the span in which operations started, not the wait for the last ones")
		res.Attempted, res.Offered = 1000, 0

		res.Lost, res.Linearizable, res.Attempted, res.LongestStall = []string{"load-log-1"}, "illegal", 100, 8*time.Second
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: -1, MaxStall: 5 * time.Second})).To(ConsistOf(ContainSubstring("lost"),
			ContainSubstring("not linearizable"), ContainSubstring("10.0 operations a second started"), ContainSubstring("no write acknowledged for 8s")))
	})

	It("explains a failure by a fault it ran during, and counts the others", func() {
		failed := errors.New("timeout")
		res := LoadResult{Duration: 10 * time.Second, Attempted: 1000, Failed: 3, Linearizable: "ok", FailedBy: map[string]int{"timeout": 3},
			Faults: []Fault{{Name: "leader killed", From: at(1000), To: at(4000)}}, grace: at(2000), Unexplained: 1,
			Ops: []Op{{Put: true, Key: "a", Call: at(900), Return: at(2900), Err: failed}, {Put: true, Key: "b", Call: at(5500), Return: at(7500), Err: failed},
				{Put: true, Key: "c", Call: at(6100), Return: at(8100), Err: failed}}}
		Expect(res.explainedBy(res.Ops[0])).To(Equal("leader killed"))
		Expect(res.explainedBy(res.Ops[1])).To(Equal("leader killed"), "started within a timeout of the fault's end")
		Expect(res.explainedBy(res.Ops[2])).To(BeEmpty())
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: -1})).To(BeEmpty())
		Expect(res.Violations(Bounds{MinRate: 50, MaxFailed: -1, OnlyInFaults: true})).To(ConsistOf(ContainSubstring("1 of 3 (3 timeout) failed operations ran outside the faults (leader killed 1s-4s)")))
		var out strings.Builder
		res.WriteFailures(&out)
		Expect(out.String()).To(ContainSubstring("(during leader killed)"))
		Expect(out.String()).To(ContainSubstring("(outside the faults)"))
	})
})
