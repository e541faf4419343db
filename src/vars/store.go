package vars

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// Store is a --vars-store file: a YAML map of variable names to values that
// generated variables are saved into, readable only by its owner (0600).
type Store struct {
	path   string
	values map[string]any
}

// OpenStore reads the store at path; a file that does not exist yet is an
// empty store, created on the first Set.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, values: map[string]any{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading vars store (--vars-store): %w", err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("vars store (--vars-store) '%s' must be a YAML map of names to values; fix or remove it: %w", path, err)
	}
	if values != nil {
		s.values = opsfile.Clone(values).(map[string]any)
	}
	return s, nil
}

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Get returns the stored value of name.
func (s *Store) Get(name string) (any, bool) {
	v, ok := s.values[name]
	return v, ok
}

// Set stores value under name and writes the file at once, so values
// generated before a later failure are kept, as the bosh CLI does.
func (s *Store) Set(name string, value any) error {
	s.values[name] = value
	return s.save()
}

// save replaces the file atomically: a reader never sees half a store, and
// the new file is created 0600 whatever the old one's mode was.
func (s *Store) save() error {
	data, err := Marshal(s.values)
	if err != nil {
		return fmt.Errorf("encoding vars store '%s': %w", s.path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".*")
	if err != nil {
		return fmt.Errorf("writing vars store (--vars-store) '%s': %w", s.path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing vars store '%s': %w", s.path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing vars store '%s': %w", s.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing vars store '%s': %w", s.path, err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("writing vars store '%s': %w", s.path, err)
	}
	return nil
}
