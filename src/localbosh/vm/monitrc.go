package vm

import (
	"crypto/rand"
	"fmt"
	"strings"
)

// monitPort is where every VM's monit listens, on the VM's own 127.0.0.1
// (each VM has its own network namespace), as on a BOSH stemcell.
const monitPort = 2822

// monitCredentials protect a VM's monit HTTP interface. The monit CLI in
// the VM reads them from the monitrc.
type monitCredentials struct{ User, Password string }

// newMonitCredentials makes a random user and password. Both are letters
// and digits starting with a letter: monit's config grammar rejects some
// words and characters (a password of "secret" is a syntax error).
func newMonitCredentials() monitCredentials {
	return monitCredentials{
		User:     "vcap" + strings.ToLower(rand.Text()[:8]),
		Password: "P" + rand.Text(),
	}
}

// renderMonitrc is a VM's /var/vcap/monit/monitrc.
//
// It polls every second so that a started job is seen running quickly, and
// sets "onreboot nostart" so that services added by a reload stay
// unmonitored until Start: the BOSH lifecycle runs pre-start between
// writing the job's monit file and starting its processes.
func renderMonitrc(c monitCredentials) []byte {
	return fmt.Appendf(nil, `# Written by localbosh for this VM, as the BOSH agent provides a stemcell's monitrc.
set daemon 1
set onreboot nostart
set pidfile /var/vcap/monit/monit.pid
set statefile /var/vcap/monit/monit.state
set idfile /var/vcap/monit/monit.id
set logfile /var/vcap/monit/monit.log
set httpd port %d and use address 127.0.0.1
  allow %s:%s
include /var/vcap/monit/job/*.monitrc
`, monitPort, c.User, c.Password)
}
