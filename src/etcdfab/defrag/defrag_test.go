package defrag_test

import (
	"context"
	"errors"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health/healthtest"
)

var _ = Describe("defrag.Run", func() {
	run := func(f *healthtest.Cluster, opts defrag.Options) ([]defrag.Outcome, error) {
		return defrag.Run(context.Background(), f, f.Targets(), opts)
	}

	It("defragments learners and followers first and the leader last", func() {
		f := healthtest.ThreeMembers("etcd-1")
		f.ByName["etcd-3"] = &healthtest.Member{ID: 0xa3, DBSize: 100 << 20, InUse: 10 << 20, Learner: true}
		out, err := run(f, defrag.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(Equal([]string{"etcd-3", "etcd-0", "etcd-2", "etcd-1"}))
		Expect(defrag.Complete(out)).To(Succeed())
		for _, o := range out {
			Expect(o.Result).To(Equal(defrag.Defragmented))
			Expect(o.Before).To(BeEquivalentTo(100 << 20))
			Expect(o.After).To(BeEquivalentTo(10 << 20))
		}
	})

	It("refuses a cluster that is not fully healthy, naming why", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.AlarmList = []etcdclient.Alarm{{MemberID: 0xa1, Type: "NOSPACE"}}
		_, err := run(f, defrag.Options{})
		Expect(err).To(MatchError(defrag.ErrUnhealthy))
		Expect(err.Error()).To(ContainSubstring("alarm [NOSPACE]"))
		Expect(err.Error()).To(ContainSubstring("-force"))
		Expect(f.Defrags).To(BeEmpty())
	})

	It("skips a voter whose turn would cost quorum even in a healthy cluster: two voters and a learner", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-2"].Learner = true
		out, err := run(f, defrag.Options{})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(Equal([]string{"etcd-2"}))
		Expect(defrag.Complete(out)).To(MatchError(ContainSubstring("etcd-1 skipped: defragmenting it would leave 1 of 2 voting members serving, and quorum needs 2")))
	})

	It("with Force, skips every member whose turn would cost quorum", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-2"].Down = true
		out, err := run(f, defrag.Options{Force: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(BeEmpty())
		Expect(out).To(HaveLen(3))
		for _, o := range out {
			Expect(o.Result).To(Equal(defrag.Skipped), o.Member)
		}
		Expect(defrag.Complete(out)).To(MatchError(ContainSubstring("etcd-1 skipped: defragmenting it would leave 1 of 3 voting members serving, and quorum needs 2; etcd-2 not healthy")))
	})

	It("with Force on five members, one down, defragments the four healthy ones in turn", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-3"] = &healthtest.Member{ID: 0xa3, DBSize: 10, InUse: 1}
		f.ByName["etcd-4"] = &healthtest.Member{ID: 0xa4, DBSize: 10, InUse: 1, Down: true}
		targets := append(f.Targets(), health.Target{Name: "etcd-3", Endpoint: healthtest.Endpoint("etcd-3")}, health.Target{Name: "etcd-4", Endpoint: healthtest.Endpoint("etcd-4")})
		out, err := defrag.Run(context.Background(), f, targets, defrag.Options{Force: true})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(Equal([]string{"etcd-1", "etcd-2", "etcd-3", "etcd-0"}))
		Expect(defrag.Complete(out)).To(MatchError(ContainSubstring("etcd-4 skipped: not healthy")))
	})

	It("stops before the next member when one does not come back, so the next turn is not taken below quorum", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-1"].DownWhileDefragged = true
		out, err := run(f, defrag.Options{DefragTimeout: 300_000_000})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(Equal([]string{"etcd-1"}))
		Expect(out[0].Result).To(Equal(defrag.Failed))
		Expect(out[0].Reason).To(ContainSubstring("not healthy again"))
		Expect(out[1].Result).To(Equal(defrag.Skipped))
		Expect(out[2].Result).To(Equal(defrag.Skipped))
	})

	It("leaves members with less free space than MinFreeRatio", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-1"].InUse = 95 << 20
		out, err := run(f, defrag.Options{MinFreeRatio: 0.5})
		Expect(err).NotTo(HaveOccurred())
		Expect(f.Defrags).To(Equal([]string{"etcd-2", "etcd-0"}))
		Expect(out[0].Result).To(Equal(defrag.NotNeeded))
		Expect(out[0].Reason).To(ContainSubstring("only 5% of its 100.0 MiB database is free"))
		Expect(defrag.Complete(out)).To(Succeed())
	})

	It("reports a failed defragmentation", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-2"].DefragErr = errors.New("defragmenting http://etcd-2:2379: context deadline exceeded")
		out, _ := run(f, defrag.Options{})
		Expect(defrag.Complete(out)).To(MatchError(ContainSubstring("etcd-2 failed: defragmenting")))
	})
})

var _ = Describe("defrag.KeepsQuorum", func() {
	m := func(name string, healthy, learner bool) health.Member {
		return health.Member{Name: name, Healthy: healthy, Learner: learner}
	}
	It("needs a quorum of all voters among the others", func() {
		Expect(defrag.KeepsQuorum([]health.Member{m("a", true, false), m("b", true, false), m("c", true, false)}, "a")).To(Succeed())
		Expect(defrag.KeepsQuorum([]health.Member{m("a", true, false), m("b", true, false), m("c", false, false)}, "a")).NotTo(Succeed())
		Expect(defrag.KeepsQuorum([]health.Member{m("a", true, false), m("b", true, false), m("c", true, true)}, "a")).NotTo(Succeed(), "a learner does not count")
		Expect(defrag.KeepsQuorum([]health.Member{m("a", true, false), m("b", true, false), m("c", true, true)}, "c")).To(Succeed(), "a learner's turn is free")
		Expect(defrag.KeepsQuorum([]health.Member{m("a", true, false)}, "a")).To(MatchError(ContainSubstring("one-member cluster")))
	})
})
