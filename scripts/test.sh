#!/usr/bin/env bash
# Every test: set up, start a local AWS endpoint (moto) for the live-import tests, run the Rust
# test suite, then convert the samples and validate the output with kubectl kustomize and
# validate-manifests. Nothing reaches real AWS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export AWS_EC2_METADATA_DISABLED=true
if [ -x .ci/moto.sh ]; then
  .ci/moto.sh start
  trap '.ci/moto.sh stop' EXIT
  export ECS2EKS_MOTO_ENDPOINT="$(cat target/moto.url)"
fi
# No incremental cache: CI builds once, and the cache would take disk a fresh machine may not have.
CARGO_INCREMENTAL=0 cargo test --all-targets --quiet 2>&1
out=$(mktemp -d)
# The binary the integration tests built (a `cargo run` would rebuild with other features).
target/debug/ecs2eks convert samples --inventory samples/inventory.yaml --out "$out/repo" -q
for overlay in "$out"/repo/apps/*/overlays/* "$out"/repo/argocd; do
  kubectl kustomize "$overlay" >/dev/null
done
../shared/tools/validate-manifests "$out/repo"
rm -rf "$out"
