//! Helpers shared by the integration tests: running the pipeline and the binary on samples.

use ecs2eks::Converted;
use ecs2eks::export::Tree;
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The public corpus of real task definitions and services (`taskdefs/`, `services/`): the folder
/// `ECS2EKS_CORPUS` names (CI's `.ci/run` sets it, so there it must exist), else
/// `../shared/corpus` beside the repository. None in a clone alone: the corpus tests then check
/// nothing and say so on stderr.
pub fn corpus() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("ECS2EKS_CORPUS") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "ECS2EKS_CORPUS={}: no such folder",
            dir.display()
        );
        return Some(dir);
    }
    let beside = root().join("../shared/corpus");
    if beside.is_dir() {
        return Some(beside);
    }
    #[allow(clippy::print_stderr)] // a test's note: cargo test shows it with the test's output
    {
        eprintln!(
            "no public corpus (../shared/corpus, or ECS2EKS_CORPUS): the corpus checks were not run"
        );
    }
    None
}

/// The sample folders (each holds one scenario), sorted.
pub fn sample_dirs() -> Vec<String> {
    let mut dirs: Vec<String> = std::fs::read_dir(root().join("samples"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    dirs.sort();
    dirs
}

pub fn inventory() -> Inventory {
    let path = "samples/inventory.yaml";
    Inventory::parse(path, &std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// The inventory a sample is converted with: `samples/<name>/inventory.yaml` when it has one
/// (its accounts and clusters are its own), else `samples/inventory.yaml`.
pub fn inventory_path(name: &str) -> String {
    let own = format!("samples/{name}/inventory.yaml");
    match root().join(&own).is_file() {
        true => own,
        false => "samples/inventory.yaml".to_string(),
    }
}

pub fn inventory_for(name: &str) -> Inventory {
    let path = inventory_path(name);
    Inventory::parse(&path, &std::fs::read_to_string(root().join(&path)).unwrap()).unwrap()
}

/// The sample's own mappings file, if it has one.
pub fn mappings_for(dir: &Path) -> Mappings {
    let path = dir.join("mappings.yaml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Mappings::load(Some((&path.display().to_string(), &text))).unwrap(),
        Err(_) => Mappings::defaults(),
    }
}

/// Converts `samples/<name>` as the CLI does with its own mappings and inventory
/// (`inventory_path`).
pub fn convert_sample(name: &str) -> (Converted, Mappings, Inventory) {
    let dir = PathBuf::from("samples").join(name);
    let mappings = mappings_for(&root().join(&dir));
    let inventory = inventory_for(name);
    std::env::set_current_dir(root()).unwrap();
    let conversion = ecs2eks::convert(&[dir], &mappings, Some(&inventory)).unwrap();
    (conversion, mappings, inventory)
}

/// The repository the CLI writes with `--out` for `samples/<name>` (with its own mappings and
/// inventory, `inventory_path`), in memory.
pub fn sample_repo(name: &str) -> Tree {
    let dir = PathBuf::from("samples").join(name);
    let mappings = mappings_for(&root().join(&dir));
    std::env::set_current_dir(root()).unwrap();
    ecs2eks::generate_repo(&[dir], &mappings, Some(&inventory_for(name)))
        .unwrap()
        .1
}

/// All files of a tree, one after the other, for a snapshot people can read.
pub fn render_tree(tree: &Tree) -> String {
    tree.iter()
        .map(|(path, content)| format!("# ==> {path} <==\n{content}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// insta settings: snapshots of what users read, in the repository's `snapshots/`.
pub fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary from the repository root.
pub fn ecs2eks(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// A workload with its objects, as the tests read them (`Deref`s to the workload).
#[derive(Clone, Copy)]
pub struct Made<'a> {
    pub workload: &'a ecs2eks::model::target::Workload,
    pub objects: &'a [ecs2eks::model::k8s::Object],
}

impl std::ops::Deref for Made<'_> {
    type Target = ecs2eks::model::target::Workload;
    fn deref(&self) -> &Self::Target {
        self.workload
    }
}

/// The workload's (first) object of `kind`, as JSON.
pub fn object(w: Made<'_>, kind: &str) -> serde_json::Value {
    w.objects
        .iter()
        .find(|o| o.kind == kind)
        .unwrap_or_else(|| panic!("{} has no {kind}", w.app))
        .to_json()
}

/// Each workload of a conversion with its objects, in its order.
pub fn workloads(c: &Converted) -> impl Iterator<Item = Made<'_>> {
    c.workloads()
        .map(|(workload, objects)| Made { workload, objects })
}

/// (field, message) of each of the workload's findings of `code`, in order.
pub fn found(w: &ecs2eks::model::target::Workload, code: &str) -> Vec<(String, String)> {
    w.findings
        .iter()
        .filter(|f| f.code.as_str() == code)
        .map(|f| (f.field, f.message))
        .collect()
}

/// The fields of the workload's findings of `code`, in order.
pub fn fields(w: &ecs2eks::model::target::Workload, code: &str) -> Vec<String> {
    found(w, code).into_iter().map(|(field, _)| field).collect()
}

/// A workload refused by design: its task role is an unrendered template (E2K461), an error
/// naming the file and field, given once the whole translation ran (its findings are complete).
pub fn refused_for_placeholder_role(w: &ecs2eks::model::target::Workload) -> bool {
    let mut errors = w
        .findings
        .iter()
        .filter(|f| f.severity == ecs2eks::diagnostics::Severity::Error)
        .peekable();
    errors.peek().is_some() && errors.all(|f| f.code.as_str() == "E2K461")
}
