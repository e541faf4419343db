package cluster_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

var _ = Describe("Decide", func() {
	self := cluster.Self{Name: "etcd-1", PeerURL: "http://10.0.0.2:2380"}
	other := cluster.Member{ID: 0xa, Name: "etcd-0", PeerURLs: []string{"http://10.0.0.1:2380"}}
	me := cluster.Member{ID: 0xb, Name: "etcd-1", PeerURLs: []string{"http://10.0.0.2:2380"}}
	meUnstarted := cluster.Member{ID: 0xb, PeerURLs: []string{"http://10.0.0.2:2380"}, IsLearner: true}
	meOldURL := cluster.Member{ID: 0xb, Name: "etcd-1", PeerURLs: []string{"http://192.168.0.2:2380"}}

	DescribeTable("picks the action",
		func(o cluster.Observation, want cluster.Action, stale *cluster.Member) {
			o.Self = self
			d := cluster.Decide(o)
			Expect(d.Action).To(Equal(want), d.Reason)
			Expect(d.Reason).NotTo(BeEmpty())
			if stale == nil {
				Expect(d.Stale).To(BeNil())
			} else {
				Expect(d.Stale).To(HaveValue(Equal(*stale)))
			}
		},
		Entry("no cluster, no data, bootstrap instance: bootstrap",
			cluster.Observation{Bootstrap: true}, cluster.Bootstrap, nil),
		Entry("no cluster, no data, other instance: wait, never a second cluster",
			cluster.Observation{}, cluster.Wait, nil),
		Entry("no cluster, data: restart (whole-cluster restart)",
			cluster.Observation{HasData: true}, cluster.Restart, nil),
		Entry("no cluster, data, bootstrap instance: still restart",
			cluster.Observation{HasData: true, Bootstrap: true}, cluster.Restart, nil),
		Entry("a peer answered without a list: wait",
			cluster.Observation{ClusterFound: true, Bootstrap: true}, cluster.Wait, nil),
		Entry("cluster lists this node and data exists: restart",
			cluster.Observation{ClusterFound: true, HasData: true, Members: []cluster.Member{other, me}}, cluster.Restart, nil),
		Entry("listed under its name with an old peer URL, data exists: restart (the URL is updated after)",
			cluster.Observation{ClusterFound: true, HasData: true, Members: []cluster.Member{other, meOldURL}}, cluster.Restart, nil),
		Entry("listed as an unstarted learner with data: restart (then promote)",
			cluster.Observation{ClusterFound: true, HasData: true, Members: []cluster.Member{other, meUnstarted}}, cluster.Restart, nil),
		Entry("cluster lists this node but no data: rejoin replacing the stale member",
			cluster.Observation{ClusterFound: true, Members: []cluster.Member{other, me}}, cluster.Rejoin, &me),
		Entry("listed as an unstarted learner without data: rejoin replacing it",
			cluster.Observation{ClusterFound: true, Members: []cluster.Member{other, meUnstarted}}, cluster.Rejoin, &meUnstarted),
		Entry("data but no longer listed (removed): rejoin with nothing to remove",
			cluster.Observation{ClusterFound: true, HasData: true, Members: []cluster.Member{other}}, cluster.Rejoin, nil),
		Entry("a new node: join",
			cluster.Observation{ClusterFound: true, Members: []cluster.Member{other}}, cluster.Join, nil),
		Entry("a new bootstrap node that finds a cluster: join, not bootstrap",
			cluster.Observation{ClusterFound: true, Bootstrap: true, Members: []cluster.Member{other}}, cluster.Join, nil),
	)
})

var _ = Describe("InitialCluster", func() {
	It("names every member, this node by its own name and unstarted ones by placeholder", func() {
		self := cluster.Self{Name: "etcd-2", PeerURL: "http://10.0.0.3:2380"}
		got := cluster.InitialCluster([]cluster.Member{
			{ID: 0x1, Name: "etcd-0", PeerURLs: []string{"http://10.0.0.1:2380"}},
			{ID: 0x2, PeerURLs: []string{"http://10.0.0.9:2380"}},
			{ID: 0x3, PeerURLs: []string{"http://10.0.0.3:2380"}},
		}, self)
		Expect(got).To(Equal("etcd-0=http://10.0.0.1:2380,etcd-2=http://10.0.0.3:2380,unstarted-2=http://10.0.0.9:2380"))
	})
})

var _ = Describe("SafeToRemove", func() {
	a := cluster.Member{ID: 1, Name: "etcd-0"}
	b := cluster.Member{ID: 2, Name: "etcd-1"}
	c := cluster.Member{ID: 3, Name: "etcd-2"}
	l := cluster.Member{ID: 4, Name: "etcd-3", IsLearner: true}

	It("allows removing one of three when the other two are healthy", func() {
		Expect(cluster.SafeToRemove([]cluster.Member{a, b, c}, map[uint64]bool{2: true, 3: true}, 1)).To(Succeed())
	})

	It("refuses when the remaining two would have only one healthy", func() {
		err := cluster.SafeToRemove([]cluster.Member{a, b, c}, map[uint64]bool{2: true}, 1)
		Expect(err).To(MatchError(ContainSubstring("1 of 2 remaining voting members healthy, and quorum needs 2")))
		Expect(err).To(MatchError(ContainSubstring("bring back etcd-2 (3) first")))
	})

	It("allows removing a stale member that is itself down", func() {
		Expect(cluster.SafeToRemove([]cluster.Member{a, b, c}, map[uint64]bool{1: true, 3: true}, 2)).To(Succeed())
	})

	It("ignores learners when counting quorum and always allows removing one", func() {
		Expect(cluster.SafeToRemove([]cluster.Member{a, b, l}, map[uint64]bool{2: true}, 1)).To(Succeed())
		Expect(cluster.SafeToRemove([]cluster.Member{a, l}, map[uint64]bool{}, 4)).To(Succeed())
	})

	It("allows the last member to go", func() {
		Expect(cluster.SafeToRemove([]cluster.Member{a}, nil, 1)).To(Succeed())
	})
})
