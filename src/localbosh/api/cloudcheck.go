package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// problemStore keeps the open problems of each deployment's last cloud
// check scan, numbered across deployments as the director numbers them.
type problemStore struct {
	mu     sync.Mutex
	nextID int
	open   map[string][]director.Problem
}

func newProblemStore() *problemStore {
	return &problemStore{nextID: 1, open: map[string][]director.Problem{}}
}

// replace records a scan's problems for a deployment, numbering them.
func (p *problemStore) replace(deployment string, problems []director.Problem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range problems {
		problems[i].ID = p.nextID
		p.nextID++
	}
	p.open[deployment] = problems
}

func (p *problemStore) list(deployment string) []director.Problem {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]director.Problem{}, p.open[deployment]...)
}

// resolved forgets problems once resolved.
func (p *problemStore) resolved(deployment string, ids []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open[deployment] = slices.DeleteFunc(p.open[deployment], func(pr director.Problem) bool { return slices.Contains(ids, pr.ID) })
}

func (s *Server) routeCloudCheck(mux *http.ServeMux) {
	mux.Handle("POST /deployments/{deployment}/scans", s.handle(s.scanProblems))
	mux.Handle("GET /deployments/{deployment}/problems", s.handle(s.listProblems))
	mux.Handle("PUT /deployments/{deployment}/problems", s.handle(s.resolveProblems))
}

// scanProblems is bosh cck's first request: a "scan cloud" task that
// fails at once when the deployment is locked, as the director's does.
func (s *Server) scanProblems(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	return s.startTask(w, r, taskSpec{
		kind: kindCloudCheckScan, description: "scan cloud", deployment: name, exclusive: true, lockTimeout: -1,
		lockFailure: "Unable to get deployment lock, maybe a deployment is in progress. Try again later.",
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			problems, err := s.backend.ScanProblems(ctx, out, name)
			if err != nil {
				return "", err
			}
			s.problems.replace(name, problems)
			return "scan complete", nil
		},
	})
}

func (s *Server) listProblems(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.problems.list(name))
}

// resolveProblems applies bosh cck's answers, {"resolutions": {"<id>":
// "<resolution>"}}, in an "apply resolutions" task whose result is
// "<n> resolved".
func (s *Server) resolveProblems(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	var body struct {
		Resolutions          map[string]*string `json:"resolutions"`
		MaxInFlightOverrides map[string]string  `json:"max_in_flight_overrides"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Resolutions == nil {
		return badRequest(director.CodeCloudcheckInvalidResolutionFormat, "Invalid format for resolutions, Hash expected")
	}
	open := s.problems.list(name)
	var chosen []ProblemResolution
	for _, key := range sortedIDs(body.Resolutions) {
		id, _ := strconv.Atoi(key)
		i := slices.IndexFunc(open, func(p director.Problem) bool { return p.ID == id })
		if i < 0 {
			return badRequest(director.CodeCloudcheckResolutionNotProvided, "Problem %s not found", key)
		}
		resolution := director.ResolutionIgnore
		if body.Resolutions[key] != nil {
			resolution = *body.Resolutions[key]
		}
		if !slices.ContainsFunc(open[i].Resolutions, func(pr director.ProblemResolution) bool { return pr.Name == resolution }) {
			return badRequest(director.CodeCloudcheckInvalidResolutionFormat, "Invalid resolution '%s' for problem %d (%s); use one of %v", resolution, id, open[i].Type, resolutionNames(open[i]))
		}
		chosen = append(chosen, ProblemResolution{Problem: open[i], Resolution: resolution})
	}
	return s.startTask(w, r, taskSpec{
		kind: kindCloudCheckApply, description: "apply resolutions", deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			n, err := s.backend.ResolveProblems(ctx, out, name, chosen)
			var ids []int
			for _, c := range chosen[:min(n, len(chosen))] {
				ids = append(ids, c.Problem.ID)
			}
			s.problems.resolved(name, ids)
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d resolved", n), nil
		},
	})
}

func sortedIDs(m map[string]*string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i])
		b, _ := strconv.Atoi(keys[j])
		return a < b
	})
	return keys
}

func resolutionNames(p director.Problem) []string {
	var out []string
	for _, r := range p.Resolutions {
		out = append(out, r.Name)
	}
	return out
}
