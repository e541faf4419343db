package certset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// Source says where a set was read from.
type Source struct {
	Path string
	// Manifest is set when the set came from a manifest's properties: the
	// instance groups of the etcd and consul_agent jobs, for the ops file
	// that makes such a manifest read the variables instead.
	Manifest *ManifestGroups
}

// ManifestGroups names the instance groups that run the jobs.
type ManifestGroups struct {
	Etcd, Consul string
}

// Load reads a set from a vars file (-l), a vars store (--vars-store; the
// same format) or a deployment manifest whose job properties hold the
// certificates themselves.
func Load(path string) (Set, Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Set{}, Source{}, fmt.Errorf("reading certificates: %w", err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Set{}, Source{}, fmt.Errorf("%s must be a YAML map (a vars file, a vars store or a manifest): %w", path, err)
	}
	src := Source{Path: path}
	var set Set
	if _, ok := doc["instance_groups"]; ok {
		groups, s, err := fromManifest(doc)
		if err != nil {
			return Set{}, Source{}, fmt.Errorf("reading the properties of manifest %s: %w", path, err)
		}
		set, src.Manifest = s, &groups
	} else if set, err = fromVars(doc); err != nil {
		return Set{}, Source{}, fmt.Errorf("reading variables file %s: %w", path, err)
	}
	if missing := set.Missing(); len(missing) > 0 {
		return Set{}, Source{}, fmt.Errorf("%s lacks the certificates %s; give every certificate variable of manifests/bosh-lite/etcd.yml (scripts/generate-certs makes them)",
			path, strings.Join(missing, ", "))
	}
	return set, src, nil
}

