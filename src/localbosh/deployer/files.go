package deployer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// copyTree copies the contents of src into dst (created if needed), keeping
// modes, owners and symlinks, as installing a package or job on a VM must.
func copyTree(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	out, err := exec.Command("cp", "-a", "--", filepath.Clean(src)+"/.", dst).CombinedOutput()
	if err != nil {
		return fmt.Errorf("copying %s to %s: %v: %s", src, dst, err, out)
	}
	return nil
}
