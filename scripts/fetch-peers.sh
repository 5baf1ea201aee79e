#!/usr/bin/env bash
# Fetches interop peers newer than Debian 12's from Debian's archive into the
# ussl cache, without installing anything: OpenSSL 3.5 and curl (trixie), which speak
# the post-quantum hybrid groups (X25519MLKEM768, SecP256r1MLKEM768,
# SecP384r1MLKEM1024). Their binary packages and trixie's glibc are unpacked
# (dpkg-deb -x) into one folder, and a wrapper starts each program through that
# folder's own dynamic loader (ld-linux-x86-64.so.2 --library-path ...), so
# Debian 12's libc is never mixed in.
#
# Usage: scripts/fetch-peers.sh [--update]
#   --update   ask the archive for a newer version even when the cache has one
# Environment:
#   USSL_CACHE_DIR      cache root (default: $HOME/.cache/ussl)
#   USSL_PEERS_SUITE    Debian release to take the peers from (default: trixie)
#   USSL_DEBIAN_MIRROR  default: http://deb.debian.org/debian
#   USSL_DEBIAN_SECURITY_MIRROR default: http://security.debian.org/debian-security
#
# Idempotent: with a working cached peer it exits without using the network.
# The system's apt configuration is neither read for sources nor changed: apt
# runs with its own sources.list (signed-by Debian's archive keyring), lists
# and cache under $USSL_CACHE_DIR/peers/apt.
#
# Prints one line per peer on stdout: NAME VERSION WRAPPER
#   openssl 3.5.9-1~deb13u1 /root/.cache/ussl/peers/bin/openssl35
#   curl 8.14.1-2+deb13u7 /root/.cache/ussl/peers/bin/curl-trixie
set -euo pipefail

suite="${USSL_PEERS_SUITE:-trixie}"
update=0
while [ $# -gt 0 ]; do
  case "$1" in
    --update) update=1 ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-peers: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

cache="${USSL_CACHE_DIR:-$HOME/.cache/ussl}"
peers="$cache/peers"
bin="$peers/bin"
log() { echo "fetch-peers: $*" >&2; }

# A working cached peer: the wrapper runs and the version is recorded.
cached() { # NAME WRAPPER
  [ -x "$bin/$2" ] && [ -f "$peers/$1/VERSION" ] || return 1
  "$bin/$2" --version >/dev/null 2>&1 || "$bin/$2" version >/dev/null 2>&1 || return 1
  echo "$1 $(cat "$peers/$1/VERSION") $bin/$2"
}

if [ "$update" -eq 0 ] && a="$(cached openssl openssl35)" && b="$(cached curl curl-trixie)"; then
  log "cached: $a; $b"
  printf '%s\n%s\n' "$a" "$b"
  exit 0
fi

# --- a private apt: own sources.list, lists and cache ---------------------
aptdir="$peers/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" "$bin"
mirror="${USSL_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
security="${USSL_DEBIAN_SECURITY_MIRROR:-http://security.debian.org/debian-security}"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { log "$keyring is missing (package debian-archive-keyring)"; exit 1; }
cat >"$aptdir/sources.list" <<EOF
# Written by scripts/fetch-peers.sh; used only by it.
deb [arch=amd64 signed-by=$keyring] $mirror $suite main
deb [arch=amd64 signed-by=$keyring] $mirror $suite-updates main
deb [arch=amd64 signed-by=$keyring] $security $suite-security main
EOF
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=/dev/null"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::State::status=/dev/null"
  -o "Dir::Cache=$aptdir/cache"
  -o "APT::Default-Release="
  -o "APT::Architectures=amd64"
)
# apt drops root to _apt for downloads, and _apt cannot write into a cache
# under a private home directory.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o "APT::Sandbox::User=root")

log "reading the $suite package indexes (private apt lists in $aptdir)"
apt-get "${apt_opts[@]}" -q update >&2

# The candidate (newest across $suite, -updates, -security) of one package.
candidate() {
  apt-cache "${apt_opts[@]}" policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

# Every package PKG needs to run (Depends and Pre-Depends, recursively; for an
# alternative, every real package apt lists), PKG included.
closure() {
  apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$1" 2>/dev/null | grep -v '^ ' | grep -v '^<' | sort -u
}

# Downloads and unpacks PACKAGES into $peers/NAME-VERSION/root and writes
# $bin/WRAPPER, which starts root's PROGRAM through root's own loader.
fetch_peer() { # NAME WRAPPER PROGRAM PACKAGES...
  local name="$1" wrapper="$2" program="$3"
  shift 3
  local version dest work pkg v deb root loader libpath
  version="$(candidate "$name")"
  [ -n "$version" ] && [ "$version" != "(none)" ] || { log "no $name package in $suite"; exit 1; }
  dest="$peers/$name-$version"
  if [ ! -f "$dest/PACKAGES.txt" ]; then
    work="$(mktemp -d "$peers/.fetch.XXXXXX")"
    chmod 755 "$work"
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/debs" "$work/root"
    for pkg in "$@"; do
      v="$(candidate "$pkg")"
      [ -n "$v" ] && [ "$v" != "(none)" ] || { log "no $pkg package in $suite"; exit 1; }
      log "downloading $pkg $v ($suite)"
      (cd "$work/debs" && apt-get "${apt_opts[@]}" -q download "$pkg=$v") >&2
    done
    for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
    {
      echo "suite=$suite"
      echo "fetched=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
      (cd "$work/debs" && sha256sum ./*.deb | sed 's/^/sha256=/')
    } >"$work/PACKAGES.txt"
    rm -rf "$work/debs" "${dest:?}"
    mv "$work" "$dest"
    trap - EXIT
  else
    log "$name $version already unpacked in $dest"
  fi
  root="$dest/root"
  loader="$(find "$root" -name 'ld-linux-x86-64.so.2' \( -type f -o -type l \) | sort | head -n 1)"
  [ -n "$loader" ] || { log "no ld-linux-x86-64.so.2 in the unpacked libc6"; exit 1; }
  libpath="$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu"
  cat >"$bin/.$wrapper.new" <<EOF
#!/bin/sh
# $name $version from Debian $suite, through its own glibc (scripts/fetch-peers.sh).
exec "$loader" --library-path "$libpath" "$root$program" "\$@"
EOF
  chmod 755 "$bin/.$wrapper.new"
  mv -f "$bin/.$wrapper.new" "$bin/$wrapper"
  mkdir -p "$peers/$name"
  printf '%s\n' "$version" >"$peers/$name/VERSION"
  cached "$name" "$wrapper" || { log "the unpacked $name does not run"; exit 1; }
}

# OpenSSL: the program, its libraries, and the C library it was built
# against (with the loader).
fetch_peer openssl openssl35 /usr/bin/openssl openssl libssl3t64 libc6 libzstd1 zlib1g
# curl, on trixie's OpenSSL 3.5 (it offers X25519MLKEM768 by default).
mapfile -t curl_packages < <(closure curl)
fetch_peer curl curl-trixie /usr/bin/curl "${curl_packages[@]}"
