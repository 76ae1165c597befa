#!/usr/bin/env bash
# Installs what the tests need (Debian packages for the network lab, when run as root) and runs
# every test: unit, CLI, catalog, and the lab scenarios (network namespaces + real servers).
# Usage: scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus: tests/lab_watch.rs scrapes `watch` with it, tests/watch.rs runs its promtool;
# systemd: `systemd-analyze verify` of apim-probe-watch.service.
LAB_PACKAGES=(iproute2 procps nftables dnsmasq nginx chrony samba jq prometheus systemd)
# openssl: tests/lab_tls.rs runs `openssl s_server` asking for client certificates (mutual TLS).
LAB_PACKAGES+=(openssl)
# tests/html_page.rs: the HTML page in a real headless browser.
LAB_PACKAGES+=(chromium)
# tests/packaging*.rs (only with APIM_PROBE_PACKAGING=1): cross linkers, qemu, Wine, archivers.
if [ "${APIM_PROBE_PACKAGING:-}" = 1 ]; then
  LAB_PACKAGES+=(musl-tools gcc-aarch64-linux-gnu gcc-mingw-w64-x86-64 qemu-user wine wine64 zip
    binutils curl)
fi

missing=()
for p in "${LAB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# Debian's packages start their services when installed (dnsmasq on port 53, nginx on 80 ...).
# The lab does not need them: it runs its own daemons inside its own network namespaces, where
# no port of this machine's is in the way, and stops them by pid. So while installing, a
# policy-rc.d of ours keeps the services from starting, and it goes again on every way out
# (a failed install, Ctrl-C). Nothing running on this machine is ever stopped.
POLICY_RC_D=/usr/sbin/policy-rc.d
own_policy=0
drop_policy() { if [ "$own_policy" -eq 1 ]; then rm -f "$POLICY_RC_D"; own_policy=0; fi; }
trap drop_policy EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "== installing lab packages: ${missing[*]}"
    if [ ! -e "$POLICY_RC_D" ] && [ ! -L "$POLICY_RC_D" ]; then
      own_policy=1
      printf '#!/bin/sh\nexit 101\n' > "$POLICY_RC_D" && chmod +x "$POLICY_RC_D"
    fi
    apt-get update -qq
    # One package at a time avoids dpkg lock fights with anything else running apt.
    for p in "${missing[@]}"; do DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null; done
    drop_policy
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

# tests/ansible.rs: ansible-core from PyPI in a virtualenv of the repository's own, made once.
# (APIM_PROBE_NO_VENV=1: not here; tests/scripts_test_sh.rs runs this script sealed.)
VENV=target/ansible-venv
if [ -z "${APIM_PROBE_NO_VENV:-}" ] && [ ! -x "$VENV/bin/ansible-playbook" ]; then
  echo "== making $VENV (ansible-core from PyPI)"
  rm -rf "$VENV"
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q ansible-core; }; then
    echo "!! could not make $VENV: tests/ansible.rs will say ANSIBLE SKIPPED" >&2
  fi
fi

# tests/lab_hints.rs: every `az` command a report prints is run through the real Azure CLI
# (offline: it must ask for `az login`, not refuse an argument). ~730 MB, ~2 minutes, made once.
AZ_VENV=target/azure-cli-venv
if [ -z "${APIM_PROBE_NO_VENV:-}" ] && [ ! -x "$AZ_VENV/bin/az" ]; then
  echo "== making $AZ_VENV (azure-cli from PyPI)"
  rm -rf "$AZ_VENV"
  if ! { python3 -m venv "$AZ_VENV" && "$AZ_VENV/bin/pip" install -q azure-cli; }; then
    echo "!! could not make $AZ_VENV: tests/lab_hints.rs will say AZ SKIPPED" >&2
  fi
fi

cargo test --all-targets "$@"
