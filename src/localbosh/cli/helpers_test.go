package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/cli"
)

// testDirector is a real localbosh director API server on 127.0.0.1 with a
// fake backend, its credentials generated in a temporary state directory.
// The backend opens uploaded release tarballs, as a director would, and
// reports one stemcell.
type testDirector struct{ *apitest.Director }

func startDirector() *testDirector {
	GinkgoHelper()
	backend := apitest.NewBackend(
		apitest.OpenReleaseTarballs(GinkgoT().TempDir()),
		apitest.WithStemcells(director.Stemcell{Name: "bosh-warden-boshlite-ubuntu-jammy", OperatingSystem: "ubuntu-jammy", Version: "1.0", CID: "none"}),
	)
	return &testDirector{apitest.Start(GinkgoT().TempDir(), backend)}
}

// env is the environment that points the CLI at this director.
func (d *testDirector) env() map[string]string {
	return map[string]string{
		"BOSH_ENVIRONMENT": d.URL, "BOSH_CLIENT": d.Creds.Username,
		"BOSH_CLIENT_SECRET": d.Creds.Password, "BOSH_CA_CERT": d.Creds.CACertPath,
	}
}

// result is what one CLI run printed and returned.
type result struct {
	code   int
	stdout string
	stderr string
}

// lines are stdout's lines.
func (r result) lines() []string { return strings.Split(r.stdout, "\n") }

// runCLI runs the CLI in-process with env as its whole environment. Its
// director clients poll fast.
func runCLI(env map[string]string, args ...string) result {
	return invokeCLI(env, "", fastDirector, args)
}

// runCLIWithInput runs the CLI with stdin as its standard input.
func runCLIWithInput(env map[string]string, stdin string, args ...string) result {
	return invokeCLI(env, stdin, fastDirector, args)
}

// runCLIWithDirector runs the CLI with its own director client factory.
func runCLIWithDirector(env map[string]string, newDirector func(director.Config) (cli.Director, error), args ...string) result {
	return invokeCLI(env, "", newDirector, args)
}

func invokeCLI(env map[string]string, stdin string, newDirector func(director.Config) (cli.Director, error), args []string) result {
	var stdout, stderr bytes.Buffer
	code := cli.Run(args, cli.Deps{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		Getenv:      func(k string) string { return env[k] },
		NewDirector: newDirector,
	})
	GinkgoWriter.Printf("$ localbosh %s\n%s%s(exit %d)\n", strings.Join(args, " "), stdout.String(), stderr.String(), code)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func fastDirector(cfg director.Config) (cli.Director, error) {
	cfg.PollInterval = 5 * time.Millisecond
	c, err := director.New(cfg)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// writeFile writes content to name under dir and returns its path.
func writeFile(dir, name, content string) string {
	GinkgoHelper()
	path := filepath.Join(dir, name)
	Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
	Expect(os.WriteFile(path, []byte(content), 0o644)).To(Succeed())
	return path
}

// tableRows splits the rows of a TTY table printed between its header line
// (starting with firstHeader) and the next empty line into fields.
func tableRows(stdout, firstHeader string) (header []string, rows [][]string) {
	GinkgoHelper()
	lines := strings.Split(stdout, "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, firstHeader+" ") {
			start = i
			break
		}
	}
	Expect(start).NotTo(Equal(-1), "no table with header %q in:\n%s", firstHeader, stdout)
	header = splitColumns(lines[start])
	for _, l := range lines[start+1:] {
		if strings.TrimSpace(l) == "" {
			break
		}
		rows = append(rows, splitColumns(l))
	}
	return header, rows
}

// splitColumns splits a table line at runs of two or more spaces.
func splitColumns(line string) []string {
	var cols []string
	for _, f := range strings.Split(strings.TrimRight(line, " "), "  ") {
		if f = strings.TrimSpace(f); f != "" {
			cols = append(cols, f)
		}
	}
	return cols
}
