#!/usr/bin/env bash
# make demo: run the collection against a disposable local systemd host.
#   scripts/demo.sh up     start (or reuse) the host b4-demo-mimas and run demo/demo.yml on it
#   scripts/demo.sh down   remove the host and its volumes
set -euo pipefail
top=$(dirname "$(dirname "$(readlink -f "$0")")")
host=b4-demo-mimas

case "${1:-up}" in
  up)
    if [ "$(docker inspect -f '{{.State.Running}}' "$host" 2>/dev/null)" != "true" ]; then
      "$top/scripts/test-host.sh" down "$host"
      "$top/scripts/test-host.sh" up "$host"
    fi
    # The host's Docker holds OpenClaw's sandbox image, as on a real Docker CE host.
    "$top/scripts/load-image.sh" "$host" b4arena-test/openclaw-sandbox:latest >/dev/null
    docker exec "$host" docker tag b4arena-test/openclaw-sandbox:latest openclaw-sandbox:bookworm-slim
    start=$(date +%s)
    ansible-playbook -i "$top/demo/inventory.yml" "$top/demo/demo.yml"
    echo "demo: finished in $(($(date +%s) - start)) s. Look around: docker exec -it $host bash"
    echo "demo: remove the host with: make demo-clean"
    ;;
  down) "$top/scripts/test-host.sh" down "$host" ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
