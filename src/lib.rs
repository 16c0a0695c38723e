//! ecs2eks: moves workloads from Amazon ECS to Amazon EKS.
//!
//! The pipeline is `import` (AWS JSON → ECS model) → `translate` (ECS model → Kubernetes objects
//! and findings) → `export` (stdout stream, Kustomize repository, report). The library returns
//! values and diagnostics; only the binary prints and picks exit codes.

pub mod diagnostics;
pub mod error;
pub mod export;
pub mod import;
pub mod inventory;
pub mod mappings;
pub mod model;
pub mod translate;

use std::path::PathBuf;

/// Reads and converts `inputs` (files or folders). Errors here stop the run; errors of single
/// inputs are in the returned conversion.
pub fn convert(
    inputs: &[PathBuf],
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
) -> Result<translate::Conversion, error::Error> {
    let files = import::discover(inputs)?;
    let read = import::read_files(&files);
    Ok(translate::translate(read, mappings, inventory))
}

/// The repository `convert --out` writes, in memory: `apps/`, `platform/`, `argocd/`, `iam/`
/// and the reports.
pub fn generate_repo(
    conversion: &translate::Conversion,
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
) -> export::Tree {
    let sink = export::TreeSink::default();
    render_repo(conversion, mappings, inventory, &sink);
    sink.into_tree()
}

/// Writes the repository into `dir`, each file as soon as it is rendered; when a file ecs2eks
/// did not write is in the way, everything is rendered first and checked before the first write.
pub fn write_repo(
    conversion: &translate::Conversion,
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
    dir: &std::path::Path,
) -> Result<export::files::WriteSummary, error::Error> {
    match export::files::Writer::open(dir)? {
        Some(writer) => {
            render_repo(conversion, mappings, inventory, &writer);
            writer.finish()
        }
        None => export::files::write(dir, &generate_repo(conversion, mappings, inventory)),
    }
}

/// Renders the repository into `sink`: the apps in parallel with the rest.
pub fn render_repo(
    conversion: &translate::Conversion,
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
    sink: &dyn export::Sink,
) {
    let env_order = inventory.map(|i| i.environment_order()).unwrap_or_default();
    rayon::join(
        || {
            export::kustomize::render(
                &conversion.workloads,
                &env_order,
                mappings.argocd.sync_waves,
                sink,
            )
        },
        || {
            let mut tree = export::Tree::new();
            // Shared secret stores first: argocd lists their Application too.
            export::secret_stores::render(conversion, mappings, inventory, &mut tree);
            export::argocd::render(&conversion.workloads, mappings, inventory, &mut tree);
            sink.put_all(tree);
            let mut tree = export::Tree::new();
            export::terraform::render(&conversion.iam, &mut tree);
            export::eso_iam::render(conversion, &mut tree);
            sink.put_all(tree);
            export::report::render(conversion, sink);
        },
    );
}
