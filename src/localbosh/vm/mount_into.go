package vm

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// mountInto bind-mounts source, a host path, at target inside the mount
// namespace bound to nsFile, where source is not visible (VMs do not see
// the state directory, where disks are), so that a mount(8) there could not
// name it. It clones source's mount in the director's namespace
// (open_tree), enters the VM's (setns) and attaches the clone there
// (move_mount), on an OS thread of its own, which ends afterwards rather
// than run anything else in the VM's namespace.
func mountInto(nsFile, source, target string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// No UnlockOSThread: the thread leaves the director's mount
		// namespace, so it must end with this goroutine.
		errc <- mountIntoOnThisThread(nsFile, source, target)
	}()
	if err := <-errc; err != nil {
		return fmt.Errorf("mounting %s at %s in mount namespace %s: %w", source, target, nsFile, err)
	}
	return nil
}

func mountIntoOnThisThread(nsFile, source, target string) error {
	ns, err := os.Open(nsFile)
	if err != nil {
		return err
	}
	defer ns.Close()
	tree, err := unix.OpenTree(unix.AT_FDCWD, source, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if errors.Is(err, unix.ENOSYS) {
		return errors.New("binding a host directory into a VM needs Linux 5.2 or later (open_tree and move_mount)")
	}
	if err != nil {
		return fmt.Errorf("cloning the mount of %s: %w", source, err)
	}
	defer unix.Close(tree)
	// setns into a mount namespace needs a thread that shares its root and
	// working directory with no other thread.
	if err := unix.Unshare(unix.CLONE_FS); err != nil {
		return fmt.Errorf("unsharing the thread's file system information: %w", err)
	}
	if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNS); err != nil {
		return fmt.Errorf("entering the mount namespace: %w", err)
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("attaching the mount at %s: %w", target, err)
	}
	return nil
}
