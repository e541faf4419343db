package cluster_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

var _ = Describe("Decide", func() {
	const ours, theirs = 0xc1, 0xc2
	self := cluster.Self{Name: "etcd-1", PeerURL: "http://10.0.0.2:2380"}
	other := cluster.Member{ID: 0xa, Name: "etcd-0", PeerURLs: []string{"http://10.0.0.1:2380"}}
	me := cluster.Member{ID: 0xb, Name: "etcd-1", PeerURLs: []string{"http://10.0.0.2:2380"}}
	meUnstarted := cluster.Member{ID: 0xb, PeerURLs: []string{"http://10.0.0.2:2380"}, IsLearner: true}
	meOldURL := cluster.Member{ID: 0xb, Name: "etcd-1", PeerURLs: []string{"http://192.168.0.2:2380"}}
	meReplaced := cluster.Member{ID: 0xd, Name: "etcd-1", PeerURLs: []string{"http://10.0.0.2:2380"}}
	list := func(id uint64, members ...cluster.Member) []cluster.List {
		return []cluster.List{{From: "etcd-0", ClusterID: id, Members: members}}
	}
	data := func(o cluster.Observation) cluster.Observation {
		o.HasData, o.ClusterID, o.MemberID = true, ours, 0xb
		return o
	}
	empty := func(name string) cluster.Instance { return cluster.Instance{Name: name, Reach: cluster.Answered} }
	holding := func(name string, id uint64) cluster.Instance {
		return cluster.Instance{Name: name, Reach: cluster.Answered, HasData: true, ClusterID: id}
	}
	silent := func(name string, reach cluster.Reach) cluster.Instance {
		return cluster.Instance{Name: name, Reach: reach}
	}

	DescribeTable("picks the action",
		func(o cluster.Observation, want cluster.Action, stale *cluster.Member) {
			o.Self = self
			if o.GroupSize == 0 {
				o.GroupSize = 3
			}
			d := cluster.Decide(o)
			Expect(d.Action).To(Equal(want), d.Reason)
			Expect(d.Reason).NotTo(BeEmpty())
			if stale == nil {
				Expect(d.Stale).To(BeNil())
			} else {
				Expect(d.Stale).To(HaveValue(Equal(*stale)))
			}
		},
		// No data, no cluster answering: a new cluster only on a majority's word.
		Entry("bootstrap instance alone, the others not answering: wait, never a cluster on a guess",
			cluster.Observation{Bootstrap: true, Peers: []cluster.Instance{silent("etcd-1", cluster.NotStarted), silent("etcd-2", cluster.Unknown)}}, cluster.Wait, nil),
		Entry("bootstrap instance and one more report no data (2 of 3): bootstrap",
			cluster.Observation{Bootstrap: true, Peers: []cluster.Instance{empty("etcd-1"), silent("etcd-2", cluster.NotStarted)}}, cluster.Bootstrap, nil),
		Entry("a group of one: bootstrap",
			cluster.Observation{Bootstrap: true, GroupSize: 1}, cluster.Bootstrap, nil),
		Entry("a peer holds data, though no quorum answers (a whole-cluster start after a lost disk): wait",
			cluster.Observation{Bootstrap: true, Peers: []cluster.Instance{holding("etcd-1", ours), empty("etcd-2")}}, cluster.Wait, nil),
		Entry("not the bootstrap instance, everyone empty: wait for the bootstrap instance",
			cluster.Observation{Peers: []cluster.Instance{empty("etcd-0"), empty("etcd-2")}}, cluster.Wait, nil),
		// Data, no quorum answering.
		Entry("data and nobody answers: restart (whole-cluster start)",
			data(cluster.Observation{}), cluster.Restart, nil),
		Entry("data and a bootstrap instance: still restart",
			data(cluster.Observation{Bootstrap: true}), cluster.Restart, nil),
		Entry("data while a peer holds another cluster's data: refuse",
			data(cluster.Observation{Peers: []cluster.Instance{holding("etcd-0", theirs)}}), cluster.Refuse, nil),
		// A quorum answers.
		Entry("data and the cluster lists this member: restart",
			data(cluster.Observation{Lists: list(ours, other, me)}), cluster.Restart, nil),
		Entry("data, listed with an old peer URL: restart (the URL is updated after)",
			data(cluster.Observation{Lists: list(ours, other, meOldURL)}), cluster.Restart, nil),
		Entry("data, listed as an unstarted learner: restart (then promote)",
			data(cluster.Observation{Lists: list(ours, other, meUnstarted)}), cluster.Restart, nil),
		Entry("data of another cluster than the one answering: refuse, keep the data",
			data(cluster.Observation{Lists: list(theirs, other)}), cluster.Refuse, nil),
		Entry("data, and the same cluster no longer lists this member: rejoin",
			data(cluster.Observation{Lists: list(ours, other)}), cluster.Rejoin, nil),
		Entry("data, and the same cluster lists another member under this name: rejoin replacing it",
			data(cluster.Observation{Lists: list(ours, other, meReplaced)}), cluster.Rejoin, &meReplaced),
		Entry("two clusters answer: refuse",
			cluster.Observation{Lists: append(list(ours, other), cluster.List{From: "etcd-2", ClusterID: theirs})}, cluster.Refuse, nil),
		Entry("no data, the cluster lists this node: rejoin replacing the stale member",
			cluster.Observation{Lists: list(ours, other, me)}, cluster.Rejoin, &me),
		Entry("no data, listed as an unstarted learner: rejoin replacing it",
			cluster.Observation{Lists: list(ours, other, meUnstarted)}, cluster.Rejoin, &meUnstarted),
		Entry("a new node: join",
			cluster.Observation{Lists: list(ours, other)}, cluster.Join, nil),
		Entry("a new bootstrap node that finds a cluster: join, not bootstrap",
			cluster.Observation{Bootstrap: true, Lists: list(ours, other)}, cluster.Join, nil),
	)

	It("names both clusters and the instance when it refuses foreign data", func() {
		d := cluster.Decide(data(cluster.Observation{Self: self, GroupSize: 3, Lists: list(theirs, other)}))
		Expect(d.Reason).To(And(ContainSubstring("c1"), ContainSubstring("c2"), ContainSubstring("etcd-0")))
	})
})

