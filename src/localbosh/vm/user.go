package vm

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strconv"
)

// vcapUser is the user BOSH jobs run their processes as. VMs share the
// host's users, so it is a host user.
const vcapUser = "vcap"

// ensureVcapUser creates the vcap user and group if the host lacks them and
// returns the group id.
func ensureVcapUser(ctx context.Context, r Runner) (gid int, err error) {
	u, err := user.Lookup(vcapUser)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) {
		if _, err := run(ctx, r, "useradd", "--user-group", "--no-create-home",
			"--home-dir", "/home/vcap", "--shell", "/bin/bash", vcapUser); err != nil {
			return 0, fmt.Errorf("creating the vcap user that jobs run as: %w", err)
		}
		u, err = user.Lookup(vcapUser)
	}
	if err != nil {
		return 0, fmt.Errorf("looking up the vcap user: %w", err)
	}
	gid, err = strconv.Atoi(u.Gid)
	if err != nil {
		return 0, fmt.Errorf("vcap user's group id %q is not a number: %w", u.Gid, err)
	}
	return gid, nil
}
