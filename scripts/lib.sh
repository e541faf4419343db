# Shared helpers for the scripts in this directory. Source it; do not run it.

# Repository root, whatever the caller's working directory.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT

# Expensive builds are cached outside the repository so a fresh clone on the
# same machine reuses them.
CACHE_DIR="${ETCD_RELEASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etcd-release}"
export CACHE_DIR

ETCD_VERSION="3.7.3"
export ETCD_VERSION

# The etcd of this release's previous version (built from
# upstream/etcd-previous for the rolling upgrade and downgrade tests only).
ETCD_PREVIOUS_VERSION="3.6.16"
export ETCD_PREVIOUS_VERSION

# etcd_bin VERSION prints where scripts/build-blobs unpacks etcd VERSION
# (etcdctl and etcdutl beside it).
etcd_bin() { printf '%s/etcd-v%s/bin/etcd' "$CACHE_DIR" "$1"; }

# consul for the consul_agent job: the newest MPL-licensed 1.x that builds
# here (upstream/consul/README.md says why not a later one).
CONSUL_VERSION="1.14.11"
export CONSUL_VERSION

# versitygw, the S3-compatible server the snapshot tests store to (a real
# S3 API on a directory; Apache-2.0), built from the Go module proxy.
VERSITYGW_VERSION="1.8.0"
export VERSITYGW_VERSION

# versitygw_bin prints where build_versitygw puts it.
versitygw_bin() { printf '%s/bin/versitygw' "$CACHE_DIR"; }

# build_versitygw builds versitygw VERSITYGW_VERSION into the cache unless
# it is there already (go install does not stamp the version into the binary,
# so a file beside it records which one was built).
build_versitygw() {
  local bin stamp
  bin="$(versitygw_bin)"
  stamp="$bin.version"
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$VERSITYGW_VERSION" ]; then
    return 0
  fi
  log "building versitygw v${VERSITYGW_VERSION} into $CACHE_DIR/bin"
  mkdir -p "$CACHE_DIR/bin"
  (cd "$CACHE_DIR" && GOBIN="$CACHE_DIR/bin" GOFLAGS=-mod=mod go install "github.com/versity/versitygw/cmd/versitygw@v${VERSITYGW_VERSION}")
  printf '%s\n' "$VERSITYGW_VERSION" >"$stamp"
}

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# sha256_of FILE prints the hex SHA-256 digest of FILE.
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# record_blob PATH_IN_BLOBS FILE writes the config/blobs.yml entry for FILE
# (as `bosh add-blob` does: size and sha256), replacing any earlier entry.
record_blob() {
  local name="$1" file="$2" yml="$REPO_ROOT/config/blobs.yml" tmp
  tmp="$(mktemp)"
  if [ -f "$yml" ]; then
    # Drop the old block: the key line and its indented lines.
    awk -v key="$name:" '
      $0 == key { skip = 1; next }
      skip && /^[[:space:]]/ { next }
      { skip = 0; print }
    ' "$yml" | grep -v '^--- {}$' >"$tmp" || true
  fi
  {
    cat "$tmp"
    printf '%s:\n  size: %s\n  sha: sha256:%s\n' "$name" "$(stat -c %s "$file")" "$(sha256_of "$file")"
  } >"$yml"
  rm -f "$tmp"
}

# drop_other_blobs PREFIX KEEP removes the config/blobs.yml entries whose
# path starts with PREFIX, except KEEP (an upstream version left behind).
drop_other_blobs() {
  local prefix="$1" keep="$2" yml="$REPO_ROOT/config/blobs.yml" tmp
  [ -f "$yml" ] || return 0
  tmp="$(mktemp)"
  awk -v prefix="$prefix" -v keep="$keep:" '
    index($0, prefix) == 1 && $0 != keep { skip = 1; next }
    skip && /^[[:space:]]/ { next }
    { skip = 0; print }
  ' "$yml" >"$tmp"
  cat "$tmp" >"$yml"
  rm -f "$tmp"
}

# deterministic_tgz OUT DIR packs DIR's contents into OUT with fixed owners,
# times and order, so the same inputs always give the same blob digest.
deterministic_tgz() {
  local out="$1" dir="$2"
  # The archive's root entry sets the mode of the directory it is unpacked
  # into (a package's install target): make it traversable for vcap.
  chmod 0755 "$dir"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
    -C "$dir" -cf - . | gzip -n -9 >"$out"
}
