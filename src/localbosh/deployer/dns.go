package deployer

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"path"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/boshdns"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// maxAliasesFile bounds a job's dns/aliases.json read from a VM.
const maxAliasesFile = 1 << 20

// DNSRecords are what localbosh's BOSH DNS answers: every instance of
// every deployment with a VM, by network (healthy when it is to run), with
// its AZ's index in its cloud config, and the aliases its jobs declare in
// /var/vcap/jobs/*/dns/aliases.json ({"alias": ["target", ...]}).
func (d *Deployer) DNSRecords(ctx context.Context) (boshdns.Records, error) {
	names, err := d.deploymentNames()
	if err != nil {
		return boshdns.Records{}, err
	}
	var out boshdns.Records
	for _, name := range names {
		rec, _, err := d.loadRecord(name)
		if err != nil {
			return out, err
		}
		azIndex := map[string]int{}
		if cc, err := manifest.ParseCloudConfig([]byte(rec.CloudConfig)); err == nil {
			for i, az := range cc.AZs {
				azIndex[az.Name] = i + 1
			}
		}
		for _, st := range rec.State.Instances {
			v, err := d.vms.Get(st.VMCID)
			if st.VMCID == "" || err != nil {
				continue
			}
			out.Instances = append(out.Instances, boshdns.Instance{ID: st.ID, Group: st.Group, Deployment: name, Index: st.Index,
				AZIndex: azIndex[st.AZ], Healthy: st.State == "" || st.State == stateStarted, IPs: st.Networks})
			out.Aliases = append(out.Aliases, jobAliases(v)...)
		}
	}
	return out, nil
}

// jobAliases reads the dns/aliases.json of the jobs installed on a VM,
// through its root: a link a VM's process left there never leads out.
func jobAliases(v *vm.VM) []boshdns.Alias {
	r, err := v.OpenRoot()
	if err != nil {
		return nil
	}
	defer r.Close()
	jobs, _ := fs.ReadDir(r.FS(), "jobs")
	var out []boshdns.Alias
	for _, j := range jobs {
		f, err := r.Open(path.Join("jobs", j.Name(), "dns", "aliases.json"))
		if err != nil {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(f, maxAliasesFile))
		f.Close()
		var aliases map[string][]string
		if err != nil || json.Unmarshal(data, &aliases) != nil {
			continue
		}
		for name, targets := range aliases {
			out = append(out, boshdns.Alias{Name: name, Targets: targets})
		}
	}
	return out
}
