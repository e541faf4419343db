package cluster

import (
	"fmt"
	"slices"
	"strings"
)

// SafeToRemove checks that removing target leaves enough healthy voting
// members to form a majority of the voting members that remain. Learners
// never count towards quorum, so removing one is always safe. healthy holds
// the IDs of members known to be up and following a leader.
func SafeToRemove(members []Member, healthy map[uint64]bool, target uint64) error {
	var remaining, up int
	var down []string
	for _, m := range members {
		if m.ID == target {
			if m.IsLearner {
				return nil
			}
			continue
		}
		if m.IsLearner {
			continue
		}
		remaining++
		if healthy[m.ID] {
			up++
		} else {
			down = append(down, m.String())
		}
	}
	if remaining == 0 {
		return nil
	}
	if need := remaining/2 + 1; up < need {
		slices.Sort(down)
		return fmt.Errorf("removing member %x would leave %d of %d remaining voting members healthy, and quorum needs %d; bring back %s first",
			target, up, remaining, need, strings.Join(down, ", "))
	}
	return nil
}

// Voters returns the members that vote (are not learners).
func Voters(members []Member) []Member {
	var voters []Member
	for _, m := range members {
		if !m.IsLearner {
			voters = append(voters, m)
		}
	}
	return voters
}
