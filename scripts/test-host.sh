#!/usr/bin/env bash
# A disposable systemd test host ("a Mimas") in a Docker container.
#
#   scripts/test-host.sh up NAME [IMAGE] [-- EXTRA DOCKER RUN ARGS]   start it, wait for systemd
#   scripts/test-host.sh down NAME                                    remove it and its volumes
#
# --privileged fails on this kernel ("unable to apply caps": the bounding set
# lacks CAP_SYS_RESOURCE), so the host gets every other capability instead.
# seccomp/apparmor unconfined and systempaths=unconfined (unmasked /proc and
# /sys) let nested runc and rootless Podman mount /proc; the host cgroup
# namespace and /sys/fs/cgroup let systemd and the engines manage cgroups;
# /dev/fuse and /dev/net/tun serve fuse-overlayfs and rootless networking.
# /var/lib/docker, /var/lib/containers and /home live on volumes, not on the
# container's overlay (overlay on overlay is not allowed).
set -euo pipefail

volumes=(docker:/var/lib/docker containers:/var/lib/containers home:/home)

up() {
  local name=$1 image=${2:-b4arena-test/host:latest}
  shift $(($# < 2 ? $# : 2))
  [ "${1:-}" = "--" ] && shift
  local args=() v state
  for v in "${volumes[@]}"; do args+=(-v "$name-${v%%:*}:${v#*:}"); done
  docker run -d --name "$name" --hostname "$name" \
    --label b4arena.test=host \
    --cap-add ALL --cap-drop SYS_RESOURCE \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --security-opt systempaths=unconfined \
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
    --tmpfs /run --tmpfs /run/lock \
    --device /dev/fuse --device /dev/net/tun \
    "${args[@]}" "$@" "$image" /lib/systemd/systemd >/dev/null
  for _ in $(seq 60); do
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in
      running | degraded) echo "$name: systemd $state"; return 0 ;;
    esac
    sleep 1
  done
  echo "$name: systemd did not come up (state: ${state:-none})" >&2
  docker logs --tail 30 "$name" >&2 || true
  return 1
}

down() {
  local name=$1 v
  docker rm -f "$name" >/dev/null 2>&1 || true
  for v in "${volumes[@]}"; do docker volume rm -f "$name-${v%%:*}" >/dev/null 2>&1 || true; done
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) shift; down "$@" ;;
  *) echo "usage: $0 up NAME [IMAGE] [-- DOCKER ARGS] | down NAME" >&2; exit 2 ;;
esac
