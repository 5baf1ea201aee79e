#!/usr/bin/env bash
# Fetches Debian's wolfSSL source package (upstream tarball + Debian's
# security patches, applied) into the ussl cache, for the tuned build
# (cmake -DUSSL_WOLFSSL=tuned; see docs/wolfssl-build.md).
#
# Usage: scripts/fetch-wolfssl-source.sh [--update] [--suite trixie|bookworm]
#   --update   ask the archive for a newer Debian revision even when the cache
#              already holds a source tree (security updates)
#   --suite    Debian release to take the package from (default: trixie; see
#              docs/wolfssl-build.md for why)
# Environment:
#   USSL_CACHE_DIR              cache root (default: $HOME/.cache/ussl)
#   USSL_WOLFSSL_SUITE          as --suite
#   USSL_WOLFSSL_DEB_VERSION    fetch exactly this Debian version, e.g. 5.7.2-0.1+deb13u2
#   USSL_DEBIAN_MIRROR          default: http://deb.debian.org/debian
#   USSL_DEBIAN_SECURITY_MIRROR default: http://security.debian.org/debian-security
#
# Idempotent: when the cache already holds the source, it exits without using
# the network. The system's apt configuration is never read for sources nor
# changed: apt runs with its own sources.list, lists and cache under the cache
# dir. Only missing build tools (dpkg-dev, autoconf, automake, libtool) are
# installed with the system's apt, as scripts/setup.sh does.
#
# Prints the path of the source tree on stdout; progress goes to stderr.
set -euo pipefail

suite="${USSL_WOLFSSL_SUITE:-trixie}"
update=0
while [ $# -gt 0 ]; do
  case "$1" in
    --update) update=1 ;;
    --suite) suite="${2:?--suite needs a value}"; shift ;;
    --suite=*) suite="${1#--suite=}" ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-wolfssl-source: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$suite" in
  trixie | bookworm) ;;
  *) echo "fetch-wolfssl-source: unsupported suite '$suite' (trixie or bookworm)" >&2; exit 2 ;;
esac

cache="${USSL_CACHE_DIR:-$HOME/.cache/ussl}"
dest="$cache/wolfssl-src"
pin="${USSL_WOLFSSL_DEB_VERSION:-}"
log() { echo "fetch-wolfssl-source: $*" >&2; }

# The tree "current" points at, if it is complete and is what was asked for.
cached_tree() {
  local tree="$dest/current"
  [ -f "$tree/debian/changelog" ] && [ -f "$tree/configure.ac" ] || return 1
  local have_suite have_version
  have_suite="$(sed -n 's/^suite=//p' "$tree/../SOURCE.txt" 2>/dev/null)"
  have_version="$(sed -n 's/^version=//p' "$tree/../SOURCE.txt" 2>/dev/null)"
  [ "$have_suite" = "$suite" ] || return 1
  [ -z "$pin" ] || [ "$have_version" = "$pin" ] || return 1
  echo "$tree"
}

if [ "$update" -eq 0 ] && tree="$(cached_tree)"; then
  log "cached: wolfSSL $(sed -n 's/^version=//p' "$tree/../SOURCE.txt") ($suite) in $(cd "$tree" && pwd -P)"
  echo "$tree"
  exit 0
fi

# --- build tools, from the system's own archive ---------------------------
missing=()
command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
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
aptdir="$cache/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$dest"
mirror="${USSL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${USSL_DEBIAN_SECURITY_MIRROR:-http://security.debian.org/debian-security}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { log "$keyring is missing (package debian-archive-keyring)"; exit 1; }
cat >"$aptdir/sources.list" <<EOF
# Written by scripts/fetch-wolfssl-source.sh; used only by it.
deb-src [signed-by=$keyring] $mirror $suite main
deb-src [signed-by=$keyring] $mirror $suite-updates main
deb-src [signed-by=$keyring] $security $suite-security main
EOF
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

log "reading the $suite source indexes (private apt lists in $aptdir)"
apt-get "${apt_opts[@]}" -q update >&2

# The newest Debian revision on offer across $suite, -updates and -security.
version="$pin"
if [ -z "$version" ]; then
  for v in $(apt-cache "${apt_opts[@]}" showsrc --only-source wolfssl 2>/dev/null | sed -n 's/^Version: //p'); do
    if [ -z "$version" ] || dpkg --compare-versions "$v" gt "$version"; then version="$v"; fi
  done
fi
[ -n "$version" ] || { log "no wolfssl source package found in $suite"; exit 1; }

if [ ! -f "$dest/$version/SOURCE.txt" ]; then
  work="$(mktemp -d "$dest/.fetch.XXXXXX")"
  chmod 755 "$work"
  trap 'rm -rf "$work"' EXIT
  log "fetching wolfssl $version ($suite)"
  (cd "$work" && apt-get "${apt_opts[@]}" -q source "wolfssl=$version") >&2
  trees=("$work"/wolfssl-*/debian/changelog)
  if [ ! -f "${trees[0]}" ]; then
    log "apt-get source left no source tree"
    exit 1
  fi
  tree="$(basename "$(dirname "$(dirname "${trees[0]}")")")"
  {
    echo "suite=$suite"
    echo "version=$version"
    echo "tree=$tree"
    echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    (cd "$work" && sha256sum ./*.dsc ./*.tar.* | sed 's/^/sha256=/')
  } >"$work/SOURCE.txt"
  rm -rf "${dest:?}/$version"
  mv "$work" "$dest/$version"
  trap - EXIT
else
  log "wolfssl $version already in $dest/$version"
fi

# Point "current" at it (atomically), and record the switch in a plain file
# whose timestamp CMake watches (a symlink's own time is not visible to it).
tree="$(sed -n 's/^tree=//p' "$dest/$version/SOURCE.txt")"
ln -sfn "$version/$tree" "$dest/.current.new"
mv -T "$dest/.current.new" "$dest/current"
printf '%s\n' "$version" >"$dest/CURRENT"
log "wolfSSL $version ($suite) ready in $dest/$version/$tree"
echo "$dest/current"
