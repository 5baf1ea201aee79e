#!/usr/bin/env bash
# ussl benchmark: ussl-server / ussl-client against openssl s_server / s_client,
# gnutls-serv / gnutls-cli and curl, side by side in one run, on loopback only.
# Prints every row of issue 5's target table as a measured ratio and writes
# docs/performance.md and docs/performance.png. See docs/performance.md.
#
# Usage: bench/run.sh [--wolfssl system|tuned|both] [--baseline REV] [--hold N] [--quick]
#                     [--no-profile] [--no-doc] [--out DIR]
#   --wolfssl   which wolfSSL the ussl programs link (default tuned, the build's default; passed to cmake as
#               -DUSSL_WOLFSSL=...). "both" measures the two
#               builds side by side against the same peer figures. If the tuned
#               build cannot be configured or built, the run says so and falls
#               back to the system library.
#   --baseline REV  also build the programs of git revision REV (in a temporary
#               git worktree, removed at the end; into build-bench-base, with
#               the newest flavour's wolfSSL) and measure them as one more
#               flavour, "base (REV)", in the same run: the document then gives
#               new/base for every ussl row against issue 10's <= 1.10x. A row
#               whose flag the old programs lack is skipped for them.
#   --hold N    idle connections to hold for the memory and scale rows
#               (default 10000; raised RLIMIT_NOFILE permitting)
#   --quick     small counts, for trying the harness (figures are not meaningful)
#   --no-profile  skip the perf / valgrind massif step
#   --no-doc    do not touch docs/ (results still go to the output directory)
#   --out DIR   raw results, logs and plot data (default: build-bench/bench-out)
#
# Needs: cmake and a C++20 compiler (as for the project), openssl, gnutls-bin,
# curl, util-linux (taskset, unshare), iproute2, python3, gnuplot, sslscan, testssl.sh (installed
# here with apt-get if missing: as root, or through sudo). perf and valgrind
# are used when present. Runs in a private network namespace (unshare -n) so
# that gnutls-serv, which cannot bind to one address, is reachable on
# loopback only. The whole run is bounded by a timeout; every process it
# starts is stopped by PID at the end.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wolfssl=tuned
baseline=
py_args=()
out="$root/build-bench/bench-out"
while [ $# -gt 0 ]; do
  case "$1" in
    --wolfssl) wolfssl="${2:?--wolfssl needs system, tuned or both}"; shift ;;
    --wolfssl=*) wolfssl="${1#--wolfssl=}" ;;
    --out) out="${2:?--out needs a directory}"; shift ;;
    --out=*) out="${1#--out=}" ;;
    --baseline) baseline="${2:?--baseline needs a git revision}"; shift ;;
    --baseline=*) baseline="${1#--baseline=}" ;;
    --hold) py_args+=(--hold "${2:?--hold needs a number}"); shift ;;
    --hold=*) py_args+=(--hold "${1#--hold=}") ;;
    --quick | --no-profile | --no-doc) py_args+=("$1") ;;
    -h | --help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$wolfssl" in
  system | tuned | both) ;;
  *) echo "bench/run.sh: --wolfssl must be system, tuned or both, not '$wolfssl'" >&2; exit 2 ;;
esac

log() { echo "bench: $*" >&2; }
start_s=$(date +%s)
mkdir -p "$out"

# --- tools -------------------------------------------------------------------
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo_cmd=(sudo -n); fi
fi
apt_install() {
  if [ "$(id -u)" -ne 0 ] && [ ${#sudo_cmd[@]} -eq 0 ]; then
    log "missing $* and not root (no passwordless sudo): install it with apt-get install $*"
    return 1
  fi
  log "installing $* with apt-get"
  if ! timeout 300 "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
    >"$out/apt.log" 2>&1; then
    timeout 300 "${sudo_cmd[@]}" apt-get update -q >>"$out/apt.log" 2>&1 || true
    timeout 300 "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
      >>"$out/apt.log" 2>&1 || { log "apt-get install $* failed (see $out/apt.log)"; return 1; }
  fi
}
missing=()
command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
command -v openssl >/dev/null || missing+=(openssl)
command -v gnutls-serv >/dev/null || missing+=(gnutls-bin)
command -v curl >/dev/null || missing+=(curl)
command -v taskset >/dev/null || missing+=(util-linux)
command -v ip >/dev/null || missing+=(iproute2)
command -v sslscan >/dev/null || missing+=(sslscan)        # the scan row's peers (issue 14)
command -v testssl >/dev/null || missing+=(testssl.sh)
if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}" || true; fi
for tool in openssl gnutls-serv gnutls-cli curl python3; do
  command -v "$tool" >/dev/null || { log "$tool is required"; exit 2; }
done
command -v gnuplot >/dev/null || log "no gnuplot: the run goes on without the PNG"

# --- builds --------------------------------------------------------------------
# One build directory per wolfSSL flavour, Release, only the three programs.
build_notes="$out/build-notes.txt"
: >"$build_notes"
build() {  # build FLAVOUR DIR [SOURCE NAME] -> 0 if the three programs are there
  local flavour="$1" dir="$2" src="${3:-$root}" name="${4:-$1}"
  log "building ussl-server, ussl-client, ussl-bench (Release, wolfSSL: $flavour) in $dir"
  local t0
  t0=$(date +%s)
  if ! timeout 1200 cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DUSSL_WOLFSSL="$flavour" \
    -DUSSL_BUILD_TESTS=OFF >"$out/build-$name.log" 2>&1; then
    return 1
  fi
  timeout 1800 cmake --build "$dir" -j"$(nproc)" --target ussl-server ussl-client ussl-bench \
    >>"$out/build-$name.log" 2>&1 || return 1
  echo "$name: built in $(($(date +%s) - t0)) s ($dir); cmake: $(grep -m1 -o 'wolfSSL: .*' "$out/build-$name.log" || echo '?')" \
    >>"$build_notes"
}
flavours=()
want_system=0
want_tuned=0
case "$wolfssl" in
  system) want_system=1 ;;
  tuned) want_tuned=1 ;;
  both) want_system=1; want_tuned=1 ;;
