//go:build unix

package storesqlite

import (
	"math"
	"path/filepath"
	"syscall"
)

// diskFree is the space an unprivileged writer has on the file system holding path.
func diskFree(path string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		return math.MaxInt64 // unknown: the cap and the writes themselves tell
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
