package deployer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// compiled is a package compiled for this machine, kept under
// <state>/compiled/<name>-<key> and copied into the VMs that need it.
type compiled struct {
	Name string
	Key  string // fingerprint of the package and of its compiled dependencies
	Dir  string
}

// packageSet is what one release's jobs need compiled, in dependency order.
type packageSet struct {
	rel      release.Tarball
	packages []release.PackageRef // dependencies first
	keys     map[string]string    // package name -> compiled key
}

// packagesFor collects the packages the given jobs of rel use, with their
// dependencies, ordered so that dependencies come first.
func packagesFor(rel release.Tarball, jobs []string) (packageSet, error) {
	byName := map[string]release.PackageRef{}
	for _, p := range rel.Manifest.Packages {
		byName[p.Name] = p
	}
	set := packageSet{rel: rel, keys: map[string]string{}}
	var visit func(name, from string) error
	visit = func(name, from string) error {
		if _, done := set.keys[name]; done {
			return nil
		}
		p, ok := byName[name]
		if !ok {
			return fmt.Errorf("release '%s/%s': %s needs package '%s', which the release does not contain", rel.Manifest.Name, rel.Manifest.Version, from, name)
		}
		set.keys[name] = "" // visiting
		deps := slices.Sorted(slices.Values(p.Dependencies))
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n", p.Name, p.Fingerprint)
		for _, dep := range deps {
			if err := visit(dep, "package '"+name+"'"); err != nil {
				return err
			}
			fmt.Fprintf(h, "%s=%s\n", dep, set.keys[dep])
		}
		set.keys[name] = hex.EncodeToString(h.Sum(nil))[:20]
		set.packages = append(set.packages, p)
		return nil
	}
	for _, j := range rel.Manifest.Jobs {
		if !slices.Contains(jobs, j.Name) {
			continue
		}
		for _, name := range j.Packages {
			if err := visit(name, "job '"+j.Name+"'"); err != nil {
				return packageSet{}, err
			}
		}
	}
	return set, nil
}

// compiledDir is <state>/compiled/<package>-<key>.
func (d *Deployer) compiledDir(name, key string) (string, error) {
	if err := boshname.Identifier.Check("package name", name); err != nil {
		return "", err
	}
	return d.state.Path("compiled", name+"-"+key)
}

// compiledPackage returns the compiled package; ok tells whether it was
// compiled before.
func (d *Deployer) compiledPackage(name, key string) (c compiled, ok bool, err error) {
	dir, err := d.compiledDir(name, key)
	if err != nil {
		return compiled{}, false, err
	}
	_, statErr := os.Stat(dir)
	return compiled{Name: name, Key: key, Dir: dir}, statErr == nil, nil
}

