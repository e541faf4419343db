package director

// Info is the body of GET /info, the one endpoint that needs no credentials.
type Info struct {
	Name    string `json:"name"`
	UUID    string `json:"uuid"`
	Version string `json:"version"`
	// User is the authenticated user; the director sends null without credentials.
	User               *string            `json:"user"`
	CPI                string             `json:"cpi"`
	StemcellOS         string             `json:"stemcell_os,omitempty"`
	StemcellVersion    string             `json:"stemcell_version,omitempty"`
	UserAuthentication UserAuthentication `json:"user_authentication"`
	Features           Features           `json:"features"`
}

// UserAuthentication says how to authenticate: "basic" or "uaa".
type UserAuthentication struct {
	Type    string         `json:"type"`
	Options map[string]any `json:"options"`
}

// Features lists optional director features and whether they are enabled.
type Features struct {
	LocalDNS     FeatureStatus       `json:"local_dns"`
	Snapshots    FeatureStatus       `json:"snapshots"`
	ConfigServer ConfigServerFeature `json:"config_server"`
}

// FeatureStatus is one feature's switch.
type FeatureStatus struct {
	Status bool `json:"status"`
}

// ConfigServerFeature is the config_server feature with its extras.
type ConfigServerFeature struct {
	Status bool               `json:"status"`
	Extras ConfigServerExtras `json:"extras"`
}

// ConfigServerExtras lists the config server URLs.
type ConfigServerExtras struct {
	URLs []string `json:"urls"`
}
