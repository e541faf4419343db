// Package cli is localbosh's command line, a look-alike of the bosh CLI:
// the same command names, flags, environment variables (BOSH_ENVIRONMENT,
// BOSH_CLIENT, BOSH_CLIENT_SECRET, BOSH_CA_CERT, BOSH_DEPLOYMENT) and output
// (task event lines, tables, --json, "Succeeded" / "Exit code 1"), over the
// director API client of package director. Without an environment it talks
// to the local director, https://127.0.0.1:25555, with the credentials the
// director generated in its state directory.
//
// Each command is a struct in a file of its own (cmd_*.go) with Flags and
// Run, listed in commandTable; everything from the outside world comes in
// through Deps, so tests run the CLI in-process.
package cli
