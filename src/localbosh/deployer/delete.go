package deployer

import (
	"context"
	"os"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

// DeleteDeployment deletes every instance of a deployment (their jobs are
// told the whole deployment goes: BOSH_DEPLOYMENT_NEXT_STATE=delete), then
// the deployment's record. force carries on past failing scripts.
func (d *Deployer) DeleteDeployment(ctx context.Context, log api.TaskLog, deployment string, force bool) error {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return err
	}
	keeper := &recordKeeper{d: d, rec: rec}
	if len(rec.State.Instances) > 0 {
		// BOSH deletes instances in parallel, ten at a time.
		if err := d.deleteInstances(ctx, log, keeper, "", rec.State.Instances, 10, "delete", force); err != nil {
			return err
		}
	}
	path, err := d.recordPath(deployment)
	if err != nil {
		return err
	}
	return os.RemoveAll(filepath.Dir(path))
}
