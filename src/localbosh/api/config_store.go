package api

import (
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// createdAtLayout is how the director formats config creation times.
const createdAtLayout = "2006-01-02 15:04:05 UTC"

// configStore keeps every version of every named config as dir/<id>.json.
type configStore struct {
	dir string
	now func() time.Time

	mu       sync.Mutex
	versions []director.ConfigVersion // ascending ID
	nextID   int
}

func openConfigStore(dir string, now func() time.Time) (*configStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating config directory: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading config directory: %w", err)
	}
	s := &configStore{dir: dir, now: now, nextID: 1}
	for _, e := range entries {
		idText, ok := strings.CutSuffix(e.Name(), ".json")
		id, err := strconv.Atoi(idText)
		if !ok || err != nil {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config version: %w", err)
		}
		var v director.ConfigVersion
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, fmt.Errorf("decoding config version %s: %w (remove the file to drop that version)", path, err)
		}
		s.versions = append(s.versions, v)
		s.nextID = max(s.nextID, id+1)
	}
	slices.SortFunc(s.versions, func(a, b director.ConfigVersion) int { return cmp.Compare(idNumber(a), idNumber(b)) })
	return s, nil
}

func idNumber(v director.ConfigVersion) int {
	n, _ := strconv.Atoi(v.ID)
	return n
}

// latestLocked is the latest version of a config, or nil.
func (s *configStore) latestLocked(configType, name string) *director.ConfigVersion {
	for i := len(s.versions) - 1; i >= 0; i-- {
		if v := s.versions[i]; v.Type == configType && v.Name == name {
			return &v
		}
	}
	return nil
}

// errExpectedLatest is a POST /configs whose expected_latest_id is stale.
type errExpectedLatest struct{ latest, expected string }

func (e errExpectedLatest) Error() string {
	return fmt.Sprintf("Latest Id: '%s' does not match expected latest id", e.latest)
}

// update stores content as the new latest version of the config, unless it
// equals the latest one, which it then returns.
func (s *configStore) update(req director.ConfigRequest) (director.ConfigVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	latest := s.latestLocked(req.Type, req.Name)
	latestID := ""
	if latest != nil {
		latestID = latest.ID
	}
	if req.ExpectedLatestID != "" && req.ExpectedLatestID != latestID {
		return director.ConfigVersion{}, errExpectedLatest{latest: latestID, expected: req.ExpectedLatestID}
	}
	if latest != nil && latest.Content == req.Content {
		latest.Current = true
		return *latest, nil
	}
	v := director.ConfigVersion{
		ID: strconv.Itoa(s.nextID), Name: req.Name, Type: req.Type, Content: req.Content,
		CreatedAt: s.now().UTC().Format(createdAtLayout),
	}
	data, err := json.Marshal(v)
	if err != nil {
		return director.ConfigVersion{}, fmt.Errorf("encoding %s config %q: %w", req.Type, req.Name, err)
	}
	path := filepath.Join(s.dir, v.ID+".json")
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return director.ConfigVersion{}, fmt.Errorf("saving %s config %q: %w", req.Type, req.Name, err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return director.ConfigVersion{}, fmt.Errorf("saving %s config %q: %w", req.Type, req.Name, err)
	}
	s.nextID++
	s.versions = append(s.versions, v)
	v.Current = true
	return v, nil
}

// list returns matching versions, newest first: only the latest of each
// config when latest is set. Empty configType or name match all.
func (s *configStore) list(configType, name string, latest bool) []director.ConfigVersion {
	s.mu.Lock()
	defer s.mu.Unlock()
	type key struct{ t, n string }
	seen := map[key]bool{}
	out := []director.ConfigVersion{}
	for i := len(s.versions) - 1; i >= 0; i-- {
		v := s.versions[i]
		if (configType != "" && v.Type != configType) || (name != "" && v.Name != name) {
			continue
		}
		k := key{v.Type, v.Name}
		v.Current = !seen[k]
		if latest && seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}

// byIDs returns the versions of type configType with the given IDs, or an
// error naming an ID that is not one of them.
func (s *configStore) byIDs(configType string, ids []string) ([]director.ConfigVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []director.ConfigVersion{}
	for _, id := range ids {
		i := slices.IndexFunc(s.versions, func(v director.ConfigVersion) bool { return v.ID == id && v.Type == configType })
		if i < 0 {
			return nil, fmt.Errorf("no %s config has ID %s", configType, id)
		}
		out = append(out, s.versions[i])
	}
	return out, nil
}
