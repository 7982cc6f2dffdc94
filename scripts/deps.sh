#!/usr/bin/env bash
# Everything the tests need on a fresh Debian 12 machine, as root:
# apt packages, a running Docker engine, and the pinned virtualenv.
# Safe to rerun: each step checks before it acts.
set -euo pipefail

top=$(dirname "$(dirname "$(readlink -f "$0")")")
venv=${VENV:-$top/.venv}
log() { printf 'deps: %s\n' "$*" >&2; }

apt_packages=(
  docker.io podman netavark aardvark-dns uidmap slirp4netns fuse-overlayfs passt catatonit runc crun
  debootstrap busybox-static python3-venv git make acl util-linux gcc libc6-dev
)

install_apt() {
  local missing=() pkg
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then return; fi
  if [ -d /run/systemd/system ]; then
    systemctl start docker
  else
    # No systemd as PID 1 here: run the engine in the background ourselves.
    log "starting dockerd"
    nohup dockerd >/var/log/b4arena-dockerd.log 2>&1 &
  fi
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && return; sleep 1; done
  log "dockerd did not come up; see /var/log/b4arena-dockerd.log"
  tail -20 /var/log/b4arena-dockerd.log >&2 || true
  exit 1
}

usable_devices() {
  # Rootless networking (slirp4netns, pasta) opens /dev/net/tun and fuse-overlayfs
  # opens /dev/fuse as the user. udev makes both 0666 on a normal Debian host;
  # a machine without udev may have them 0600, root only.
  local dev
  for dev in /dev/net/tun /dev/fuse; do
    if [ -c "$dev" ] && [ "$(stat -c %a "$dev")" != 666 ]; then
      log "chmod 0666 $dev (as udev would)"
      chmod 0666 "$dev"
    fi
  done
}

make_venv() {
  local stamp=$venv/.requirements.sha256 want
  want=$(sha256sum "$top/requirements.txt" | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return; fi
  log "virtualenv $venv from requirements.txt"
  rm -rf "$venv"
  python3 -m venv "$venv"
  # This machine's pip config names local find-links that may not exist; drop that noise.
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$top/requirements.txt" 2>&1 |
    { grep -v '^WARNING: Location .* is ignored' || true; }
  echo "$want" >"$stamp"
}

install_apt
start_dockerd
usable_devices
make_venv
