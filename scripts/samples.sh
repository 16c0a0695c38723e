#!/usr/bin/env bash
# Converts each sample (samples/<name>/, with its own mappings.yaml and inventory.yaml when it has
# them, else samples/inventory.yaml) into OUT/<name>/ with BIN, validates every repository (scripts/validate.py), and prints a summary:
# services by status, findings by severity, the top warning codes, the validation result.
#   scripts/samples.sh OUT BIN
set -uo pipefail
cd "$(dirname "$0")/.."
out=$1
bin=$2
rm -rf "$out"
mkdir -p "$out"
convert_failed=0
for dir in samples/*/; do
  name=$(basename "$dir")
  mappings=()
  [ -f "$dir/mappings.yaml" ] && mappings=(--mappings "$dir/mappings.yaml")
  inventory=samples/inventory.yaml
  [ -f "$dir/inventory.yaml" ] && inventory="$dir/inventory.yaml"
  "$bin" convert "$dir" --inventory "$inventory" "${mappings[@]}" --out "$out/$name" -q 2>>"$out/convert.log" || convert_failed=1
done
validation=0
for repo in "$out"/*/; do
  echo "== $(basename "$repo")" >>"$out/validate.log"
  scripts/validate.py "$repo" >>"$out/validate.log" 2>&1 || validation=1
done
python3 - "$out" "$validation" <<'PY'
import collections, json, pathlib, sys
out, validation = pathlib.Path(sys.argv[1]), sys.argv[2] == "0"
status, severity, codes = collections.Counter(), collections.Counter(), collections.Counter()
for report in sorted(out.glob("*/migration-report.json")):
    r = json.loads(report.read_text())
    for s in r["services"]:
        status[s["status"]] += 1
        for f in s["findings"]:
            severity[f["severity"]] += 1
            if f["severity"] == "warning":
                codes[f["code"]] += 1
    status["input errors"] += len(r["errors"])
log = (out / "validate.log").read_text().splitlines()
objects = [l for l in log if l.startswith("validation: objects")]
passed = sum(int(l.split()[2]) for l in objects)
failed = sum(int(l.split()[4]) for l in objects)
print(f"services: {status['converted']} converted, {status['review']} to review, {status['failed']} failed; input errors: {status['input errors']}")
print(f"findings: {severity['error']} errors, {severity['warning']} warnings, {severity['info']} info")
print("top warnings: " + ", ".join(f"{c} ({n})" for c, n in codes.most_common(5)))
print(f"validation ({out}/validate.log): {passed} objects passed, {failed} failed; " + ("all valid" if validation else "FAILED"))
PY
[ "$validation" = 0 ] || exit 1
exit 0
