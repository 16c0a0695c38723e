#!/usr/bin/env python3
"""Validates a repository that `ecs2eks convert --out` wrote, offline, from a clone alone.

  scripts/validate.py REPO [--k8s-version 1.34]

1. Builds every leaf kustomization (an overlay, argocd/, platform/...) with `kubectl kustomize`.
2. Checks every object: core kinds against kubernetes-validate's strict schemas (unknown fields
   are errors), custom resources against the CRD schemas in tests/schemas/crds (SOURCES.md says
   where each comes from), with unknown top-level keys as errors.
3. Runs `terraform validate` on every iam/<account>/ folder, with terraform and a local AWS
   provider mirror (ECS2EKS_TF_PLUGIN_DIR, default /opt/tf-plugins). Every machine of ours (CI's
   included) has both: a missing one is a failure, unless ECS2EKS_SKIP_TERRAFORM=1 says to skip
   it (scripts/demo.sh does, on a machine without them).

Prints one line per problem, then a labelled summary. Exit 0 when everything passed, 1 when
anything failed, 2 on a usage or setup error.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.realpath(__file__))
CRDS = os.path.join(HERE, "..", "tests", "schemas", "crds")
KUSTOMIZATION = "kustomization.yaml"
TOP_LEVEL = {"apiVersion", "kind", "metadata", "spec", "status"}


def setup():
    try:
        import jsonschema  # noqa: F401
        import kubernetes_validate  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as e:
        sys.exit(f"validate: {e}; run scripts/setup.sh first")
    if shutil.which("kubectl") is None:
        sys.exit("validate: kubectl (with its built-in kustomize) is needed")


def leaves(root):
    """The kustomizations no other kustomization under `root` lists as a resource."""
    import yaml
    dirs, listed = [], set()
    for d, _, files in os.walk(root):
        if KUSTOMIZATION not in files:
            continue
        dirs.append(os.path.normpath(d))
        with open(os.path.join(d, KUSTOMIZATION)) as f:
            k = yaml.safe_load(f) or {}
        for r in k.get("resources", []) + k.get("bases", []):
            listed.add(os.path.normpath(os.path.join(d, r)))
    return sorted(d for d in dirs if d not in listed)


def crd_schema(api_version, kind):
    if "/" not in api_version:
        return None
    group, version = api_version.split("/", 1)
    path = os.path.join(CRDS, group, f"{kind.lower()}_{version}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def problems(doc, k8s_version):
    """What is wrong with one object, as short messages."""
    import jsonschema
    import kubernetes_validate
    kind, api_version = doc.get("kind", "?"), doc.get("apiVersion", "?")
    schema = crd_schema(api_version, kind)
    if schema is not None:
        extra = sorted(set(doc) - TOP_LEVEL)
        found = [f"unknown top-level key {k!r}" for k in extra]
        validator = jsonschema.Draft7Validator(schema)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
            at = ".".join(str(p) for p in e.path) or "."
            found.append(f"{at}: {e.message[:200]}")
        return found
    try:
        kubernetes_validate.validate(doc, k8s_version, strict=True)
        return []
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no schema for {api_version} {kind}"]
    except kubernetes_validate.ValidationError as e:
        at = ".".join(str(p) for p in e.path) or "."
        return [f"{at}: {e.message[:200]}"]


def check_kustomizations(root, k8s_version):
    import yaml
    passed, failed = 0, 0
    for d in leaves(root):
        rel = os.path.relpath(d, root)
        run = subprocess.run(["kubectl", "kustomize", d], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"FAIL {rel}: kubectl kustomize: {run.stderr.strip()[:300]}")
            failed += 1
            continue
        for doc in yaml.safe_load_all(run.stdout):
            if not doc:
                continue
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            found = problems(doc, k8s_version)
            for p in found:
                print(f"FAIL {rel} {name}: {p}")
            failed += bool(found)
            passed += not found
    return passed, failed


def check_terraform(root):
    """(folders validated, folders failed), or None when told to skip; a missing terraform or
    provider mirror fails."""
    plugins = os.environ.get("ECS2EKS_TF_PLUGIN_DIR", "/opt/tf-plugins")
    iam = os.path.join(root, "iam")
    if not os.path.isdir(iam):
        return (0, 0)
    if os.environ.get("ECS2EKS_SKIP_TERRAFORM") == "1":
        return None
    if shutil.which("terraform") is None or not os.path.isdir(plugins):
        print(f"FAIL iam/: terraform validate cannot run: no terraform on the PATH or no AWS provider "
              f"mirror in {plugins} (set ECS2EKS_TF_PLUGIN_DIR, or ECS2EKS_SKIP_TERRAFORM=1 to skip)")
        return (0, len(os.listdir(iam)))
    ok = bad = 0
    for account in sorted(os.listdir(iam)):
        with tempfile.TemporaryDirectory() as work:
            shutil.copytree(os.path.join(iam, account), work, dirs_exist_ok=True)
            env = dict(os.environ, TF_IN_AUTOMATION="1")
            steps = [["init", "-backend=false", "-input=false", f"-plugin-dir={plugins}"],
                     ["validate", "-no-color"]]
            for step in steps:
                run = subprocess.run(["terraform", *step], cwd=work, env=env,
                                     capture_output=True, text=True)
                if run.returncode != 0:
                    message = (run.stderr or run.stdout).strip().replace("\n", " ")[:300]
                    print(f"FAIL iam/{account}: terraform {step[0]}: {message}")
                    bad += 1
                    break
            else:
                ok += 1
    return ok, bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo")
    parser.add_argument("--k8s-version", default="1.34")
    args = parser.parse_args()
    setup()
    if not os.path.isdir(args.repo):
        sys.exit(f"validate: {args.repo}: not a folder")
    passed, failed = check_kustomizations(args.repo, args.k8s_version)
    print(f"validation: objects: {passed} passed, {failed} failed")
    terraform = check_terraform(args.repo)
    if terraform is None:
        print("validation: terraform: skipped (ECS2EKS_SKIP_TERRAFORM=1)")
    else:
        print(f"validation: terraform roots: {terraform[0]} passed, {terraform[1]} failed")
        failed += terraform[1]
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
