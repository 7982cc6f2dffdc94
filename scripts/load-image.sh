#!/usr/bin/env bash
# Copy a locally built image into a test host's engine without a registry:
#   scripts/load-image.sh CONTAINER IMAGE              into the host's Docker
#   scripts/load-image.sh CONTAINER IMAGE podman USER  into USER's rootless Podman
# Prints "loaded" when it changed something, "present" when the image was there.
set -euo pipefail
container=$1 image=$2 engine=${3:-docker} user=${4:-}
id=$(docker image inspect --format '{{.Id}}' "$image")
case "$engine" in
  docker) inner=(docker) ;;
  podman) inner=(runuser -u "$user" -- env "XDG_RUNTIME_DIR=/run/user/$(docker exec "$container" id -u "$user")" podman) ;;
  *) echo "engine must be docker or podman" >&2; exit 2 ;;
esac
if [ "$(docker exec "$container" "${inner[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null)" = "$id" ] ||
   [ "$(docker exec "$container" "${inner[@]}" image inspect --format 'sha256:{{.Id}}' "$image" 2>/dev/null)" = "$id" ]; then
  echo present
  exit 0
fi
docker save "$image" | docker exec -i "$container" "${inner[@]}" load >/dev/null
echo loaded
