#!/usr/bin/env bash
# make demo: the collection's main job on a disposable local systemd host.
#   scripts/demo.sh up     start (or reuse) the host b4-demo-mimas, make it a Docker CE host
#                          running OpenClaw (a stand-in gateway and sandboxes), migrate it with
#                          playbooks/migrate.yml, and show the result (demo/demo.yml)
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
    # The host's Docker holds OpenClaw's sandbox image, as on a real Docker CE host (unless an
    # earlier demo already migrated it and masked Docker).
    if [ "$(docker exec "$host" systemctl is-enabled docker.service 2>/dev/null)" != masked ]; then
      "$top/scripts/load-image.sh" "$host" b4arena-test/openclaw-sandbox:latest >/dev/null
    fi
    inventory=$top/demo/inventory.yml
    ansible-playbook -i "$inventory" "$top/tests/playbooks/openclaw_on_docker.yml"
    start=$(date +%s)
    ansible-playbook -i "$inventory" "$top/playbooks/migrate.yml"
    echo "demo: migration finished in $(($(date +%s) - start)) s; its plan:"
    cat "$top/.build/demo-reports/mimas-plan.md"
    ansible-playbook -i "$inventory" "$top/demo/demo.yml"
    echo "demo: look around: docker exec -it $host bash; roll back: ansible-playbook -i $inventory $top/playbooks/rollback.yml"
    echo "demo: remove the host with: make demo-clean"
    ;;
  down) "$top/scripts/test-host.sh" down "$host" ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
