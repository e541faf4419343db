package vm

import "errors"

// Sentinel errors, checked with errors.Is.
var (
	// ErrNotFound: no VM or disk with that cid.
	ErrNotFound = errors.New("not found")
	// ErrExists: a VM or disk with that cid already exists.
	ErrExists = errors.New("already exists")
	// ErrIPInUse: another VM of this Manager has the requested IP.
	ErrIPInUse = errors.New("IP address in use")
	// ErrDiskAttached: the disk is attached to a VM.
	ErrDiskAttached = errors.New("disk is attached")
	// ErrNamespacesGone: the VM's record exists but its namespaces do not,
	// as after a reboot of the machine. Delete the VM and create it again.
	ErrNamespacesGone = errors.New("VM's namespaces are gone")
	// ErrNotOurs: a host object with the configured name exists but was not
	// created by localbosh, so it is left alone.
	ErrNotOurs = errors.New("not created by localbosh")
)
