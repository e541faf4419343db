package director

// Config types the director knows.
const (
	ConfigCloud   = "cloud"
	ConfigRuntime = "runtime"
	ConfigCPI     = "cpi"
)

// ConfigVersion is one version of a named config such as the cloud config
// (GET /configs, POST /configs).
type ConfigVersion struct {
	// ID is opaque: a string even though directors number them.
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Type    string  `json:"type"`
	Content string  `json:"content"`
	Team    *string `json:"team"`
	// CreatedAt is formatted as the director formats it ("2006-01-02 15:04:05 UTC").
	CreatedAt string `json:"created_at"`
	Current   bool   `json:"current"`
}

// ConfigRequest is the body of POST /configs.
type ConfigRequest struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Content string `json:"content"`
	// ExpectedLatestID, when set, makes the director refuse (412) if the latest
	// version is another one.
	ExpectedLatestID string `json:"expected_latest_id,omitempty"`
}
