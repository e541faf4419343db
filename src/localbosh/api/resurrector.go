package api

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// ConfigResurrection is the config type of resurrection rules, as the
// director's resurrection config.
const ConfigResurrection = "resurrection"

// resurrect checks the deployments every interval, as BOSH's health
// monitor notices a VM gone, and for one with missing or unresponsive VMs
// starts a "scan and fix" task that recreates them with their disks
// (cloud check's recreate_vm). A deployment that a task holds is left for
// the next round; resurrection configs ("resurrection" type, rules of
// {enabled, include, exclude} by deployments and instance_groups) may
// switch it off.
func (s *Server) resurrect(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		deps, err := s.backend.Deployments(ctx)
		if err != nil {
			s.logger.Error("resurrector: listing deployments", "error", err.Error())
			continue
		}
		for _, dep := range deps {
			if s.tasks.busy(dep.Name) {
				continue
			}
			problems, err := s.backend.ScanProblems(ctx, discardLog{}, dep.Name)
			if err != nil {
				s.logger.Error("resurrector: scanning", "deployment", dep.Name, "error", err.Error())
				continue
			}
			if len(s.toResurrect(dep.Name, problems)) == 0 {
				continue
			}
			name := dep.Name
			task, err := s.tasks.start(taskSpec{
				kind: kindCloudCheckScanAndFix, description: "scan and fix", deployment: name, exclusive: true, lockTimeout: -1, user: "hm",
				run: func(ctx context.Context, out *taskOutput) (string, error) {
					// Scan again, holding the lock: only what is still gone is recreated.
					problems, err := s.backend.ScanProblems(ctx, out, name)
					if err != nil {
						return "", err
					}
					n, err := s.backend.ResolveProblems(ctx, out, name, s.toResurrect(name, problems))
					if err != nil {
						return "", err
					}
					return fmt.Sprintf("%d resolved", n), nil
				},
			})
			if err != nil {
				s.logger.Error("resurrector: starting scan and fix", "deployment", name, "error", err.Error())
				continue
			}
			s.logger.Info("resurrecting", "deployment", name, "task", task.ID)
		}
	}
}

// toResurrect are the problems the resurrector fixes, by recreating the VM.
func (s *Server) toResurrect(deployment string, problems []director.Problem) []ProblemResolution {
	var fix []ProblemResolution
	for _, p := range problems {
		if (p.Type == director.ProblemMissingVM || p.Type == director.ProblemUnresponsiveAgent) && s.resurrectionEnabled(deployment, p.InstanceGroup) {
			fix = append(fix, ProblemResolution{Problem: p, Resolution: director.ResolutionRecreateVM})
		}
	}
	return fix
}

// resurrectionRule is one rule of a resurrection config.
type resurrectionRule struct {
	Enabled *bool             `yaml:"enabled"`
	Include resurrectionMatch `yaml:"include"`
	Exclude resurrectionMatch `yaml:"exclude"`
}

type resurrectionMatch struct {
	Deployments    []string `yaml:"deployments"`
	InstanceGroups []string `yaml:"instance_groups"`
}

// matches: an empty match matches everything (include) and nothing (exclude).
func (m resurrectionMatch) matches(deployment, group string, empty bool) bool {
	if len(m.Deployments) == 0 && len(m.InstanceGroups) == 0 {
		return empty
	}
	return (len(m.Deployments) == 0 || slices.Contains(m.Deployments, deployment)) &&
		(len(m.InstanceGroups) == 0 || slices.Contains(m.InstanceGroups, group))
}

// resurrectionEnabled is on unless a rule of a resurrection config that
// applies (its include matches, its exclude does not) says enabled: false.
func (s *Server) resurrectionEnabled(deployment, group string) bool {
	for _, c := range s.configs.list(ConfigResurrection, "", true) {
		var doc struct {
			Rules []resurrectionRule `yaml:"rules"`
		}
		if err := yaml.Unmarshal([]byte(c.Content), &doc); err != nil {
			continue
		}
		for _, r := range doc.Rules {
			if r.Include.matches(deployment, group, true) && !r.Exclude.matches(deployment, group, false) && r.Enabled != nil && !*r.Enabled {
				return false
			}
		}
	}
	return true
}
