#!/usr/bin/env bash
# Build the test images locally (no registry is reachable) and print their tags.
#
#   scripts/test-images.sh host              systemd test host with a Docker engine (Debian 12)
#   scripts/test-images.sh host-trixie       the same on Debian 13
#   scripts/test-images.sh openclaw-sandbox  OpenClaw-like sandbox image (bash, python3, ...) with the syscall probe
#   scripts/test-images.sh sandbox           busybox-static sandbox image (+ a tarball for podman import)
#   scripts/test-images.sh all
#
# Each image is tagged with a hash of its recipe (the recipe files and this
# script), so it is rebuilt only when the recipe changes; older hashed tags of
# the same image are removed, so the cache holds one version of each.
set -euo pipefail

self=$(readlink -f "$0")
top=$(dirname "$(dirname "$self")")
recipes=$top/tests/images
cache=${B4_IMAGE_CACHE:-$top/.cache/images}
mkdir -p "$cache"

log() { printf 'test-images: %s\n' "$*" >&2; }

recipe_hash() {
  # Hash of the recipe directory's files (names and contents) plus this script.
  # -L: a recipe may share a file with another through a symlink (host-trixie's Dockerfile).
  (cd "$recipes/$1" && find -L . -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum <"$self") |
    sha256sum | cut -c1-12
}

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

drop_old_tags() {
  local repo=$1 keep=$2 ref
  for ref in $(docker image ls --format '{{.Repository}}:{{.Tag}}' "$repo"); do
    case "$ref" in "$repo:$keep" | "$repo:latest") ;; *) docker image rm "$ref" >/dev/null ;; esac
  done
}

# A debootstrap root filesystem (RECIPE/debootstrap.conf) imported as a base, then
# RECIPE/Dockerfile on top. C sources in the recipe are compiled statically into
# the build context first.
build_debootstrap_image() {
  local recipe=$1 hash repo=b4arena-test/$1 work src
  hash=$(recipe_hash "$recipe")
  if ! have_image "$repo:$hash"; then
    # shellcheck source=/dev/null
    . "$recipes/$recipe/debootstrap.conf"
    work=$(mktemp -d "$cache/build.XXXXXX")
    trap 'rm -rf "$work"' RETURN
    log "debootstrap $SUITE ($VARIANT) for $repo:$hash"
    debootstrap --variant="$VARIANT" --include="$INCLUDE" "$SUITE" "$work/rootfs" >"$cache/debootstrap.log" 2>&1 ||
      { tail -20 "$cache/debootstrap.log" >&2; exit 1; }
    tar -C "$work/rootfs" -c . | docker import - "$repo-rootfs:$hash" >/dev/null
    cp -rL "$recipes/$recipe" "$work/context"
    for src in "$work"/context/*.c; do
      [ -e "$src" ] || continue
      gcc -static -O2 -Wall -o "${src%.c}" "$src"
    done
    log "docker build $repo:$hash"
    # The classic builder: BuildKit (buildx) is not packaged with Debian 12's docker.io.
    DOCKER_BUILDKIT=0 docker build -q --build-arg "BASE=$repo-rootfs:$hash" -t "$repo:$hash" "$work/context" \
      >/dev/null 2>"$cache/docker-build.log" || { tail -30 "$cache/docker-build.log" >&2; exit 1; }
    docker image rm "$repo-rootfs:$hash" >/dev/null
  fi
  docker tag "$repo:$hash" "$repo:latest"
  drop_old_tags "$repo" "$hash"
  echo "$repo:$hash"
}

build_sandbox() {
  local hash repo=b4arena-test/sandbox root tarball d
  hash=$(recipe_hash sandbox)
  tarball=$cache/sandbox-$hash.tar
  if [ ! -s "$tarball" ]; then
    # shellcheck source=/dev/null
    . "$recipes/sandbox/recipe.conf"
    root=$(mktemp -d "$cache/sandbox.XXXXXX")
    trap 'rm -rf "$root"' RETURN
    for d in $APPLETS_DIRS etc tmp; do mkdir -p "$root/$d"; done
    chmod 1777 "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    # --install -s writes absolute symlinks for every applet under the new root.
    chroot "$root" /bin/busybox --install -s
    printf 'root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/workspace:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\nsandbox:x:1000:\n' >"$root/etc/group"
    mkdir -p "$root/workspace" && chown 1000:1000 "$root/workspace"
    tar -C "$root" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -f "$cache"/sandbox-*.tar.tmp
    find "$cache" -maxdepth 1 -name 'sandbox-*.tar' ! -name "sandbox-$hash.tar" -delete
  fi
  if ! have_image "$repo:$hash"; then
    log "docker import $repo:$hash"
    docker import -c 'CMD ["/bin/sh"]' "$tarball" "$repo:$hash" >/dev/null
  fi
  docker tag "$repo:$hash" "$repo:latest"
  drop_old_tags "$repo" "$hash"
  echo "$repo:$hash"
}

case "${1:-all}" in
  host | host-trixie | openclaw-sandbox) build_debootstrap_image "$1" ;;
  sandbox) build_sandbox ;;
  sandbox-tarball) build_sandbox >/dev/null && echo "$cache/sandbox-$(recipe_hash sandbox).tar" ;;
  all)
    for recipe in host host-trixie openclaw-sandbox; do build_debootstrap_image "$recipe"; done
    build_sandbox
    ;;
  *) echo "usage: $0 host|host-trixie|openclaw-sandbox|sandbox|sandbox-tarball|all" >&2; exit 2 ;;
esac
