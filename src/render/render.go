// Package render renders a BOSH job's ERB templates as the BOSH director
// does: real Ruby ERB (trim mode "-") evaluated with BOSH's template context
// (p, if_p, spec, link, if_link), reporting failures in BOSH's words.
package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

// MonitDestination is the key of the rendered monit file in RenderJob's
// result; the director renders <job>/monit like any template.
const MonitDestination = "monit"

// Renderer renders job templates with a ruby binary.
type Renderer struct {
	// Ruby is the ruby binary: a path, or a name looked up on PATH.
	// Empty means "ruby".
	Ruby string
}

// RenderJob renders with ruby from PATH; see Renderer.RenderJob.
func RenderJob(ctx context.Context, jobDir string, spec jobspec.Spec, manifestProps map[string]any, inst Instance, links map[string]Link) (map[string][]byte, error) {
	return Renderer{}.RenderJob(ctx, jobDir, spec, manifestProps, inst, links)
}

// RenderJob renders every template of the job in jobDir (and its monit file,
// if any) for one instance, in one ruby process. manifestProps are the job's
// properties from the manifest, nested; links are the consumed links by name.
// The result maps destinations (relative to /var/vcap/jobs/<job>/, and
// MonitDestination) to content; file modes are the caller's choice.
// Template failures come back as one *JobError listing each template.
func (r Renderer) RenderJob(ctx context.Context, jobDir string, spec jobspec.Spec, manifestProps map[string]any, inst Instance, links map[string]Link) (map[string][]byte, error) {
	if err := checkConsumed(spec, links); err != nil {
		return nil, err
	}
	props, err := ResolveProperties(spec, manifestProps)
	if err != nil {
		return nil, err
	}
	templates, err := readTemplates(jobDir, spec)
	if err != nil {
		return nil, err
	}
	ruby := r.Ruby
	if ruby == "" {
		ruby = "ruby"
	}
	reply, err := runRuby(ctx, ruby, rubyRequest{
		Job:       spec.Name,
		Spec:      newTemplateSpec(spec.Name, inst, props, links),
		Templates: templates,
	})
	if err != nil {
		return nil, err
	}
	if len(reply.Errors) > 0 {
		jobErr := &JobError{Job: spec.Name}
		for _, e := range reply.Errors {
			jobErr.Templates = append(jobErr.Templates, TemplateError{Source: e.Source, Line: e.Line, Message: e.Message})
		}
		return nil, jobErr
	}
	return reply.Rendered, nil
}

// checkConsumed refuses links the job does not consume: handing them over
// would let templates see links BOSH would never give them.
func checkConsumed(spec jobspec.Spec, links map[string]Link) error {
	for _, name := range slices.Sorted(maps.Keys(links)) {
		if !slices.ContainsFunc(spec.Consumes, func(l jobspec.Link) bool { return l.Name == name }) {
			return fmt.Errorf("rendering job '%s': link '%s' was given, but the job spec does not consume it; add it to 'consumes' or stop passing it", spec.Name, name)
		}
	}
	return nil
}

// readTemplates loads the spec's templates in source order, then monit.
func readTemplates(jobDir string, spec jobspec.Spec) ([]rubyTemplate, error) {
	templates := []rubyTemplate{}  // never null in the request
	sources := map[string]string{} // destination -> source, to catch clashes
	add := func(source, destination string, content []byte) error {
		if other, clash := sources[destination]; clash {
			return fmt.Errorf("rendering job '%s': templates '%s' and '%s' both render to '%s'; give them different destinations in %s", spec.Name, other, source, destination, filepath.Join(jobDir, "spec"))
		}
		sources[destination] = source
		templates = append(templates, rubyTemplate{Source: source, Destination: destination, Content: content})
		return nil
	}
	for _, source := range slices.Sorted(maps.Keys(spec.Templates)) {
		path := filepath.Join(jobDir, "templates", source)
		content, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("rendering job '%s': reading template '%s' listed in the job spec: %w", spec.Name, source, err)
		}
		if err := add(source, spec.Templates[source], content); err != nil {
			return nil, err
		}
	}
	monit, err := os.ReadFile(filepath.Join(jobDir, "monit"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return templates, nil
	case err != nil:
		return nil, fmt.Errorf("rendering job '%s': reading its monit file: %w", spec.Name, err)
	}
	if err := add("monit", MonitDestination, monit); err != nil {
		return nil, err
	}
	return templates, nil
}
