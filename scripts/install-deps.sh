#!/usr/bin/env bash
# Idempotently install the Debian packages the small-dragonfly tests need.
# Fast path: if every package is already installed, nothing touches the network.
# Services that Debian's postinst would start (nginx :80, docker-registry :5000,
# docker) are prevented from starting via policy-rc.d and stopped/disabled if
# they run anyway; tests start their own instances (scripts/*.sh).
set -euo pipefail

# libnss3: md5/sha256 for the C1-only dfget JVMs (common/util/Digests; Debian's JRE depends on it too).
PKGS=(nginx libnss3 docker.io docker-registry skopeo iproute2 debootstrap curl jq busybox-static
      iptables ca-certificates procps psmisc xz-utils)

log() { echo "[install-deps] $*" >&2; }

# docker/compose.yaml is run for real by the docker-tests module (ComposeE2ETest).
PKGS+=(docker-compose)

if [[ $(id -u) -ne 0 ]]; then
  log "must run as root"; exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  log "all packages already installed"
else
  log "installing: ${missing[*]}"
  # Prevent postinst scripts from starting daemons (nginx on :80, registry on :5000...).
  POLICY=/usr/sbin/policy-rc.d
  backup=""
  if [[ -e $POLICY ]]; then
    backup=$(mktemp)
    cp -p "$POLICY" "$backup"
  fi
  restore_policy() {
    if [[ -n $backup ]]; then cp -p "$backup" "$POLICY"; rm -f "$backup"; else rm -f "$POLICY"; fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"

  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # 'apt-get update' only when something is missing (and retry install once after it).
  apt-get update -q >/dev/null || apt-get update -q
  apt-get install "${apt_opts[@]}" "${missing[@]}"
  restore_policy
  trap - EXIT
fi

# Make sure no system instance is left running / enabled on default ports.
for svc in nginx docker-registry docker containerd; do
  if [[ -x /etc/init.d/$svc ]]; then
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      systemctl disable --now "$svc" >/dev/null 2>&1 || true
    else
      # Only stop if its pid file says it is running (sysvinit style, no systemd here).
      /etc/init.d/"$svc" status >/dev/null 2>&1 && /etc/init.d/"$svc" stop >/dev/null 2>&1 || true
      command -v update-rc.d >/dev/null 2>&1 && update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
  fi
done

log "ok"
