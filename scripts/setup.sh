#!/usr/bin/env bash
# Installs, from Debian's archive, everything the build and the tests need.
# Idempotent: installs only what is missing. Works as root (no sudo needed)
# or as a user with sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config ca-certificates dpkg-dev patch autoconf automake libtool
  libwolfssl-dev libcli11-dev libspdlog-dev nlohmann-json3-dev libgtest-dev libre2-dev
  libidn2-dev libpsl-dev publicsuffix
  python3 openssl gnutls-bin curl nginx-light help2man sslscan nmap
  postgresql-client ldap-utils
)

# Real STARTTLS peers for tests/interop/test_starttls.py. The tests start them in temporary
# directories on free loopback ports; installing them must not start the system's own instances
# (which would hold ports 25, 143, 389, 5432, ...): see the policy-rc.d guard below.
DAEMONS=(
  postgresql slapd vsftpd prosody mariadb-server postfix inn2 inspircd ngircd
  dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-managesieved dovecot-submissiond
)
# Postfix would replace another mail system (they all provide /usr/sbin/sendmail): where one is
# installed, leave it alone and let the Postfix test skip, by name.
if [ -e /usr/sbin/sendmail ] && ! dpkg-query -W -f='${Status}' postfix 2>/dev/null | grep -q "install ok installed"; then
  echo "setup: another mail system owns /usr/sbin/sendmail: not installing postfix (its STARTTLS test skips)" >&2
  kept=()
  for pkg in "${DAEMONS[@]}"; do [ "$pkg" = postfix ] || kept+=("$pkg"); done
  DAEMONS=("${kept[@]}")
fi
PACKAGES+=("${DAEMONS[@]}")

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
# Forbid starting services while installing (invoke-rc.d asks /usr/sbin/policy-rc.d; 101 = "action
# forbidden"); an existing policy is left as it was, one we add is removed again.
POLICY=/usr/sbin/policy-rc.d
added_policy=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\n# added by ussl scripts/setup.sh while installing packages\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  added_policy=1
fi
restore_policy() { if [ -n "$added_policy" ]; then $SUDO rm -f "$POLICY"; fi; }
trap restore_policy EXIT
# Postfix asks what kind of mail system this is: "Local only" writes a main.cf that listens on
# loopback alone (inn2's postinst runs newaliases, which needs one) and never relays; the test runs
# its own instance with its own configuration directory.
printf '%s\n' "postfix postfix/main_mailer_type select Local only" "postfix postfix/mailname string localhost" |
  $SUDO debconf-set-selections
# inn2's postinst stops when the host's name has no domain ("hostname does not resolve or domain not
# set in inn.conf", as in containers named "vm"): finish configuring it with a copy of its inn.conf that
# names one (INNCONF), leaving the system's own file as shipped.
finish_inn2() {
  dpkg-query -W -f='${Status}' inn2 2>/dev/null | grep -Eq "half-configured|unpacked" || return 1
  local conf
  conf=$(mktemp)
  sed 's/^#\{0,1\}domain:.*/domain: localdomain/' /etc/news/inn.conf >"$conf"
  chmod 644 "$conf"
  $SUDO env INNCONF="$conf" DEBIAN_FRONTEND=noninteractive dpkg --configure -a
  local rc=$?
  rm -f "$conf"
  return $rc
}
install_missing() { $SUDO apt-get install -y --no-install-recommends "${missing[@]}" || finish_inn2; }
if ! install_missing; then
  $SUDO apt-get update
  install_missing
fi
# Without systemd (containers) nothing was started; with systemd, a unit may have been enabled and
# started by its package anyway: stop the daemons' system instances, which the tests never use.
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  for unit in postgresql slapd vsftpd prosody dovecot mariadb postfix inn2 inspircd ngircd; do
    $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
