#!/usr/bin/env bash
# Installs what ecs2eks' checks need on a fresh machine: the manifest validator's Python packages
# and moto (a local AWS endpoint for the live-import tests). Rust and kubectl come with the machine.
set -euo pipefail
need=()
python3 -c 'import kubernetes_validate, yaml, jsonschema' 2>/dev/null || need+=('kubernetes-validate>=1.34' pyyaml jsonschema)
python3 -c 'import moto, boto3, flask' 2>/dev/null || need+=('moto[server]>=5.1' boto3)
if [ ${#need[@]} -gt 0 ]; then
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "${need[@]}"
fi
command -v kubectl >/dev/null || { echo "kubectl (with built-in kustomize) is needed" >&2; exit 1; }
