#!/usr/bin/env bash
# Installs, from Debian's archive, everything the build and the tests need.
# Idempotent: installs only what is missing. Works as root (no sudo needed)
# or as a user with sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ca-certificates dpkg-dev patch autoconf automake libtool
  libwolfssl-dev libcli11-dev libspdlog-dev nlohmann-json3-dev libgtest-dev
  python3 openssl gnutls-bin curl nginx-light sslscan nmap
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
