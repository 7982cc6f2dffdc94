#!/usr/bin/env bash
# Run every molecule scenario (molecule/*/molecule.yml), each through its full
# test sequence, and print one summary line per scenario plus a total.
set -uo pipefail
cd "$(dirname "$(dirname "$(readlink -f "$0")")")"
scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then
  for f in molecule/*/molecule.yml; do scenarios+=("$(basename "$(dirname "$f")")"); done
fi
passed=0 failed=0 summary=()
for s in "${scenarios[@]}"; do
  start=$(date +%s)
  if molecule test -s "$s"; then
    passed=$((passed + 1)) result=passed
  else
    failed=$((failed + 1)) result=FAILED
    molecule destroy -s "$s" >/dev/null 2>&1 || true
  fi
  summary+=("molecule scenario $s: $result in $(($(date +%s) - start)) s")
done
printf '%s\n' "${summary[@]}"
echo "molecule: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
