package health_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health/healthtest"
)

var _ = Describe("health.Check", func() {
	check := func(f *healthtest.Cluster) health.Report {
		return health.Check(context.Background(), f, f.Targets(), time.Second)
	}

	It("reports every member, reached at its instance's address, and the leader", func() {
		r := check(healthtest.ThreeMembers("etcd-1"))
		Expect(r.Healthy).To(BeTrue(), "%v", r.Problems)
		Expect(r.ClusterID).To(Equal("c1"))
		Expect(r.Members).To(HaveLen(3))
		Expect([]string{r.Members[0].Name, r.Members[1].Name, r.Members[2].Name}).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2"}), "rows by name")
		leader, ok := r.Leader()
		Expect(ok).To(BeTrue())
		Expect(leader.Name).To(Equal("etcd-1"))
		for _, m := range r.Members {
			Expect(m.Endpoint).To(Equal(healthtest.Endpoint(m.Name)))
			Expect(m.ClientURL).To(Equal("https://" + m.Name + ".etcd.internal:2379"))
			Expect(m.DBSize).To(BeEquivalentTo(100 << 20))
			Expect(m.FreeRatio()).To(BeNumerically("~", 0.9, 0.001))
		}
	})

	It("is unhealthy, naming the member and the alarm, when an alarm is raised", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.AlarmList = []etcdclient.Alarm{{MemberID: 0xa2, Type: "NOSPACE"}}
		r := check(f)
		Expect(r.Healthy).To(BeFalse())
		Expect(r.Problems).To(ConsistOf(ContainSubstring("member etcd-2: alarm [NOSPACE] raised")))
	})

	It("is unhealthy when a member is down, knows no leader or fails its read", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-1"].Down = true
		f.ByName["etcd-2"].ReadErr = errors.New("linearizable read through etcd-2: etcdserver: request timed out")
		r := check(f)
		Expect(r.Healthy).To(BeFalse())
		Expect(r.Problems).To(ConsistOf(ContainSubstring("member etcd-1: no status"), ContainSubstring("member etcd-2: linearizable read")))

		f = healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-2"].NoLeader = true
		Expect(check(f).Problems).To(ConsistOf(ContainSubstring("member etcd-2: the member knows no leader")))
	})

	It("checks a learner with a serializable read and counts it healthy", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.ByName["etcd-2"].Learner = true
		r := check(f)
		Expect(r.Healthy).To(BeTrue(), "%v", r.Problems)
	})

	It("says so when the cluster gives no member list, and still probes the group's instances", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.NoList = true
		r := check(f)
		Expect(r.Healthy).To(BeFalse())
		Expect(r.Problems[0]).To(ContainSubstring("no member list"))
		Expect(r.Members).To(HaveLen(3))
	})

	It("names an instance of the group that is not a member", func() {
		f := healthtest.ThreeMembers("etcd-0")
		delete(f.ByName, "etcd-2")
		targets := append(f.Targets(), health.Target{Name: "etcd-2", Endpoint: healthtest.Endpoint("etcd-2")})
		r := health.Check(context.Background(), f, targets, time.Second)
		Expect(r.Problems).To(ConsistOf(ContainSubstring("instance etcd-2 (http://etcd-2:2379) is not a member")))
	})

	It("reaches members at their advertised URLs when the group gives no names (etcd.machines)", func() {
		f := healthtest.ThreeMembers("etcd-0")
		var targets []health.Target
		for _, t := range f.Targets() {
			targets = append(targets, health.Target{Endpoint: t.Endpoint})
		}
		r := health.Check(context.Background(), f, targets, time.Second)
		Expect(r.Problems).To(HaveLen(3))
		Expect(r.Problems).To(HaveEach(ContainSubstring("no status: getting status of https://etcd-")), "dialled at the advertised URLs, where the fake does not answer")
		Expect(r.Problems).NotTo(ContainElement(ContainSubstring("not a member")))
		Expect(r.Members[0].Endpoint).To(HavePrefix("https://"))
	})

	It("prints a table and JSON", func() {
		f := healthtest.ThreeMembers("etcd-0")
		f.AlarmList = []etcdclient.Alarm{{MemberID: 0xa1, Type: "CORRUPT"}}
		r := check(f)
		var text bytes.Buffer
		Expect(r.WriteText(&text)).To(Succeed())
		Expect(text.String()).To(ContainSubstring("NAME"))
		Expect(text.String()).To(MatchRegexp(`etcd-1\s+a1\s+https://etcd-1.etcd.internal:2379\s+no\s+no\s+2\s+100\s+100\s+50\s+100.0 MiB\s+10.0 MiB\s+CORRUPT\s+UNHEALTHY`))
		Expect(text.String()).To(ContainSubstring("is NOT healthy"))
		var js bytes.Buffer
		Expect(r.WriteJSON(&js)).To(Succeed())
		var back health.Report
		Expect(json.Unmarshal(js.Bytes(), &back)).To(Succeed())
		Expect(back.Members).To(HaveLen(3))
		Expect(back.Healthy).To(BeFalse())
	})
})
