package director

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// UpdateConfig uploads a new version of the config of that type and name;
// the director keeps the latest version when content is unchanged.
func (c *Client) UpdateConfig(ctx context.Context, configType, name string, content []byte) (ConfigVersion, error) {
	body, err := jsonBody(ConfigRequest{Type: configType, Name: name, Content: string(content)})
	if err != nil {
		return ConfigVersion{}, fmt.Errorf("encoding %s config %q: %w", configType, name, err)
	}
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: "/configs", body: body, length: int64(body.Len()),
		contentType: "application/json",
	})
	if err != nil {
		return ConfigVersion{}, fmt.Errorf("updating %s config %q: %w", configType, name, err)
	}
	defer resp.Body.Close()
	var cfg ConfigVersion
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return ConfigVersion{}, fmt.Errorf("decoding the %s config %q the director stored: %w", configType, name, err)
	}
	return cfg, nil
}

// LatestConfig fetches the latest version of a config; ErrConfigNotFound
// (wrapped) when there is none.
func (c *Client) LatestConfig(ctx context.Context, configType, name string) (ConfigVersion, error) {
	q := url.Values{"type": {configType}, "name": {name}, "latest": {"true"}}
	var configs []ConfigVersion
	if err := c.getJSON(ctx, "/configs?"+q.Encode(), &configs); err != nil {
		return ConfigVersion{}, fmt.Errorf("fetching %s config %q: %w", configType, name, err)
	}
	for _, cfg := range configs {
		if cfg.Type == configType && cfg.Name == name {
			return cfg, nil
		}
	}
	return ConfigVersion{}, fmt.Errorf("%s config %q: %w; upload one with update-config", configType, name, ErrConfigNotFound)
}
