package deployer

import (
	"slices"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// recordKeeper guards a deployment's record while instances of it are
// updated in parallel, and saves it after every change, so a restarted
// director knows every VM and disk that exists.
type recordKeeper struct {
	d   *Deployer
	mu  sync.Mutex
	rec deploymentRecord
}

// instance returns the recorded state of instance id.
func (k *recordKeeper) instance(id string) (manifest.InstanceState, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.IndexFunc(k.rec.State.Instances, func(s manifest.InstanceState) bool { return s.ID == id })
	if i < 0 {
		return manifest.InstanceState{}, false
	}
	return k.rec.State.Instances[i], true
}

// applied is the digest last applied to instance id.
func (k *recordKeeper) applied(id string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.Applied[id]
}

// put records an instance's state (and, if digest is not nil, what was
// applied to it) and saves the record.
func (k *recordKeeper) put(s manifest.InstanceState, digest *string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	i := slices.IndexFunc(k.rec.State.Instances, func(o manifest.InstanceState) bool { return o.ID == s.ID })
	if i < 0 {
		k.rec.State.Instances = append(k.rec.State.Instances, s)
	} else {
		k.rec.State.Instances[i] = s
	}
	if digest != nil {
		k.rec.Applied[s.ID] = *digest
	}
	return k.d.saveRecord(k.rec)
}

// spec is what was last applied to instance id, for drain's arguments.
func (k *recordKeeper) spec(id string) appliedSpec {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.Specs[id]
}

// applied records that an instance runs what di describes (its digest and
// spec) in the given state, and saves the record.
func (k *recordKeeper) done(st manifest.InstanceState, di desiredInstance) error {
	k.mu.Lock()
	if k.rec.Specs == nil {
		k.rec.Specs = map[string]appliedSpec{}
	}
	k.rec.Specs[st.ID] = di.spec()
	k.mu.Unlock()
	return k.put(st, &di.digest)
}

// remove forgets a deleted instance and saves the record.
func (k *recordKeeper) remove(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rec.State.Instances = slices.DeleteFunc(k.rec.State.Instances, func(s manifest.InstanceState) bool { return s.ID == id })
	delete(k.rec.Applied, id)
	delete(k.rec.Specs, id)
	return k.d.saveRecord(k.rec)
}

// save writes the record as it is.
func (k *recordKeeper) save() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.d.saveRecord(k.rec)
}

// lastErrandRun is the digest of an errand's last successful run.
func (k *recordKeeper) lastErrandRun(errand string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.rec.ErrandRuns[errand]
}

// errandRan records an errand's successful run and saves the record.
func (k *recordKeeper) errandRan(errand, digest string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.rec.ErrandRuns == nil {
		k.rec.ErrandRuns = map[string]string{}
	}
	k.rec.ErrandRuns[errand] = digest
	return k.d.saveRecord(k.rec)
}
