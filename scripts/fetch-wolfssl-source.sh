#!/usr/bin/env bash
# Fetches the wolfSSL source for the tuned build (cmake -DUSSL_WOLFSSL=tuned;
# see docs/wolfssl-build.md) into the ussl cache, from Debian's archive.
#
# What is fetched is pinned by content, not by suite: the upstream tarball
# wolfssl_5.9.2.orig.tar.gz with the SHA-256 below. Debian's archive carries
# it as the .orig.tar.gz of a wolfssl source package (sid's 5.9.2-1.2 on
# 2026-11-29). The script asks the signed Sources indexes of several suites
# which source version lists a tarball with that checksum, fetches it with
# `apt-get source --tar-only` (apt checks it against the signed index), checks
# the SHA-256 again, and unpacks it. So a fresh clone keeps working when sid
# moves on, as long as any of the suites still lists the tarball.
#
# Usage: scripts/fetch-wolfssl-source.sh [--update]
#   --update   read the indexes again even when the cache holds the tree
# Environment:
#   USSL_CACHE_DIR           cache root (default: $HOME/.cache/ussl)
#   USSL_DEBIAN_MIRROR       default: http://deb.debian.org/debian
#   USSL_WOLFSSL_SUITES      suites to search (default: "sid forky experimental trixie-backports")
#
# Idempotent: when the cache already holds the tree, it exits without using
# the network. The system's apt configuration is never read for sources nor
# changed: apt runs with its own sources.list, lists and cache under the cache
# dir. Only missing build tools (autoconf, automake, libtool) are installed
# with the system's apt, as scripts/setup.sh does.
#
# Prints the path of the source tree on stdout; progress goes to stderr.
set -euo pipefail

# The pin: upstream version and the SHA-256 of its tarball (as listed by
# Debian's signed Sources index for wolfssl 5.9.2-1.2).
upstream="5.9.2"
tarball="wolfssl_${upstream}.orig.tar.gz"
sha256="2f4ef3d4fd387a9b3191d36a6316d69116c46ff69bb9583b6c82b36d7b8ca114"

update=0
while [ $# -gt 0 ]; do
  case "$1" in
    --update) update=1 ;;
    -h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-wolfssl-source: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

cache="${USSL_CACHE_DIR:-$HOME/.cache/ussl}"
dest="$cache/wolfssl-upstream"
log() { echo "fetch-wolfssl-source: $*" >&2; }

# The tree "current" points at, if it is complete and is the pinned one.
cached_tree() {
  local tree="$dest/current"
  [ -f "$tree/configure.ac" ] || return 1
  [ "$(sed -n 's/^sha256=//p' "$tree/../SOURCE.txt" 2>/dev/null)" = "$sha256" ] || return 1
  echo "$tree"
}

if [ "$update" -eq 0 ] && tree="$(cached_tree)"; then
  log "cached: wolfSSL $upstream in $(cd "$tree" && pwd -P)"
  echo "$tree"
  exit 0
fi

# --- build tools, from the system's own archive ---------------------------
missing=()
command -v autoreconf >/dev/null || missing+=(autoconf)
command -v aclocal >/dev/null || missing+=(automake)
command -v libtoolize >/dev/null || missing+=(libtool)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { log "need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    $sudo apt-get update >&2
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi

# --- a private apt: own sources.list, lists and cache ---------------------
aptdir="$cache/apt-wolfssl"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$dest"
mirror="${USSL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { log "$keyring is missing (package debian-archive-keyring)"; exit 1; }
{
  echo "# Written by scripts/fetch-wolfssl-source.sh; used only by it."
  for suite in ${USSL_WOLFSSL_SUITES:-sid forky experimental trixie-backports}; do
    echo "deb-src [signed-by=$keyring] $mirror $suite main"
  done
} >"$aptdir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::Cache=$aptdir/cache"
  -o "APT::Default-Release="
)
# apt drops root to _apt for downloads, and _apt cannot write into a cache
# under a private home directory.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")

log "reading the source indexes of: ${USSL_WOLFSSL_SUITES:-sid forky experimental trixie-backports}"
# A suite that does not exist (experimental without wolfssl, a renamed
# backports suite) is not an error as long as one index lists the tarball.
apt-get "${apt_opts[@]}" -q update >&2 || log "some indexes could not be read; going on with the others"

# The source versions whose Checksums-Sha256 list the pinned tarball.
version="$(apt-cache "${apt_opts[@]}" showsrc --only-source wolfssl 2>/dev/null | awk -v sum="$sha256" -v tb="$tarball" '
  /^Version: / { v = $2 }
  /^Checksums-Sha256:/ { in_sums = 1; next }
  /^[^ ]/ { in_sums = 0 }
  in_sums && $1 == sum && $3 == tb { print v; exit }')"
[ -n "$version" ] || {
  log "no suite lists $tarball with SHA-256 $sha256 (searched: ${USSL_WOLFSSL_SUITES:-sid forky experimental trixie-backports})"
  exit 1
}

work="$(mktemp -d "$dest/.fetch.XXXXXX")"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
log "fetching $tarball from wolfssl $version (apt-get source --tar-only)"
(cd "$work" && apt-get "${apt_opts[@]}" -q source --tar-only "wolfssl=$version") >&2
got="$(sha256sum "$work/$tarball" | cut -d' ' -f1)"
[ "$got" = "$sha256" ] || { log "$tarball has SHA-256 $got, expected $sha256"; exit 1; }
tar -xzf "$work/$tarball" -C "$work"
trees=("$work"/wolfssl-*/configure.ac)
[ -f "${trees[0]}" ] || { log "$tarball holds no wolfSSL tree"; exit 1; }
tree="$(basename "$(dirname "${trees[0]}")")"
{
  echo "upstream=$upstream"
  echo "debian_source=wolfssl $version"
  echo "tree=$tree"
  echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "sha256=$sha256"
} >"$work/SOURCE.txt"
rm -rf "${dest:?}/$upstream"
mv "$work" "$dest/$upstream"
trap - EXIT

# Point "current" at it (atomically), and record the switch in a plain file
# whose timestamp CMake watches (a symlink's own time is not visible to it).
ln -sfn "$upstream/$tree" "$dest/.current.new"
mv -T "$dest/.current.new" "$dest/current"
printf '%s\n' "$upstream" >"$dest/CURRENT"
log "wolfSSL $upstream (from wolfssl $version) ready in $dest/$upstream/$tree"
echo "$dest/current"
