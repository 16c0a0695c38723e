//! Snapshot tests: for every sample, the repository a user gets (YAML, Argo CD, report) and what
//! the CLI prints on stderr with its exit code. Review changes with `cargo insta review`.

use crate::common::*;

#[test]
fn every_sample_converts_to_the_snapshotted_repository() {
    for name in sample_dirs() {
        let tree = sample_repo(&name);
        settings().bind(|| insta::assert_snapshot!(format!("{name}.repo"), render_tree(&tree)));
    }
}

#[test]
fn every_sample_prints_the_snapshotted_findings_and_exit_code() {
    for name in sample_dirs() {
        let dir = format!("samples/{name}");
        let inventory = inventory_path(&name);
        let run = ecs2eks(&["convert", &dir, "--inventory", &inventory]);
        let shown = format!("exit code: {}\n--- stderr\n{}", run.code, run.stderr);
        settings().bind(|| insta::assert_snapshot!(format!("{name}.cli"), shown));
    }
}

#[test]
fn output_is_byte_identical_across_runs() {
    for name in sample_dirs() {
        assert_eq!(sample_repo(&name), sample_repo(&name), "{name}");
    }
}
