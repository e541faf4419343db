package cli

import (
	"slices"
	"sort"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// commandTable lists the commands. Adding one is a file with its struct
// (Flags and Run) and an entry here.
func commandTable() map[string]commandSpec {
	instanceSlugArg := argSpec{name: "INSTANCE-GROUP[/INSTANCE-ID]", optional: true}
	return map[string]commandSpec{
		// Deployments
		"deploy": {summary: "Update deployment", aliases: []string{"d"},
			args: []argSpec{{name: "PATH"}}, new: func() command { return &deployCmd{} }},
		"deployments": {summary: "List deployments", aliases: []string{"ds", "deps"},
			new: func() command { return &deploymentsCmd{} }},
		"delete-deployment": {summary: "Delete deployment", aliases: []string{"deld"},
			new: func() command { return &deleteDeploymentCmd{} }},
		"manifest": {summary: "Show deployment manifest", aliases: []string{"man"},
			new: func() command { return &manifestCmd{} }},
		"interpolate": {summary: "Interpolates variables into a manifest", aliases: []string{"int"},
			args: []argSpec{{name: "PATH"}}, new: func() command { return &interpolateCmd{} }},

		// Instances
		"instances": {summary: "List all instances in a deployment", aliases: []string{"is"},
			new: func() command { return &instancesCmd{} }},
		"vms": {summary: "List all VMs in all deployments",
			new: func() command { return &vmsCmd{} }},
		"run-errand": {summary: "Run errand",
			args: []argSpec{{name: "NAME"}}, new: func() command { return &runErrandCmd{} }},
		"start": {summary: "Start instance(s)",
			args: []argSpec{instanceSlugArg}, new: func() command { return &jobStateCmd{state: director.JobStarted} }},
		"stop": {summary: "Stop instance(s)",
			args: []argSpec{instanceSlugArg}, new: func() command { return &jobStateCmd{state: director.JobStopped} }},
		"restart": {summary: "Restart instance(s)",
			args: []argSpec{instanceSlugArg}, new: func() command { return &jobStateCmd{state: director.JobRestart} }},
		"recreate": {summary: "Recreate instance(s)",
			args: []argSpec{instanceSlugArg}, new: func() command { return &jobStateCmd{state: director.JobRecreate} }},

		// Releases, stemcells, cloud config
		"create-release": {summary: "Create release", aliases: []string{"cr"},
			args: []argSpec{{name: "DIR", optional: true}}, new: func() command { return &createReleaseCmd{} }},
		"upload-release": {summary: "Upload release", aliases: []string{"ur"},
			args: []argSpec{{name: "URL", optional: true}}, new: func() command { return &uploadReleaseCmd{} }},
		"releases": {summary: "List releases", aliases: []string{"rs"},
			new: func() command { return &releasesCmd{} }},
		"stemcells": {summary: "List stemcells", aliases: []string{"ss"},
			new: func() command { return &stemcellsCmd{} }},
		"cloud-config": {summary: "Show current cloud config", aliases: []string{"cc"},
			new: func() command { return &cloudConfigCmd{} }},
		"update-cloud-config": {summary: "Update current cloud config", aliases: []string{"ucc"},
			args: []argSpec{{name: "PATH"}}, new: func() command { return &updateCloudConfigCmd{} }},

		// The local director and its VMs
		"director": {summary: "Run the local director in the foreground",
			new: func() command { return &directorCmd{} }},
		"ssh": {summary: "Run a shell or a command in instance VMs of the local director",
			args: []argSpec{instanceSlugArg}, new: func() command { return &sshCmd{} }},
		"logs": {summary: "Download instance logs (/var/vcap/sys/log) from the local director's VMs",
			args: []argSpec{instanceSlugArg}, new: func() command { return &logsCmd{} }},
		"backup": {summary: "Back up the deployment through its jobs' bin/bbr scripts, as `bbr deployment backup` does",
			new: func() command { return &backupCmd{} }},
		"restore": {summary: "Restore the deployment from a backup through its jobs' bin/bbr scripts, as `bbr deployment restore` does",
			new: func() command { return &restoreCmd{} }},
		"clean": {summary: "Stop the local director and remove every namespace, bridge, mount and process it created",
			new: func() command { return &cleanCmd{} }},

		// Tasks
		"tasks": {summary: "List running or recent tasks", aliases: []string{"ts"},
			new: func() command { return &tasksCmd{} }},
		"task": {summary: "Show task status and start tracking its output", aliases: []string{"t"},
			args: []argSpec{{name: "ID", optional: true}}, new: func() command { return &taskCmd{} }},
	}
}

// lookupCommand finds a command by name or alias.
func lookupCommand(name string) (string, commandSpec, bool) {
	table := commandTable()
	if spec, ok := table[name]; ok {
		return name, spec, true
	}
	for canonical, spec := range table {
		if slices.Contains(spec.aliases, name) {
			return canonical, spec, true
		}
	}
	return "", commandSpec{}, false
}

func commandNames() []string {
	var names []string
	for name := range commandTable() {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
