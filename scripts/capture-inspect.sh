#!/usr/bin/env bash
# Capture real `docker inspect` records for the converter's unit tests
# (tests/unit/fixtures/docker_inspect/). Creates containers (never starts them) from the
# OpenClaw-like sandbox image, inspects them, removes them. Rerun after a Docker upgrade.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$here/tests/unit/fixtures/docker_inspect
image=b4arena-test/openclaw-sandbox:latest
mkdir -p "$out" /tmp/b4-capture/workspace
docker network create b4-capture-net >/dev/null 2>&1 || true
docker volume create b4-capture-state >/dev/null

capture() {
  local name=$1; shift
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker create --name "$name" "$@" >/dev/null
  docker inspect "$name" | python3 -c 'import json,sys; json.dump(json.load(sys.stdin)[0], sys.stdout, indent=1, sort_keys=True)' > "$out/$name.json"
  docker rm -f "$name" >/dev/null
  echo "captured $name"
}

# The gateway as OpenClaw's compose file runs it: loopback ports, state volume, workspace bind.
capture openclaw-gateway --init --restart unless-stopped --user 1000:1000 \
  -p 127.0.0.1:18789:18789 -p 127.0.0.1:18790:18790 \
  -v b4-capture-state:/home/node/.openclaw -v /tmp/b4-capture/workspace:/workspace:ro \
  --cap-drop ALL --security-opt no-new-privileges -e OPENCLAW_GATEWAY_TOKEN=secret-token \
  -e 'GREETING=50% off $HOME "quoted"' --label org.example.role=gateway \
  --network b4-capture-net --memory 1g --pids-limit 256 --health-cmd 'curl -fs http://127.0.0.1:18789/health' \
  --health-interval 30s --workdir /home/node "$image" python3 -m http.server 18789
# A sandbox created the way OpenClaw creates one.
capture openclaw-sbx-main --init --label openclaw.sandbox=1 --label openclaw.sessionKey=agent:main \
  --read-only --tmpfs /tmp --tmpfs /var/tmp --tmpfs /run --network none --user 1000:1000 \
  --cap-drop ALL --security-opt no-new-privileges --pids-limit 512 --workdir /workspace \
  "$image" sleep infinity
# A sandboxed gateway that mounts the Docker socket (dropped, not blocking).
capture gateway-with-socket --user 1000:1000 --group-add docker -v /var/run/docker.sock:/var/run/docker.sock \
  -p 18789:18789 "$image" sleep infinity
# Everything a rootless user cannot have.
capture privileged-host --privileged --network host --pid host "$image" sleep infinity
capture low-port -p 80:8080 -p 127.0.0.1:443:8443 --restart always "$image" sleep infinity
capture named-user --user sandbox --entrypoint /bin/sh "$image" -c 'exec sleep infinity'
# A legacy --link to another container on the default bridge.
docker rm -f b4-capture-target >/dev/null 2>&1 || true
docker create --name b4-capture-target "$image" sleep infinity >/dev/null
capture linked --user 1000:1000 --link b4-capture-target:db "$image" sleep infinity
docker rm -f b4-capture-target >/dev/null

docker volume rm b4-capture-state >/dev/null
docker network rm b4-capture-net >/dev/null
docker image inspect "$image" | python3 -c 'import json,sys; json.dump(json.load(sys.stdin)[0]["Config"], sys.stdout, indent=1, sort_keys=True)' > "$out/image-config.json"
echo "captured image-config"
