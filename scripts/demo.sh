#!/usr/bin/env bash
# The main job on the shipped samples: set up, build, convert each sample (with its own
# mappings.yaml) into a GitOps repository under out/, validate every repository, and summarise.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "building ecs2eks (debug, as the tests do: about 7 minutes on 2 cores the first time)..."
# The same build as scripts/test.sh's, so running both compiles once.
CARGO_INCREMENTAL=0 cargo build --quiet
echo "converting samples/* into out/ and validating..."
scripts/samples.sh out target/debug/ecs2eks
echo "next: open out/<sample>/MIGRATION_REPORT.md (out/load-balancers shows the TargetGroupBinding cutover runbook); \`cargo install --path .\` puts ecs2eks on your PATH"
