#!/usr/bin/env bash
# Build a Debian bookworm + OpenJDK 17 JRE base image WITHOUT pulling from any
# container registry: debootstrap (minbase) from the host's Debian mirror,
# apt-get install the JRE inside the chroot, then `docker import`.
#
#   docker/build-base-offline.sh [--force] [TAG]      (default TAG small-dragonfly/base-jre:17)
#
#   --force   rebuild the root filesystem (still reusing the cached debootstrap
#             tarball and .deb files) and re-import even if TAG exists.
#
# Caches (env SD_CACHE_DIR, default /var/cache/small-dragonfly):
#   debootstrap-bookworm-minbase.tgz   debootstrap --make-tarball output (minbase .debs)
#   apt-archives/                      .debs downloaded inside the chroot
#   rootfs-<hash>.tar                  finished root filesystem; if TAG is missing
#                                      (e.g. fresh docker data root) it is simply re-imported
# Requires: root, a running Docker daemon (scripts/dockerd.sh start), debootstrap.
set -euo pipefail

TAG=small-dragonfly/base-jre:17
FORCE=0
for a in "$@"; do
  case $a in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) TAG=$a ;;
  esac
done

SUITE=bookworm
PACKAGES="openjdk-17-jre-headless ca-certificates curl"
CACHE=${SD_CACHE_DIR:-/var/cache/small-dragonfly}
DEBOOT_TGZ=$CACHE/debootstrap-$SUITE-minbase.tgz
APT_CACHE=$CACHE/apt-archives
DOCKER=$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker )
T0=$SECONDS

log() { echo "[build-base] $(date +%T) $*" >&2; }

[[ $(id -u) -eq 0 ]] || { log "must run as root"; exit 1; }
"$DOCKER" info >/dev/null 2>&1 || { log "docker daemon not reachable (scripts/dockerd.sh start)"; exit 1; }

if [[ $FORCE -eq 0 ]] && "$DOCKER" image inspect "$TAG" >/dev/null 2>&1; then
  log "image $TAG already exists (use --force to rebuild)"; exit 0
fi

# ---- Debian sources from the host's apt configuration -----------------------
# Prints "URI SUITE" for every enabled 'deb' entry (one-line and deb822 formats).
host_sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1=="deb" {print $2, $3}'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print uris[i], suites[j]
        types = ""; enabled = ""; nu = 0; ns = 0
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        if (key == "types")   { types = ""; for (k = 2; k <= NF; k++) types = types " " $k; types = types " " }
        if (key == "enabled") enabled = tolower($2)
        if (key == "uris")    for (k = 2; k <= NF; k++) uris[++nu] = $k
        if (key == "suites")  for (k = 2; k <= NF; k++) suites[++ns] = $k
      }
      END { flush() }' "$f"
  done
}

SOURCES=$(host_sources | awk -v s="$SUITE" '$2==s || $2==s"-updates" || $2==s"-security"' | sort -u)
MIRROR=$(awk -v s="$SUITE" '$2==s {print $1; exit}' <<<"$SOURCES")
[[ -n $MIRROR ]] || { log "no '$SUITE' Debian mirror found in /etc/apt/sources.list{,.d}"; exit 1; }
MIRROR=${MIRROR%/}
CHROOT_SOURCES=$(awk '{print "deb", $1, $2, "main"}' <<<"$SOURCES")
log "mirror $MIRROR; chroot sources:"; sed 's/^/    /' <<<"$CHROOT_SOURCES" >&2

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
KEYOPT=(); [[ -f $KEYRING ]] && KEYOPT=(--keyring="$KEYRING")

HASH=$(printf '%s\n' "$SUITE" "$PACKAGES" "$CHROOT_SOURCES" "v1" | sha256sum | cut -c1-12)
ROOTFS_TAR=$CACHE/rootfs-$SUITE-jre17-$HASH.tar
mkdir -p "$CACHE" "$APT_CACHE"

