package release

import (
	"fmt"
	"path/filepath"
)

// finalConfig is config/final.yml.
type finalConfig struct {
	Name      string `yaml:"name"`
	FinalName string `yaml:"final_name"` // older spelling bosh-cli still reads
	Blobstore struct {
		Provider string `yaml:"provider"`
		Options  struct {
			BlobstorePath string `yaml:"blobstore_path"`
		} `yaml:"options"`
	} `yaml:"blobstore"`
}

func loadFinalConfig(releaseDir string) (finalConfig, error) {
	path := filepath.Join(releaseDir, "config", "final.yml")
	var cfg finalConfig
	found, err := readYAML(path, &cfg)
	if err != nil {
		return finalConfig{}, err
	}
	if !found {
		return finalConfig{}, fmt.Errorf("%s does not exist; is %s a release directory?", path, releaseDir)
	}
	if cfg.Name == "" {
		cfg.Name = cfg.FinalName
	}
	if cfg.Name == "" {
		return finalConfig{}, fmt.Errorf("%s has no 'name'; set it to the release name", path)
	}
	return cfg, nil
}

// blobstore returns the configured local blobstore, or nil when none is
// configured. A relative blobstore_path is relative to the release directory.
func (c finalConfig) blobstore(releaseDir string) (*localBlobstore, error) {
	switch c.Blobstore.Provider {
	case "":
		return nil, nil
	case "local":
	default:
		return nil, fmt.Errorf("config/final.yml: blobstore provider %q is not supported; only 'local' is", c.Blobstore.Provider)
	}
	dir := c.Blobstore.Options.BlobstorePath
	if dir == "" {
		return nil, fmt.Errorf("config/final.yml: the local blobstore needs options.blobstore_path")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(releaseDir, dir)
	}
	return &localBlobstore{dir: dir}, nil
}