var _ = Describe("AwaitsUnstarted", func() {
	running := func(name string, id uint64) cluster.Instance {
		return cluster.Instance{Name: name, Reach: cluster.Answered, HasData: true, ClusterID: id}
	}
	empty := func(name string) cluster.Instance { return cluster.Instance{Name: name, Reach: cluster.Answered} }
	off := func(name string) cluster.Instance { return cluster.Instance{Name: name, Reach: cluster.NotStarted} }
	silent := func(name string) cluster.Instance { return cluster.Instance{Name: name, Reach: cluster.Unknown} }

	DescribeTable("tells whether quorum needs instances not started yet",
		func(instances []cluster.Instance, want bool) {
			got, why := cluster.AwaitsUnstarted(instances)
			Expect(got).To(Equal(want), why)
			if want {
				Expect(why).To(ContainSubstring("not started"))
			}
		},
		Entry("the canary of a whole-cluster start", []cluster.Instance{running("etcd-0", 1), off("etcd-1"), off("etcd-2")}, true),
		Entry("the second of three: quorum is there", []cluster.Instance{running("etcd-0", 1), running("etcd-1", 1), off("etcd-2")}, false),
		Entry("a lost disk does not count towards quorum", []cluster.Instance{empty("etcd-0"), running("etcd-1", 1), off("etcd-2")}, true),
		Entry("the first instance of a first deploy", []cluster.Instance{empty("etcd-0"), off("etcd-1"), off("etcd-2")}, true),
		Entry("the second instance of a first deploy: the cluster forms now", []cluster.Instance{empty("etcd-0"), empty("etcd-1"), off("etcd-2")}, false),
		Entry("an instance that does not answer may be running: no", []cluster.Instance{running("etcd-0", 1), silent("etcd-1"), silent("etcd-2")}, false),
		Entry("everyone started and still no quorum: no, it fails instead", []cluster.Instance{empty("etcd-0"), running("etcd-1", 1), empty("etcd-2")}, false),
		Entry("the only member of a cluster just formed holds data and is not serving yet: no, its quorum is 1",
			[]cluster.Instance{off("etcd-0"), {Name: "etcd-1", Reach: cluster.Answered, HasData: true, ClusterID: 1, Voters: 1}, empty("etcd-2")}, false),
		Entry("a whole-cluster start of three voters: the canary awaits the others",
			[]cluster.Instance{{Name: "etcd-0", Reach: cluster.Answered, HasData: true, ClusterID: 1, Voters: 3}, off("etcd-1"), off("etcd-2")}, true),
		Entry("a member serves with quorum (a cluster of its own so far): no, this member can join it",
			[]cluster.Instance{{Name: "etcd-0", Reach: cluster.Answered, HasData: true, ClusterID: 1, Serving: true}, empty("etcd-1"), off("etcd-2")}, false),
	)
})

var _ = Describe("CheckConsistency", func() {
	member := func(name string, clusterID, leader uint64) cluster.Instance {
		return cluster.Instance{Name: name, Reach: cluster.Answered, HasData: true, ClusterID: clusterID, Leader: leader}
	}

	It("passes one cluster with one leader, ignoring instances without data or answer", func() {
		Expect(cluster.CheckConsistency([]cluster.Instance{member("etcd-0", 1, 7), member("etcd-1", 1, 7),
			{Name: "etcd-2", Reach: cluster.NotStarted}, {Name: "etcd-3", Reach: cluster.Answered}})).To(Succeed())
	})

	It("reports two clusters, naming them and their instances", func() {
		err := cluster.CheckConsistency([]cluster.Instance{member("etcd-0", 0xa1, 7), member("etcd-1", 0xa1, 7), member("etcd-2", 0xb2, 9)})
		Expect(err).To(MatchError(And(ContainSubstring("cluster a1 on etcd-0, etcd-1"), ContainSubstring("cluster b2 on etcd-2"))))
	})

	It("reports members of one cluster following different leaders", func() {
		err := cluster.CheckConsistency([]cluster.Instance{member("etcd-0", 1, 7), member("etcd-1", 1, 8)})
		Expect(err).To(MatchError(ContainSubstring("follow 2 leaders")))
	})
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
