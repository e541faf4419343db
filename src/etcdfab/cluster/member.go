// Package cluster holds etcdfab's decisions about cluster membership as pure
// functions: what to do on start, who this node is in a member list, whether
// removing a member keeps quorum, whether a whole-cluster start waits on
// instances not started yet, and whether the group's instances agree on one
// cluster.
package cluster

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Member is one etcd cluster member as the member list reports it. A member
// that was added but never started has no name yet.
type Member struct {
	ID         uint64
	Name       string
	PeerURLs   []string
	ClientURLs []string
	IsLearner  bool
}

// Started reports whether the member has run and published its name.
func (m Member) Started() bool { return m.Name != "" }

// String names a member for logs and error messages.
func (m Member) String() string {
	if m.Started() {
		return fmt.Sprintf("%s (%x)", m.Name, m.ID)
	}
	return fmt.Sprintf("unstarted member %x at %s", m.ID, strings.Join(m.PeerURLs, ","))
}

// Self identifies this node in a member list: the member with its name, or
// the member holding its peer URL (an added member that has not started yet,
// or this node before a peer URL change).
type Self struct {
	Name    string
	PeerURL string
}

// Find returns this node's entry in members, if any.
func (s Self) Find(members []Member) (Member, bool) {
	for _, m := range members {
		if m.Name == s.Name || slices.Contains(m.PeerURLs, s.PeerURL) {
			return m, true
		}
	}
	return Member{}, false
}

// InitialCluster renders etcd's --initial-cluster for a node joining members:
// every member's peer URLs under its name. etcd only compares peer URLs of
// the other members, but it needs distinct names, so unstarted members get a
// placeholder.
func InitialCluster(members []Member, self Self) string {
	var parts []string
	for _, m := range members {
		name := m.Name
		switch {
		case slices.Contains(m.PeerURLs, self.PeerURL):
			name = self.Name
		case name == "":
			name = fmt.Sprintf("unstarted-%x", m.ID)
		}
		for _, u := range m.PeerURLs {
			parts = append(parts, name+"="+u)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
