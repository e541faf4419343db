package director

import "context"

// Info fetches GET /info (no credentials needed; with them, Info.User is set).
func (c *Client) Info(ctx context.Context) (Info, error) {
	var info Info
	err := c.getJSON(ctx, "/info", &info)
	return info, err
}

// Stemcells lists the uploaded stemcells.
func (c *Client) Stemcells(ctx context.Context) ([]Stemcell, error) {
	var stemcells []Stemcell
	err := c.getJSON(ctx, "/stemcells", &stemcells)
	return stemcells, err
}
