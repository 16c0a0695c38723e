//! ecs2eks: moves workloads from Amazon ECS to Amazon EKS.
//!
//! The pipeline is `import` (AWS JSON → the read model) → `translate` (ECS model → Kubernetes
//! objects, target model and findings) → `export` (stdout stream, Kustomize repository, Argo CD,
//! Terraform, reports); `driver` owns the order. The library returns values and diagnostics;
//! only the binary prints and picks exit codes. ARCHITECTURE.md draws the stages.

pub mod allocator;
pub mod diagnostics;
mod driver;
pub mod error;
pub mod export;
pub mod import;
pub mod inventory;
pub mod mappings;
pub mod model;
pub mod translate;

pub use driver::Progress;

use export::{AppFiles, Sink, Tree, TreeSink};
use inventory::Inventory;
use mappings::Mappings;
use model::k8s::Object;
use model::read::Inputs;
use model::target::Conversion;
use std::path::{Path, PathBuf};

/// Reads `inputs` (files or folders, read recursively): every file, recognised by its shape.
/// Errors here stop the run; errors of single inputs are in the returned `Inputs`.
pub fn read(inputs: &[PathBuf]) -> Result<Inputs, error::Error> {
    Ok(import::read_files(import::discover(inputs)?))
}

/// A conversion kept whole in memory, with every workload's objects: the stdout stream, and what
/// tests read. A repository is written app by app instead (`render_repo`).
#[derive(Debug)]
pub struct Converted {
    pub conversion: Conversion,
    /// The objects of `conversion.workloads[i]`, at `i`.
    pub objects: Vec<Vec<Object>>,
}

impl Converted {
    /// Each workload with its objects, in the conversion's order.
    pub fn workloads(&self) -> impl Iterator<Item = (&model::target::Workload, &[Object])> {
        let objects = self.objects.iter().map(Vec::as_slice);
        self.conversion.workloads.iter().zip(objects)
    }
}

/// Reads and converts `inputs`, keeping every object.
pub fn convert(
    inputs: &[PathBuf],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Result<Converted, error::Error> {
    Ok(convert_read(read(inputs)?, mappings, inventory, &|_, _| {}))
}

/// Converts what was read, keeping every object.
pub fn convert_read(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    progress: Progress,
) -> Converted {
    let objects = export::stream::Objects::default();
    let conversion = driver::convert(read, mappings, inventory, &objects, progress);
    let objects = objects.into_list(conversion.workloads.len());
    Converted {
        conversion,
        objects,
    }
}

/// `convert` without `--out`: what was read as one YAML stream, for `kubectl apply -f -`, run once
/// per service. Stores whose kind the mappings leave unset are namespaced SecretStores there
/// (`Mappings::for_stream`): a shared ClusterSecretStore would lose the namespaces of the runs
/// before it at each apply.
pub fn stream(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    progress: Progress,
) -> (Conversion, String) {
    let mappings = mappings.for_stream();
    let converted = convert_read(read, &mappings, inventory, progress);
    let text = export::stream::render(&converted.conversion, &converted.objects, &mappings);
    (converted.conversion, text)
}

/// Converts what was read into the repository `convert --out` writes, rendered into `sink`:
/// each app's files as soon as it is converted, then what the apps share.
pub fn render_repo(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    sink: &dyn Sink,
    progress: Progress,
) -> Conversion {
    let apps = AppFiles {
        sink,
        mappings,
        inventory,
    };
    let conversion = driver::convert(read, mappings, inventory, &apps, progress);
    export::shared(&conversion, mappings, inventory, sink);
    conversion
}

/// Reads and converts `inputs` into the repository `convert --out` writes, in memory.
pub fn generate_repo(
    inputs: &[PathBuf],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Result<(Conversion, Tree), error::Error> {
    let sink = TreeSink::default();
    let conversion = render_repo(read(inputs)?, mappings, inventory, &sink, &|_, _| {});
    Ok((conversion, sink.into_tree()))
}

/// `convert --out DIR`: converts what was read and writes the repository into `dir`, each app's
/// files as soon as the app is converted. When a file ecs2eks did not write is in the way,
/// everything is rendered first and checked before the first write (`files::write`). Returns the
/// conversion (for its findings) and what the write did.
pub fn convert_into(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    dir: &Path,
    progress: Progress,
) -> (
    Conversion,
    Result<export::files::WriteSummary, error::Error>,
) {
    match export::files::Writer::open(dir) {
        Ok(Some(writer)) => {
            let conversion = render_repo(read, mappings, inventory, &writer, progress);
            (conversion, writer.finish())
        }
        Ok(None) => {
            let tree = TreeSink::default();
            let conversion = render_repo(read, mappings, inventory, &tree, progress);
            let written = export::files::write(dir, &tree.into_tree());
            (conversion, written)
        }
        Err(e) => (
            convert_read(read, mappings, inventory, progress).conversion,
            Err(e),
        ),
    }
}

/// `import --out DIR`: reads the inventory's accounts from AWS into the snapshot folder `dir`.
/// A unit that fails keeps its files of the previous import (the folder's manifest lists them);
/// the files and `import-report.json` go through the one file writer. Returns the report (its
/// failures are the import's, not errors of this call) and what the write changed.
pub fn import_into(
    inventory: &Inventory,
    options: &import::aws::Options,
    dir: &Path,
) -> Result<(import::aws::Report, export::files::WriteSummary), import::aws::SnapshotError> {
    let previous = export::files::previous(dir)?;
    let mut snapshot = import::aws::run_blocking(inventory, options)?;
    import::aws::keep_previous_files(&mut snapshot, &previous, dir)?;
    let mut tree = snapshot.files;
    tree.insert(
        import::aws::REPORT_FILE.to_string(),
        import::aws::report_json(&snapshot.report),
    );
    let written = export::files::write(dir, &tree)?;
    Ok((snapshot.report, written))
}

/// `convert --out DIR --check`: the unified diff between `dir` and the repository the inputs
/// give (empty when they match); nothing is written.
pub fn check(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    dir: &Path,
    progress: Progress,
) -> (Conversion, Result<String, error::Error>) {
    let sink = TreeSink::default();
    let conversion = render_repo(read, mappings, inventory, &sink, progress);
    let diff = export::files::check(dir, &sink.into_tree());
    (conversion, diff)
}

/// Inputs for the unit tests of the later stages, read from JSON text as the importer reads files.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::read::Inputs;

    /// Reads each `(name, text)` into `inputs`, as a file of that name holding that text.
    pub fn read_into(inputs: &mut Inputs, files: &[(&str, &str)]) {
        for (name, text) in files {
            crate::import::read_bytes(name, text.as_bytes(), inputs);
        }
    }
}
