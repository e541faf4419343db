package localcluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// Status asks node cfg's etcdfab for its status report, presenting the
// node's own peer certificate under peer TLS, as its peers do.
func (c *Cluster) Status(cfg config.Config) (status.Report, error) {
	var tlsConfig *tls.Config
	if cfg.Etcd.PeerRequireSSL {
		t := cfg.PeerTLS()
		var err error
		if tlsConfig, err = etcdclient.TLSConfig(t.CA, t.Cert, t.Key); err != nil {
			return status.Report{}, err
		}
		tlsConfig.ServerName = cfg.TLSServerName()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, _, err := status.NewClient(tlsConfig, 4*time.Second).Fetch(ctx, cfg.StatusURL(cfg.SelfPeer()))
	if err != nil {
		return r, fmt.Errorf("node %d: %w", cfg.Node.Index, err)
	}
	return r, nil
}
