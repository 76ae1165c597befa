#!/usr/bin/env bash
# Installs what the tests need (Debian packages for the network lab, when run as root) and runs
# every test: unit, CLI, catalog, and the lab scenarios (network namespaces + real servers).
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

LAB_PACKAGES=(iproute2 procps nftables dnsmasq nginx chrony samba jq)
# tests/packaging*.rs (only with APIM_PROBE_PACKAGING=1): cross linkers, qemu, Wine, archivers.
if [ "${APIM_PROBE_PACKAGING:-}" = 1 ]; then
  LAB_PACKAGES+=(musl-tools gcc-aarch64-linux-gnu gcc-mingw-w64-x86-64 qemu-user wine wine64 zip
    binutils curl)
fi

missing=()
for p in "${LAB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "== installing lab packages: ${missing[*]}"
    # Keep the packages' own services from starting: the tests start their own daemons.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    apt-get update -qq
    # One package at a time avoids dpkg lock fights with anything else running apt.
    for p in "${missing[@]}"; do DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; done
    if [ "$own_policy" -eq 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  else
    echo "!! lab packages missing (${missing[*]}) and not root: lab tests will say LAB SKIPPED" >&2
  fi
fi
if [ "${APIM_PROBE_PACKAGING:-}" = 1 ]; then
  installed=$(rustup target list --installed)
  for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
  done
fi
# Daemons some images start on their own would hold ports the lab wants; the lab runs its own.
for d in dnsmasq nginx chronyd smbd nmbd; do pkill -x "$d" 2>/dev/null || true; done

cargo test --all-targets "$@"
