// Package integration holds localbosh's integration suites: they run a real
// director (package testdirector) with real namespaces and monit, deploy the
// fixture release in ../testdata/fixture-release, and check that localbosh
// behaves as a BOSH director does. They need root, ruby and monit, and are
// labelled "integration".
package integration
