package downgrade_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/downgrade"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

func TestDowngrade(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "downgrade Suite")
}

// fakeCluster records the calls in order; enabling the downgrade moves the
// storage version after storageAfter polls.
type fakeCluster struct {
	calls        []string
	down         string
	cluster      string
	storage      string
	storageAfter int
	snapshotErr  error
	// clusterLags: the cluster version stays at lagging for that many
	// Versions calls, as right after an upgrade, before etcd raises it.
	clusterLags int
	lagging     string
}

func (f *fakeCluster) Status(_ context.Context, ep string) (etcdclient.Status, error) {
	if ep == f.down {
		return etcdclient.Status{}, errors.New("connection refused")
	}
	return etcdclient.Status{Leader: 1}, nil
}

func (f *fakeCluster) Versions(_ context.Context, ep string) (etcdclient.Versions, error) {
	if ep == f.down {
		return etcdclient.Versions{}, errors.New("connection refused")
	}
	if f.clusterLags > 0 {
		f.clusterLags--
		return etcdclient.Versions{Server: "3.7.3", Cluster: f.lagging, Storage: f.storage}, nil
	}
	if f.storage == "3.6.0" && f.storageAfter > 0 {
		f.storageAfter--
		return etcdclient.Versions{Server: "3.7.3", Cluster: f.cluster, Storage: "3.7.0"}, nil
	}
	return etcdclient.Versions{Server: "3.7.3", Cluster: f.cluster, Storage: f.storage}, nil
}

func (f *fakeCluster) Snapshot(_ context.Context, w io.Writer) (int64, error) {
	f.calls = append(f.calls, "snapshot")
	if f.snapshotErr != nil {
		return 0, f.snapshotErr
	}
	n, err := w.Write([]byte("snapshot"))
	return int64(n), err
}

func (f *fakeCluster) Downgrade(_ context.Context, action, target string) (string, error) {
	f.calls = append(f.calls, action+" "+target)
	if action == "enable" {
		f.cluster, f.storage = target+".0", target+".0"
	}
	return target + ".0", nil
}

var _ = Describe("Run", func() {
	var (
		f    *fakeCluster
		opts downgrade.Options
		log  = slog.New(slog.NewTextHandler(GinkgoWriter, nil))
	)
	BeforeEach(func() {
		f = &fakeCluster{cluster: "3.7.0", storage: "3.7.0", storageAfter: 2}
		opts = downgrade.Options{Endpoints: []string{"a", "b", "c"}, SnapshotPath: filepath.Join(GinkgoT().TempDir(), "s", "snap.db"),
			Timeout: time.Second, Poll: time.Millisecond}
	})

	It("takes the snapshot, validates, enables and waits for the storage version, in that order", func() {
		res, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.calls).To(Equal([]string{"snapshot", "validate 3.6", "enable 3.6"}))
		Expect(res).To(And(HaveField("From", "3.7"), HaveField("Target", "3.6"), HaveField("SnapshotBytes", int64(8))))
		Expect(os.ReadFile(opts.SnapshotPath)).To(Equal([]byte("snapshot")))
	})

	It("changes nothing while a member does not answer", func() {
		f.down = "b"
		_, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).To(MatchError(ContainSubstring("member b does not answer")))
		Expect(f.calls).To(BeEmpty())
	})

	It("enables nothing when the snapshot fails, and leaves no partial file", func() {
		f.snapshotErr = errors.New("disk full")
		_, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).To(MatchError(ContainSubstring("nothing was changed")))
		Expect(f.calls).To(Equal([]string{"snapshot"}))
		Expect(opts.SnapshotPath).NotTo(BeAnExistingFile())
		Expect(opts.SnapshotPath + ".part").NotTo(BeAnExistingFile())
	})

	It("goes back one minor only", func() {
		opts.Target = "3.5"
		_, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).To(MatchError(ContainSubstring("one minor at a time, so the target is 3.6, not 3.5")))
		Expect(f.calls).To(BeEmpty())
	})

	It("waits for the cluster version to catch up with the members' after an upgrade, then goes back from it", func() {
		f.lagging, f.clusterLags = "3.6.0", 5
		res, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).NotTo(HaveOccurred())
		Expect(f.calls).To(Equal([]string{"snapshot", "validate 3.6", "enable 3.6"}))
		Expect(res).To(And(HaveField("From", "3.7"), HaveField("Target", "3.6")))
	})

	It("changes nothing when the cluster version stays behind the members'", func() {
		f.lagging, f.clusterLags = "3.6.0", 1<<30
		_, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).To(MatchError(And(ContainSubstring("cluster version 3.6"), ContainSubstring("members run 3.7"))))
		Expect(f.calls).To(BeEmpty())
	})

	It("says which members are not there yet when the wait times out", func() {
		f.storageAfter = 1 << 30
		_, err := downgrade.Run(context.Background(), f, opts, log)
		Expect(err).To(MatchError(And(ContainSubstring("not every member stores its data for 3.6.0"), ContainSubstring("storage 3.7.0"))))
	})
})
