package cluster_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

var _ = Describe("BadData", func() {
	me := cluster.Member{ID: 0xb, Name: "etcd-1", PeerURLs: []string{"http://10.0.0.2:2380"}}
	other := cluster.Member{ID: 0xa, Name: "etcd-0", PeerURLs: []string{"http://10.0.0.1:2380"}}
	const problem = "/var/vcap/store/etcd/member/snap/db: truncated"

	It("replaces the member from its peers when its cluster's quorum lists it", func() {
		list := &cluster.List{From: "etcd-0", ClusterID: 0xc1, Members: []cluster.Member{other, me}}
		d := cluster.BadData(cluster.Decision{Action: cluster.Restart, List: list}, me.ID, problem)
		Expect(d.Action).To(Equal(cluster.Rejoin))
		Expect(d.List).To(Equal(list))
		Expect(d.Stale).NotTo(BeNil())
		Expect(*d.Stale).To(Equal(me))
		Expect(d.Reason).To(And(ContainSubstring(problem), ContainSubstring("replaced from its peers")))
	})

	It("refuses, naming the file and the recovery, when no quorum answered", func() {
		d := cluster.BadData(cluster.Decision{Action: cluster.Restart}, me.ID, problem)
		Expect(d.Action).To(Equal(cluster.Refuse))
		Expect(d.Reason).To(And(ContainSubstring(problem), ContainSubstring("kept untouched"),
			ContainSubstring("restore the cluster from a snapshot or BBR backup")))
	})

	It("refuses when the list that answered does not hold this member", func() {
		list := &cluster.List{ClusterID: 0xc1, Members: []cluster.Member{other}}
		Expect(cluster.BadData(cluster.Decision{Action: cluster.Restart, List: list}, me.ID, problem).Action).To(Equal(cluster.Refuse))
	})

	It("leaves decisions that do not start etcd on the data alone", func() {
		for _, a := range []cluster.Action{cluster.Refuse, cluster.Rejoin, cluster.Wait} {
			Expect(cluster.BadData(cluster.Decision{Action: a, Reason: "r"}, me.ID, problem)).To(Equal(cluster.Decision{Action: a, Reason: "r"}))
		}
	})
})
