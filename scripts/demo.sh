#!/usr/bin/env bash
# The main job on the shipped samples: set up, build, convert every sample into a GitOps repository
# in out/, and validate every overlay and the Argo CD objects.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
rc=0
target/release/ecs2eks convert samples --inventory samples/inventory.yaml --out out || rc=$?
echo "convert exit code: $rc (0: all converted; 1: some input failed)"
../shared/tools/validate-manifests out
exit $rc
