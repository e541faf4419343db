package localcluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Garbage writes n keys of size bytes under prefix ("<prefix>-000000",
// ...), 100 to a transaction, deletes them all and compacts physically, so
// that most of every member's database file is free: what a
// defragmentation gives back. A transaction that fails is tried again
// every 200ms until ctx ends (a cluster just started may still be electing
// its leader); the error names the first key of the batch that never
// succeeded.
func Garbage(ctx context.Context, kv clientv3.KV, prefix string, n, size int) error {
	value := strings.Repeat("x", size)
	for i := 0; i < n; i += 100 {
		var ops []clientv3.Op
		for j := i; j < i+100 && j < n; j++ {
			ops = append(ops, clientv3.OpPut(fmt.Sprintf("%s-%06d", prefix, j), value))
		}
		for {
			call, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := kv.Txn(call).Then(ops...).Commit()
			cancel()
			if err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("writing garbage keys from %s-%06d: %w", prefix, i, err)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	call, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, err := kv.Delete(call, prefix+"-", clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("deleting the garbage keys %s-*: %w", prefix, err)
	}
	if _, err := kv.Compact(call, resp.Header.Revision, clientv3.WithCompactPhysical()); err != nil {
		return fmt.Errorf("compacting at revision %d after deleting %s-*: %w", resp.Header.Revision, prefix, err)
	}
	return nil
}