esac
if [ $want_tuned -eq 1 ]; then
  ok=1
  if [ -x "$root/scripts/fetch-wolfssl-source.sh" ]; then
    log "fetching Debian's wolfSSL source package for the tuned build (cached after the first time)"
    timeout 900 "$root/scripts/fetch-wolfssl-source.sh" >"$out/fetch-wolfssl.log" 2>&1 || ok=0
    [ $ok -eq 1 ] || echo "tuned: scripts/fetch-wolfssl-source.sh failed (see $out/fetch-wolfssl.log)" >>"$build_notes"
  fi
  if [ $ok -eq 1 ] && build tuned "$root/build-bench-tuned"; then
    flavours+=("tuned=$root/build-bench-tuned/apps")
  else
    [ $ok -eq 0 ] || echo "tuned: configure or build failed (see $out/build-tuned.log)" >>"$build_notes"
    echo "tuned: FAILED, falling back to the system wolfSSL" >>"$build_notes"
    log "the tuned wolfSSL build failed (see $out/build-notes.txt); falling back to the system library"
    want_system=1
  fi
fi
if [ $want_system -eq 1 ]; then
  if build system "$root/build-bench"; then
    flavours=("system=$root/build-bench/apps" "${flavours[@]}")
  else
    log "building against the system wolfSSL failed (see $out/build-system.log)"
    [ ${#flavours[@]} -gt 0 ] || exit 1
  fi
fi

# The baseline: REV's programs from a temporary worktree, with the newest flavour's wolfSSL.
base_args=()
if [ -n "$baseline" ]; then
  base_rev=$(git -C "$root" rev-parse --short "$baseline^{commit}" 2>/dev/null) ||
    { log "--baseline $baseline: not a commit of $root"; exit 2; }
  base_flavour="${flavours[-1]%%=*}"
  base_tmp=$(mktemp -d "${TMPDIR:-/tmp}/ussl-bench-base.XXXXXX")
  base_wt="$base_tmp/src"
  remove_base_worktree() {
    git -C "$root" worktree remove --force "$base_wt" >/dev/null 2>&1 || true
    git -C "$root" worktree prune >/dev/null 2>&1 || true
    rm -rf "$base_tmp"
  }
  trap remove_base_worktree EXIT
  log "baseline: $baseline ($base_rev) in a temporary worktree ($base_wt)"
  if git -C "$root" worktree add --detach "$base_wt" "$base_rev" >"$out/build-base.log" 2>&1; then
    ok=1
    if [ "$base_flavour" = tuned ] && [ -x "$base_wt/scripts/fetch-wolfssl-source.sh" ]; then
      # REV's own pin of the wolfSSL source (cached after the first time).
      timeout 900 "$base_wt/scripts/fetch-wolfssl-source.sh" >"$out/fetch-wolfssl-base.log" 2>&1 || ok=0
      [ $ok -eq 1 ] || echo "base ($base_rev): its scripts/fetch-wolfssl-source.sh failed (see $out/fetch-wolfssl-base.log)" >>"$build_notes"
    fi
    # The worktree's path is new every run: a cache configured from the last one would be refused.
    rm -rf "$root/build-bench-base/CMakeCache.txt" "$root/build-bench-base/CMakeFiles"
    if [ $ok -eq 1 ] && build "$base_flavour" "$root/build-bench-base" "$base_wt" base; then
      base_args=(--base "base ($base_rev)=$root/build-bench-base/apps" --base-rev "$base_rev")
      sed -i "s/^base: /base ($base_rev, wolfSSL $base_flavour): /" "$build_notes"
    else
      echo "base ($base_rev): configure or build failed (see $out/build-base.log); measured without it" >>"$build_notes"
      log "the baseline build failed (see $out/build-base.log); the run goes on without it"
    fi
  else
    echo "base ($base_rev): git worktree add failed (see $out/build-base.log)" >>"$build_notes"
  fi
  remove_base_worktree
  trap - EXIT
fi
cat "$build_notes" >&2

# --- run ---------------------------------------------------------------------
# A private network namespace with only lo up; without permission for it
# (not root), a user namespace; else the host's loopback (said in the report).
netns=none
if unshare -n true 2>/dev/null; then
  netns=unshare-n
elif unshare -rn true 2>/dev/null; then
  netns=unshare-rn
fi
fl_args=()
for f in "${flavours[@]}"; do fl_args+=(--flavour "$f"); done
py_cmd=(python3 "$root/bench/run.py" --root "$root" --out "$out" --netns "$netns" --build-notes "$build_notes"
  --build-seconds "$(($(date +%s) - start_s))" "${fl_args[@]}" "${base_args[@]}" "${py_args[@]}")
log "measuring (network namespace: $netns)"
case "$netns" in
  unshare-n) timeout -k 10 1500 unshare -n -- sh -c 'ip link set lo up && exec "$@"' sh "${py_cmd[@]}" ;;
  unshare-rn) timeout -k 10 1500 unshare -rn -- sh -c 'ip link set lo up && exec "$@"' sh "${py_cmd[@]}" ;;
  *) timeout -k 10 1500 "${py_cmd[@]}" ;;
esac
log "done in $(($(date +%s) - start_s)) s"
