package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"
)

// record is what a VM's directory remembers about it (vm.json), so that a
// restarted director finds its VMs again.
type record struct {
	CID       string       `json:"cid"`
	IP        netip.Addr   `json:"ip"`
	DNS       []netip.Addr `json:"dns"`
	NetNS     string       `json:"netns"`
	Veth      string       `json:"veth"`
	DiskCID   string       `json:"disk_cid,omitempty"`
	Hostname  string       `json:"hostname,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
}

func writeRecord(path string, r record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding VM record %s: %w", r.CID, err)
	}
	return writeFileAtomic(path, append(data, '\n'), 0o600)
}

// readRecord reads a VM record; a missing one is ErrNotFound.
func readRecord(path, cid string) (record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return record{}, fmt.Errorf("VM %s: %w", cid, ErrNotFound)
	}
	if err != nil {
		return record{}, fmt.Errorf("reading VM %s: %w", cid, err)
	}
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return record{}, fmt.Errorf("reading VM %s: %s is not valid JSON (%v); delete the VM and recreate it", cid, path, err)
	}
	return r, nil
}
