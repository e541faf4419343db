// Package release builds BOSH release tarballs from a release directory, as
// `bosh create-release` does, and reads them back, as a director does on
// `upload-release`.
//
// Create reads config/final.yml, config/blobs.yml, jobs/, packages/, src/ and
// blobs/, fingerprints every job and package exactly as bosh-cli does (so a
// release built here and one built by bosh-cli agree on versions), reuses
// archives cached under .dev_builds/ or recorded in .final_builds/, and writes
// dev or final release manifests and indexes in bosh-cli's layout.
//
// WriteDevReleaseTarball writes a tarball of a dev release recorded earlier,
// from the archives cached in .dev_builds/.
//
// OpenTarball verifies a release tarball against its release.MF and unpacks
// its jobs and packages for a director.
package release