import_rootfs() {
  local old; old=$("$DOCKER" image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
  log "importing $ROOTFS_TAR as $TAG"
  "$DOCKER" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "small-dragonfly offline base: debian $SUITE minbase + $PACKAGES" \
    "$ROOTFS_TAR" "$TAG" >/dev/null
  # Drop the image this tag pointed to before, if nothing else uses it.
  if [[ -n $old && $old != "$("$DOCKER" image inspect -f '{{.Id}}' "$TAG")" ]]; then
    "$DOCKER" rmi "$old" >/dev/null 2>&1 || true
  fi
  log "done in $((SECONDS - T0))s: $TAG $("$DOCKER" image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')"
}

if [[ $FORCE -eq 0 && -s $ROOTFS_TAR ]]; then
  import_rootfs; exit 0
fi

# ---- build the root filesystem ----------------------------------------------
WORK=$(mktemp -d /var/tmp/small-dragonfly-rootfs.XXXXXX)
ROOT=$WORK/root
cleanup() {
  # Never rm -rf while something is mounted inside the chroot.
  local m
  for m in "$ROOT/proc" "$ROOT/sys" "$ROOT/dev/pts"; do
    mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
  done
  if ! grep -q " $WORK" /proc/mounts; then rm -rf --one-file-system "$WORK"; else
    echo "[build-base] WARNING: mounts left under $WORK; not removing it" >&2; fi
}
trap cleanup EXIT

if [[ ! -s $DEBOOT_TGZ ]]; then
  log "debootstrap --make-tarball (downloads minbase .debs once)"
  debootstrap --variant=minbase "${KEYOPT[@]}" --make-tarball="$DEBOOT_TGZ.tmp" \
    "$SUITE" "$WORK/dl" "$MIRROR" >"$WORK/debootstrap-dl.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap-dl.log" >&2; rm -f "$DEBOOT_TGZ.tmp"; exit 1; }
  mv "$DEBOOT_TGZ.tmp" "$DEBOOT_TGZ"
  rm -rf "$WORK/dl"
fi

log "debootstrap --unpack-tarball into $ROOT"
debootstrap --variant=minbase "${KEYOPT[@]}" --unpack-tarball="$DEBOOT_TGZ" \
  "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

log "configuring chroot"
printf '%s\n' "$CHROOT_SOURCES" >"$ROOT/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"; chmod 755 "$ROOT/usr/sbin/policy-rc.d"
cat >"$ROOT/etc/dpkg/dpkg.cfg.d/01-small-dragonfly-nodoc" <<'NODOC'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
NODOC
cat >"$ROOT/etc/apt/apt.conf.d/01-small-dragonfly" <<'APTCONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
APTCONF
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
mount -t proc proc "$ROOT/proc"
# Reuse previously downloaded .debs.
cp -l "$APT_CACHE"/*.deb "$ROOT/var/cache/apt/archives/" 2>/dev/null \
  || cp "$APT_CACHE"/*.deb "$ROOT/var/cache/apt/archives/" 2>/dev/null || true

log "apt-get install $PACKAGES"
chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 \
  sh -c "apt-get update -q && apt-get install -y -q $PACKAGES && apt-get -y -q upgrade" \
  >"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log" >&2; exit 1; }
chroot "$ROOT" java -version >/dev/null 2>&1 || { log "java does not run inside the chroot"; exit 1; }

log "saving .debs to $APT_CACHE and cleaning"
cp -l "$ROOT"/var/cache/apt/archives/*.deb "$APT_CACHE/" 2>/dev/null \
  || cp -n "$ROOT"/var/cache/apt/archives/*.deb "$APT_CACHE/" 2>/dev/null || true
umount "$ROOT/proc"
chroot "$ROOT" apt-get clean
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin \
       "$ROOT"/var/cache/debconf/*-old "$ROOT"/var/lib/dpkg/*-old \
       "$ROOT"/var/log/* "$ROOT"/tmp/* "$ROOT"/var/tmp/* \
       "$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/lintian
find "$ROOT"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find "$ROOT"/usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
find "$ROOT"/usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
rm -f "$ROOT/usr/sbin/policy-rc.d"
: >"$ROOT/etc/resolv.conf"
echo "small-dragonfly" >"$ROOT/etc/hostname"

log "packing root filesystem"
tar --numeric-owner -C "$ROOT" -cf "$ROOTFS_TAR.tmp" .
mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
# Keep only the newest rootfs tarball.
find "$CACHE" -maxdepth 1 -name "rootfs-$SUITE-jre17-*.tar" ! -name "$(basename "$ROOTFS_TAR")" -delete

import_rootfs