// compile compiles what the package sets need and has not been compiled yet,
// each package once, on one compilation VM from the cloud config's
// compilation network, and returns every needed package by release and name.
func (d *Deployer) compile(ctx context.Context, log api.TaskLog, cc manifest.CloudConfig, inUse map[netip.Addr]string, sets []packageSet) (map[string]map[string]compiled, error) {
	d.compileMu.Lock()
	defer d.compileMu.Unlock()

	out := map[string]map[string]compiled{}
	type todo struct {
		set packageSet
		pkg release.PackageRef
	}
	var missing []todo
	for _, set := range sets {
		rel := set.rel.Manifest.Name
		out[rel] = map[string]compiled{}
		for _, p := range set.packages {
			c, ok, err := d.compiledPackage(p.Name, set.keys[p.Name])
			if err != nil {
				return nil, err
			}
			out[rel][p.Name] = c
			if !ok {
				missing = append(missing, todo{set, p})
			}
		}
	}
	if len(missing) == 0 {
		return out, nil
	}

	nets, err := manifest.CompilationNetworks(cc, inUse, 1)
	if err != nil {
		return nil, fmt.Errorf("preparing package compilation: %w", err)
	}
	var worker *vm.VM
	if err := api.NewStage(log, "Preparing package compilation", nil, 1).Run("Finding packages to compile", func() (err error) {
		worker, err = d.vms.Create(ctx, vm.Spec{CID: "compile-" + newID(), IP: nets[0].IP, DNS: addrStrings(nets[0].DNS)})
		return err
	}); err != nil {
		return nil, fmt.Errorf("creating a compilation VM: %w", err)
	}
	defer func() {
		if err := d.vms.Delete(context.WithoutCancel(ctx), worker.CID()); err != nil {
			log.Warning(fmt.Sprintf("deleting compilation VM %s: %v", worker.CID(), err))
		}
	}()

	stage := api.NewStage(log, "Compiling packages", nil, len(missing))
	for _, t := range missing {
		item := t.pkg.Name + "/" + t.pkg.Fingerprint
		if err := stage.Run(item, func() error {
			return d.compileOne(ctx, log, worker, t.set, t.pkg, out[t.set.rel.Manifest.Name])
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// compileOne runs a package's packaging script on the worker as the BOSH
// agent does, with its dependencies installed, and keeps the result. It
// reaches into the worker's directory only through its root
// (vm.VM.OpenRoot), the compiled package included.
func (d *Deployer) compileOne(ctx context.Context, log api.TaskLog, worker *vm.VM, set packageSet, p release.PackageRef, done map[string]compiled) error {
	root, err := worker.OpenRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := resetDir(root, "packages"); err != nil {
		return err
	}
	for _, dep := range directDeps(set, p.Name) {
		if err := installPackage(done[dep].Dir, root, path.Join("packages", dep)); err != nil {
			return fmt.Errorf("installing dependency %s of %s: %w", dep, p.Name, err)
		}
	}
	compileDir := path.Join("data", "compile", p.Name)
	if err := installPackage(set.rel.PackageDir(p.Name), root, compileDir); err != nil {
		return fmt.Errorf("staging package %s: %w", p.Name, err)
	}
	if err := root.MkdirAll(path.Join("packages", p.Name), 0o755); err != nil {
		return err
	}

	output := &lockedBuffer{}
	code, err := worker.Exec(ctx, vm.Cmd{
		Argv: []string{"bash", "-x", "packaging"},
		Dir:  "/var/vcap/data/compile/" + p.Name,
		Env: []string{
			"BOSH_COMPILE_TARGET=/var/vcap/data/compile/" + p.Name,
			"BOSH_INSTALL_TARGET=/var/vcap/packages/" + p.Name,
			"BOSH_PACKAGE_NAME=" + p.Name,
			"BOSH_PACKAGE_VERSION=" + p.Fingerprint,
			"HOME=/var/vcap/data/compile/" + p.Name,
		},
		Stdout: output, Stderr: output,
	})
	log.Debugf("compiling %s/%s:\n%s", p.Name, p.Fingerprint, output.String())
	if err != nil {
		return fmt.Errorf("compiling package %s: %w", p.Name, err)
	}
	if code != 0 {
		return fmt.Errorf("compiling package %s: its packaging script exited %d:\n%s", p.Name, code, tail(output.String(), 20))
	}

	dest, err := d.compiledDir(p.Name, set.keys[p.Name])
	if err != nil {
		return err
	}
	staging := dest + ".partial"
	if err := os.RemoveAll(staging); err != nil {
		return err
	}
	if err := os.MkdirAll(staging, 0o755); err != nil {
		return err
	}
	if err := keepPackage(root, path.Join("packages", p.Name), staging); err != nil {
		return fmt.Errorf("keeping compiled package %s: %w", p.Name, err)
	}
	if err := os.Rename(staging, dest); err != nil {
		return err
	}
	done[p.Name] = compiled{Name: p.Name, Key: set.keys[p.Name], Dir: dest}
	return root.RemoveAll(compileDir)
}

// directDeps lists the packages name depends on directly: the ones BOSH
// installs on the compilation VM (a dependency of a dependency is not
// there unless declared, so a release that forgets one fails as on BOSH).
func directDeps(set packageSet, name string) []string {
	for _, p := range set.rel.Manifest.Packages {
		if p.Name == name {
			return slices.Sorted(slices.Values(p.Dependencies))
		}
	}
	return nil
}

func addrStrings(addrs []netip.Addr) []string {
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out
}

// tail returns the last n lines of s, for error messages.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