func fromVars(doc map[string]any) (Set, error) {
	set := Set{Certs: map[string]Cert{}}
	for _, name := range names() {
		v, ok := doc[name]
		if !ok {
			continue
		}
		m, ok := v.(map[string]any)
		if !ok {
			return Set{}, fmt.Errorf("variable %s must be a certificate: a map of ca, certificate and private_key", name)
		}
		set.Certs[name] = Cert{CA: str(m["ca"]), Certificate: str(m["certificate"]), PrivateKey: str(m["private_key"])}
	}
	set.EncryptKey = str(doc[ConsulEncryptKey])
	return set, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// fromManifest reads the certificates from the properties of the etcd and
// consul_agent jobs (the seed's way: PEM pasted into the manifest).
func fromManifest(doc map[string]any) (ManifestGroups, Set, error) {
	var groups ManifestGroups
	props := map[string]map[string]any{}
	list, _ := doc["instance_groups"].([]any)
	for _, g := range list {
		group, _ := g.(map[string]any)
		jobs, _ := group["jobs"].([]any)
		for _, j := range jobs {
			job, _ := j.(map[string]any)
			name := str(job["name"])
			if (name != "etcd" && name != "consul_agent") || props[name] != nil {
				continue
			}
			p, _ := job["properties"].(map[string]any)
			props[name] = p
			if name == "etcd" {
				groups.Etcd = str(group["name"])
			} else {
				groups.Consul = str(group["name"])
			}
		}
	}
	if groups.Etcd == "" {
		return groups, Set{}, errors.New("no instance group runs the etcd job")
	}
	var errs []error
	get := func(job, property string) string {
		value := lookup(props[job], property)
		if strings.Contains(value, "((") {
			errs = append(errs, fmt.Errorf("property %s refers to a variable (%s); give the vars file or vars store that holds it instead of the manifest", property, strings.TrimSpace(value)))
		}
		return value
	}
	orElse := func(a, b string) string {
		if strings.TrimSpace(a) == "" {
			return b
		}
		return a
	}
	set := Set{Certs: map[string]Cert{
		EtcdCA:       {Certificate: get("etcd", "etcd.ca_cert")},
		EtcdServer:   {Certificate: get("etcd", "etcd.server_cert"), PrivateKey: get("etcd", "etcd.server_key")},
		EtcdClient:   {Certificate: get("etcd", "etcd.client_cert"), PrivateKey: get("etcd", "etcd.client_key")},
		EtcdPeerCA:   {Certificate: orElse(get("etcd", "etcd.peer_ca_cert"), get("etcd", "etcd.ca_cert"))},
		EtcdPeer:     {Certificate: orElse(get("etcd", "etcd.peer_cert"), get("etcd", "etcd.server_cert")), PrivateKey: orElse(get("etcd", "etcd.peer_key"), get("etcd", "etcd.server_key"))},
		ConsulCA:     {Certificate: get("consul_agent", "consul.ca_cert")},
		ConsulServer: {Certificate: get("consul_agent", "consul.server_cert"), PrivateKey: get("consul_agent", "consul.server_key")},
		ConsulAgent:  {Certificate: get("consul_agent", "consul.agent_cert"), PrivateKey: get("consul_agent", "consul.agent_key")},
	}}
	if keys, ok := lookupAny(props["consul_agent"], "consul.encrypt_keys").([]any); ok && len(keys) > 0 {
		set.EncryptKey = str(keys[0])
	}
	return groups, set, errors.Join(errs...)
}

func lookupAny(props map[string]any, dotted string) any {
	var node any = props
	for _, key := range strings.Split(dotted, ".") {
		m, ok := node.(map[string]any)
		if !ok {
			return nil
		}
		node = m[key]
	}
	return node
}

func lookup(props map[string]any, dotted string) string { return str(lookupAny(props, dotted)) }

// VarsDoc is the set as a vars file's document.
func (s Set) VarsDoc() map[string]any {
	doc := map[string]any{}
	for name, c := range s.Certs {
		v := map[string]any{"certificate": c.Certificate}
		if c.CA != "" {
			v["ca"] = c.CA
		}
		if c.PrivateKey != "" {
			v["private_key"] = c.PrivateKey
		}
		doc[name] = v
	}
	if s.EncryptKey != "" {
		doc[ConsulEncryptKey] = s.EncryptKey
	}
	return doc
}

// WriteVars writes the set as a vars file for `deploy -l`, readable by its
// owner only.
func (s Set) WriteVars(path string) error {
	data, err := vars.Marshal(s.VarsDoc())
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	return writeSecret(path, data)
}

// WritePEM writes each certificate and key as <variable>.crt and
// <variable>.key (CA bundles as they are), and the gossip key, in dir.
func (s Set) WritePEM(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, name := range names() {
		c := s.Certs[name]
		if err := writeSecret(filepath.Join(dir, name+".crt"), []byte(c.Certificate)); err != nil {
			return err
		}
		if c.PrivateKey != "" {
			if err := writeSecret(filepath.Join(dir, name+".key"), []byte(c.PrivateKey)); err != nil {
				return err
			}
		}
	}
	if s.EncryptKey == "" {
		return nil
	}
	return writeSecret(filepath.Join(dir, ConsulEncryptKey), []byte(s.EncryptKey+"\n"))
}

// writeSecret writes data to path, mode 0600, replacing the file whole.
func writeSecret(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// UseVariablesOps is an ops file that makes a manifest whose properties
// hold the certificates read them from the variables of a set instead, as
// manifests/bosh-lite/etcd.yml does, so the rotation's vars files apply.
func UseVariablesOps(g ManifestGroups) []byte {
	var b strings.Builder
	b.WriteString("# Reads the certificates from variables, as manifests/bosh-lite/etcd.yml does,\n# so that `deploy -o use-variables.yml -l stage-N.yml` applies each stage.\n")
	replace := func(group, job, property, value string) {
		path := "/instance_groups/name=" + group + "/jobs/name=" + job + "/properties/" + strings.ReplaceAll(property, ".", "/")
		fmt.Fprintf(&b, "- type: replace\n  path: %s?\n  value: %s\n", path, value)
	}
	for _, p := range [][2]string{
		{"etcd.ca_cert", "((etcd_ca.certificate))"},
		{"etcd.server_cert", "((etcd_server.certificate))"}, {"etcd.server_key", "((etcd_server.private_key))"},
		{"etcd.client_cert", "((etcd_client.certificate))"}, {"etcd.client_key", "((etcd_client.private_key))"},
		{"etcd.peer_ca_cert", "((etcd_peer_ca.certificate))"},
		{"etcd.peer_cert", "((etcd_peer.certificate))"}, {"etcd.peer_key", "((etcd_peer.private_key))"},
	} {
		replace(g.Etcd, "etcd", p[0], p[1])
	}
	if g.Consul != "" {
		for _, p := range [][2]string{
			{"consul.ca_cert", "((consul_ca.certificate))"},
			{"consul.server_cert", "((consul_server.certificate))"}, {"consul.server_key", "((consul_server.private_key))"},
			{"consul.agent_cert", "((consul_agent.certificate))"}, {"consul.agent_key", "((consul_agent.private_key))"},
			{"consul.encrypt_keys", "[((consul_encrypt_key))]"},
		} {
			replace(g.Consul, "consul_agent", p[0], p[1])
		}
	}
	return []byte(b.String())
}
