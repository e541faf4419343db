// Package director holds the JSON shapes of the BOSH Director API subset that
// localbosh serves, and a Go client for that API.
//
// The types are shared by the localbosh server (package localbosh/api) and by
// clients, so both sides agree on field names byte for byte; they follow the
// BOSH director's responses (docs-bosh content/director-api-v1.md). The client
// works against a real BOSH director too, with basic authentication or, through Connect, as a UAA client.
package director
