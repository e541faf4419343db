package deployer

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

// stemcellManifest is the stemcell.MF of a stemcell tarball (a light
// stemcell's too: it differs only by an empty image).
type stemcellManifest struct {
	Name            string         `yaml:"name" json:"name"`
	Version         string         `yaml:"version" json:"version"`
	OperatingSystem string         `yaml:"operating_system" json:"operating_system"`
	APIVersion      int            `yaml:"api_version" json:"api_version,omitempty"`
	CloudProperties map[string]any `yaml:"cloud_properties" json:"cloud_properties,omitempty"`
}

// maxStemcellMF bounds the stemcell.MF read from an upload.
const maxStemcellMF = 1 << 20

// UploadStemcell records a stemcell from its tarball's stemcell.MF. Its
// image is not used: every localbosh VM runs on this machine, whatever
// stemcell a manifest names. The stemcell is then listed, with its own
// name, version and OS, as the bosh CLI expects after upload-stemcell.
func (d *Deployer) UploadStemcell(ctx context.Context, log api.TaskLog, path string) (string, error) {
	var mf stemcellManifest
	if err := api.NewStage(log, "Update stemcell", nil, 1).Run("Extracting stemcell archive", func() (err error) {
		mf, err = readStemcellManifest(path)
		return err
	}); err != nil {
		return "", err
	}
	file, err := d.stemcellFile(mf.Name, mf.Version)
	if err != nil {
		return "", director.NewError(400, 50000, "%v", err)
	}
	result := fmt.Sprintf("/stemcells/%s/%s", mf.Name, mf.Version)
	if _, err := os.Stat(file); err == nil {
		log.Warning(fmt.Sprintf("Stemcell '%s/%s' already exists", mf.Name, mf.Version))
		return result, nil
	}
	err = api.NewStage(log, "Update stemcell", nil, 1).Run("Save stemcell "+mf.Name+"/"+mf.Version, func() error {
		data, err := json.Marshal(mf)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			return err
		}
		return writeFileAtomic(file, data)
	})
	return result, err
}

func (d *Deployer) stemcellFile(name, version string) (string, error) {
	if err := boshname.Identifier.Check("stemcell name", name); err != nil {
		return "", err
	}
	if err := boshname.Identifier.Check("stemcell version", version); err != nil {
		return "", err
	}
	return d.state.Path("stemcells", name, version+".json")
}

// readStemcellManifest reads stemcell.MF from a stemcell tarball.
func readStemcellManifest(path string) (stemcellManifest, error) {
	var mf stemcellManifest
	f, err := os.Open(path)
	if err != nil {
		return mf, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return mf, director.NewError(400, 50000, "the stemcell is not a gzipped tarball: %v", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return mf, director.NewError(400, 50000, "the stemcell tarball has no stemcell.MF")
		}
		if err != nil {
			return mf, director.NewError(400, 50000, "reading the stemcell tarball: %v", err)
		}
		if strings.TrimPrefix(h.Name, "./") != "stemcell.MF" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(tr, maxStemcellMF+1))
		if err != nil {
			return mf, err
		}
		if len(data) > maxStemcellMF {
			return mf, director.NewError(400, 50000, "the stemcell's stemcell.MF is over %d bytes", maxStemcellMF)
		}
		if err := yaml.Unmarshal(data, &mf); err != nil {
			return mf, director.NewError(400, 50000, "the stemcell's stemcell.MF is not YAML: %v", err)
		}
		if mf.Name == "" || mf.Version == "" {
			return mf, director.NewError(400, 50000, "the stemcell's stemcell.MF needs a name and a version")
		}
		return mf, nil
	}
}

// uploadedStemcells lists the stemcells uploaded.
func (d *Deployer) uploadedStemcells() ([]director.Stemcell, error) {
	dir, err := d.state.Path("stemcells")
	if err != nil {
		return nil, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	var out []director.Stemcell
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var mf stemcellManifest
		if err := json.Unmarshal(data, &mf); err != nil {
			return nil, fmt.Errorf("reading stemcell %s: %w", file, err)
		}
		out = append(out, director.Stemcell{Name: mf.Name, Version: mf.Version, OperatingSystem: mf.OperatingSystem,
			APIVersion: mf.APIVersion, CID: Stemcell.CID, Deployments: []director.StemcellDeployment{}})
	}
	return out, nil
}
