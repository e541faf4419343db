package etcdclient

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// DBStatus is a member's status with what day-2 operations look at: raft
// progress, the revision it serves and the size of its database.
type DBStatus struct {
	Status
	RaftTerm     uint64
	AppliedIndex uint64
	Revision     int64
	// DBSize is the database file's size, DBSizeInUse the part of it that
	// holds data; the difference is what defragmenting gives back.
	DBSize      int64
	DBSizeInUse int64
	DBSizeQuota int64
}

// DBStatus asks the member at endpoint for its status and database size.
func (c *Client) DBStatus(ctx context.Context, endpoint string) (DBStatus, error) {
	resp, err := c.c.Status(ctx, endpoint)
	if err != nil {
		return DBStatus{}, fmt.Errorf("getting status of %s: %w", endpoint, err)
	}
	return DBStatus{
		Status: Status{ClusterID: resp.Header.ClusterId, MemberID: resp.Header.MemberId, Leader: resp.Leader,
			RaftIndex: resp.RaftIndex, IsLearner: resp.IsLearner, Errors: resp.Errors,
			Version: resp.Version, StorageVersion: resp.StorageVersion, Downgrade: downgradeTarget(resp.DowngradeInfo)},
		RaftTerm: resp.RaftTerm, AppliedIndex: resp.RaftAppliedIndex, Revision: resp.Header.Revision,
		DBSize: resp.DbSize, DBSizeInUse: resp.DbSizeInUse, DBSizeQuota: resp.DbSizeQuota,
	}, nil
}

// Alarm is an alarm a member raised: NOSPACE (the database reached its
// quota) or CORRUPT (its data differs from its peers').
type Alarm struct {
	MemberID uint64
	Type     string
}

// Alarms lists the alarms raised in the cluster.
func (c *Client) Alarms(ctx context.Context) ([]Alarm, error) {
	resp, err := c.c.AlarmList(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing alarms through %s: %w", c.describe(), err)
	}
	var out []Alarm
	for _, a := range resp.Alarms {
		out = append(out, Alarm{MemberID: a.MemberID, Type: a.Alarm.String()})
	}
	return out, nil
}

// Read reads a key through the member at endpoint alone: a linearizable
// read proves the member serves with a leader and quorum; a serializable
// one (for learners, which refuse linearizable reads) that it serves its
// own data.
func (c *Client) Read(ctx context.Context, endpoint string, linearizable bool) error {
	one, err := NewV3([]string{endpoint}, c.tls)
	if err != nil {
		return err
	}
	defer one.Close()
	var opts []clientv3.OpOption
	if !linearizable {
		opts = append(opts, clientv3.WithSerializable())
	}
	if _, err := one.Get(ctx, "etcdfab-health-check", opts...); err != nil {
		kind := "linearizable"
		if !linearizable {
			kind = "serializable"
		}
		return fmt.Errorf("%s read through %s: %w", kind, endpoint, err)
	}
	return nil
}

// Defragment rewrites the database of the member at endpoint, giving the
// space freed by compaction back to the file system. The member serves
// nothing while it runs.
func (c *Client) Defragment(ctx context.Context, endpoint string) (time.Duration, error) {
	start := time.Now()
	if _, err := c.c.Defragment(ctx, endpoint); err != nil {
		return time.Since(start), fmt.Errorf("defragmenting %s: %w", endpoint, err)
	}
	return time.Since(start), nil
}
