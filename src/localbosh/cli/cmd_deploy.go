package cli

import (
	"context"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// deployCmd is `deploy PATH`: evaluate the manifest locally (ops files,
// then variables, generating declared ones into --vars-store), send it and
// follow the deploy task.
type deployCmd struct {
	template    templateFlags
	recreate    bool
	fix         bool
	skipDrain   []string
	canaries    string
	maxInFlight string
	dryRun      bool
}

func (c *deployCmd) Flags(fs *flagSet) {
	c.template.register(fs)
	fs.boolFlag(&c.recreate, "recreate", "", "Recreate all VMs in deployment")
	fs.boolFlag(&c.fix, "fix", "", "Recreate an instance with an unresponsive agent instead of erroring")
	fs.optionalListFlag(&c.skipDrain, "skip-drain", "INSTANCE-GROUP", "*", "Skip running drain and pre-stop scripts for specific instance groups (all when no group is given)")
	fs.stringFlag(&c.canaries, "canaries", "", "N|N%", "Override manifest values for canaries")
	fs.stringFlag(&c.maxInFlight, "max-in-flight", "", "N|N%", "Override manifest values for max_in_flight")
	fs.boolFlag(&c.dryRun, "dry-run", "", "Renders job templates without altering deployment")
}

func (c *deployCmd) Run(ctx context.Context, s *Session, args []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return err
	}
	data, err := s.ReadInput(args[0])
	if err != nil {
		return err
	}
	// The local director has no config server: every variable must be
	// resolved here.
	manifest, err := c.template.evaluateYAML(args[0], data, true)
	if err != nil {
		return fmt.Errorf("Evaluating manifest: %w", err)
	}
	if err := checkManifestName(manifest, name); err != nil {
		return err
	}
	if err := s.UI.AskForConfirmation(); err != nil {
		return err
	}
	task, err := client.Deploy(ctx, manifest, director.DeployOptions{
		Recreate: c.recreate, Fix: c.fix, SkipDrain: c.skipDrain,
		Canaries: c.canaries, MaxInFlight: c.maxInFlight, DryRun: c.dryRun,
	})
	if err != nil {
		return err
	}
	_, err = s.FollowTask(ctx, client, task)
	return err
}
