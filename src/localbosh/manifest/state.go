package manifest

import (
	"fmt"
	"net/netip"
)

// DeploymentState is what the director persists about a deployment's
// instances between deploys; Plan reads it to keep instance identities.
type DeploymentState struct {
	Instances []InstanceState `json:"instances"`
}

// InstanceState is one instance as the director last left it.
type InstanceState struct {
	Group     string `json:"group"`
	Index     int    `json:"index"`
	ID        string `json:"id"` // uuid
	AZ        string `json:"az,omitempty"`
	Bootstrap bool   `json:"bootstrap"`
	// Networks holds the instance's IP on each network it is on.
	Networks map[string]netip.Addr `json:"networks,omitempty"`
	// The fields below are the director's; Plan carries them over for
	// instances it keeps. A DiskCID makes an instance stay in its AZ.
	VMCID      string `json:"vm_cid,omitempty"`
	DiskCID    string `json:"disk_cid,omitempty"`
	DiskSizeMB int    `json:"disk_size_mb,omitempty"`
	// State is what the operator last asked for: "started" (the
	// default when empty), "stopped" or "detached".
	State string `json:"state,omitempty"`
}

// Name is how BOSH names an instance: "<group>/<id>".
func (s InstanceState) Name() string { return s.Group + "/" + s.ID }

// IPsInUse lists the IPs the deployment's instances hold, each with who
// holds it: what Plan takes as ipsInUseElsewhere for other deployments.
func (s DeploymentState) IPsInUse(deployment string) map[netip.Addr]string {
	out := map[netip.Addr]string{}
	for _, inst := range s.Instances {
		for _, ip := range inst.Networks {
			out[ip] = fmt.Sprintf("instance '%s' of deployment '%s'", inst.Name(), deployment)
		}
	}
	return out
}

// check rejects a state no director could have written: two instances with
// one id, one group index or one IP.
func (s DeploymentState) check() error {
	ids := map[string]bool{}
	indexes := map[string]bool{}
	ips := map[netip.Addr]string{}
	for _, inst := range s.Instances {
		slot := fmt.Sprintf("%s/%d", inst.Group, inst.Index)
		switch {
		case inst.ID == "" || inst.Group == "":
			return fmt.Errorf("%w: an instance has no id or group (%+v); repair or remove it in the director's state", ErrInvalidState, inst)
		case ids[inst.ID]:
			return fmt.Errorf("%w: id %s is used by two instances; repair the director's state", ErrInvalidState, inst.ID)
		case indexes[slot]:
			return fmt.Errorf("%w: index %s is used by two instances; repair the director's state", ErrInvalidState, slot)
		}
		ids[inst.ID], indexes[slot] = true, true
		for _, ip := range inst.Networks {
			if other, ok := ips[ip]; ok {
				return fmt.Errorf("%w: IP %s is held by instances '%s' and '%s'; repair the director's state", ErrInvalidState, ip, other, inst.Name())
			}
			ips[ip] = inst.Name()
		}
	}
	return nil
}
