#!/usr/bin/env bash
# The SARIF 2.1.0 JSON schema, for validating the audit's SARIF output in tests. It comes from
# Microsoft's SARIF multitool package on the npm registry (the schema ships beside the tool),
# pinned by version and checksum, cached outside the checkout, and printed as a path.
set -euo pipefail
version=5.7.0
sha1=c4336533d697196caf44dbce07394df2cbf90eee
cache=${XDG_CACHE_HOME:-$HOME/.cache}/b4arena-rootless
schema=$cache/sarif-2.1.0-$version.json
if [ ! -s "$schema" ]; then
  mkdir -p "$cache"
  url=https://registry.npmjs.org/@microsoft/sarif-multitool-linux/-/sarif-multitool-linux-$version.tgz
  python3 - "$url" "$sha1" "$schema" <<'PY'
import hashlib, io, sys, tarfile, urllib.request
url, sha1, target = sys.argv[1:]
data = urllib.request.urlopen(url, timeout=300).read()
if hashlib.sha1(data).hexdigest() != sha1:
    sys.exit("sarif-schema: %s does not have checksum %s" % (url, sha1))
with tarfile.open(fileobj=io.BytesIO(data)) as tar:
    schema = tar.extractfile("package/sarif-2.1.0.json").read()
with open(target + ".tmp", "wb") as f:
    f.write(schema)
PY
  mv "$schema.tmp" "$schema"
fi
echo "$schema"
