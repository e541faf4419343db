package deployer

import (
	"io/fs"
	"syscall"
)

// owner is a file's owner and group, as copyTree keeps them.
func owner(info fs.FileInfo) (uid, gid int, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
