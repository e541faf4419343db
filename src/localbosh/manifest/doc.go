// Package manifest reads BOSH deployment manifests (v2) and cloud configs and
// plans deploys the way a BOSH director does: which instances a deploy keeps,
// creates and deletes, their indexes, ids, AZs, bootstrap flag and IPs, the
// update settings of each instance group, and how links connect jobs.
//
// It does no I/O: callers hand it the YAML, the state the director persisted
// for the deployment, the IPs other deployments use and a source of ids.
//
// Entry points: ParseManifest, ParseCloudConfig, Plan and ResolveLinks.
package manifest
