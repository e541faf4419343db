package vm

import (
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("a VM's monitrc", func() {
	// settings maps each "set" statement's first word to the rest.
	settings := func(rc string) map[string]string {
		out := map[string]string{}
		for _, line := range strings.Split(rc, "\n") {
			if rest, ok := strings.CutPrefix(line, "set "); ok {
				key, value, _ := strings.Cut(rest, " ")
				out[key] = value
			}
		}
		return out
	}

	It("keeps monit's files under /var/vcap/monit, polls every second and leaves new services unstarted", func() {
		rc := string(renderMonitrc(monitCredentials{User: "vcapabc", Password: "Pxyz"}))
		s := settings(rc)
		Expect(s).To(HaveKeyWithValue("daemon", "1"))
		Expect(s).To(HaveKeyWithValue("onreboot", "nostart"))
		for _, f := range []string{"pidfile", "statefile", "idfile", "logfile"} {
			Expect(s[f]).To(HavePrefix("/var/vcap/monit/"), f)
		}
		Expect(s).To(HaveKeyWithValue("httpd", "port 2822 and use address 127.0.0.1"))
		Expect(rc).To(ContainSubstring("\n  allow vcapabc:Pxyz\n"))
		Expect(rc).To(ContainSubstring("\ninclude /var/vcap/monit/job/*.monitrc\n"))
	})

	It("generates different alphanumeric credentials starting with a letter", func() {
		alnum := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{7,}$`)
		seen := map[string]bool{}
		for range 20 {
			c := newMonitCredentials()
			Expect(c.User).To(MatchRegexp(alnum.String()))
			Expect(c.Password).To(MatchRegexp(alnum.String()))
			Expect(seen).NotTo(HaveKey(c.Password))
			seen[c.Password] = true
		}
	})
})

var _ = Describe("pid files in job monit files", func() {
	It("maps each process service to its pid file, whatever the layout", func() {
		content := `# etcd's monit file
check process etcd
  with pidfile /var/vcap/sys/run/etcd/etcd.pid
  start program "/var/vcap/jobs/etcd/bin/etcd_ctl start"
  stop program "/var/vcap/jobs/etcd/bin/etcd_ctl stop" # with a comment
  group vcap

CHECK PROCESS "consul agent" WITH PIDFILE '/var/vcap/sys/run/consul agent.pid'
check file config with path /var/vcap/jobs/etcd/config/etcd.yml
check process matcher matching "sleep"
  start program "/bin/true"
`
		Expect(parseMonitPidfiles(content)).To(Equal(map[string]string{
			"etcd":         "/var/vcap/sys/run/etcd/etcd.pid",
			"consul agent": "/var/vcap/sys/run/consul agent.pid",
		}))
	})
})
