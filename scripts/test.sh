#!/usr/bin/env bash
# Every test: set up, start a local AWS endpoint (moto) for the live-import tests, run the Rust
# test suite, then convert each sample and validate the repositories (scripts/validate.py:
# kubectl kustomize, strict schemas, terraform validate). Nothing reaches real AWS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export AWS_EC2_METADATA_DISABLED=true
.ci/moto.sh start >/dev/null
trap '.ci/moto.sh stop' EXIT
export ECS2EKS_MOTO_ENDPOINT="$(cat target/moto.url)"
# No incremental cache: CI builds once, and the cache would take disk a fresh machine may not have.
echo "building and running the tests (about 12 minutes on 2 cores the first time)..."
CARGO_INCREMENTAL=0 cargo test --all-targets --quiet 2>&1
# The binary the integration tests built (a `cargo run` would rebuild with other features).
scripts/samples.sh target/samples target/debug/ecs2eks
