//! ecs2eks: moves workloads from Amazon ECS to Amazon EKS.
//!
//! The pipeline is `import` (AWS JSON → ECS model) → `translate` (ECS model → Kubernetes objects
//! and findings) → `export` (stdout stream, Kustomize repository, report). The library returns
//! values and diagnostics; only the binary prints and picks exit codes.

pub mod allocator;
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
    let read = import::read_files(files);
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

/// `convert --out` for a large run: converts `read` and writes the repository into `dir`, each
/// app's files as soon as the app is converted (in parallel), the IAM roles as they are planned,
/// then what the apps share (Argo CD, reports). Once its app is written, each workload waits in
/// the run's temporary file (`translate::Held`), so memory holds the inputs' identities and a
/// few numbers per workload, never the rendered repository. When a file ecs2eks did not write
/// is in the way, everything is rendered first and checked before the first write
/// (`files::write`). Returns the conversion (for its findings) and what the write did; its
/// workloads are read back with `Workloads::get` (later passes read `Workload::facts`: the
/// objects are gone), the IAM plan keeps only its folders.
pub fn convert_into(
    read: import::Inputs,
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
    dir: &std::path::Path,
    progress: translate::Progress,
) -> (
    translate::Conversion,
    Result<export::files::WriteSummary, error::Error>,
) {
    match export::files::Writer::open(dir) {
        Ok(Some(writer)) => {
            let env_order = inventory.map(|i| i.environment_order()).unwrap_or_default();
            let waves = mappings.argocd.sync_waves;
            // The first read's file, if it made one: one temporary file per run.
            let findings_file = read.findings_file.clone().or_else(|| {
                diagnostics::FindingsFile::create()
                    .ok()
                    .map(std::sync::Arc::new)
            });
            let on_app = |app: &mut [translate::Workload]| {
                for (path, text) in export::argocd::applications(app, mappings, inventory) {
                    export::Sink::put(&writer, path, text);
                }
                // The app's objects go to the renderer; later passes read `Workload::facts`.
                let objects: Vec<Vec<model::k8s::Object>> = app
                    .iter_mut()
                    .map(|w| std::mem::take(&mut w.objects))
                    .collect();
                let envs = app.iter().zip(objects).collect();
                export::kustomize::render_app_owned(envs, &env_order, waves, &writer);
            };
            // The IAM roles are written a chunk at a time as they are planned.
            let mut folders = export::terraform::Folders::default();
            let mut on_roles = |roles: Vec<translate::iam::IamRole>| {
                export::terraform::render_roles(&roles, &mut folders, &writer)
            };
            // Then each workload waits in the file for the passes after every app.
            let streaming = translate::Streaming {
                on_app: &on_app,
                on_roles: &mut on_roles,
                file: findings_file,
            };
            let mut conversion =
                translate::translate_each(read, mappings, inventory, Some(streaming), progress);
            folders.render(&writer);
            export::eso_iam::render(&conversion, &writer);
            render_argocd_and_reports(&conversion, mappings, inventory, &writer, false);
            // Workloads that could not be read back from the file: errors of the run.
            conversion.errors.extend(conversion.workloads.take_unread());
            let written = writer.finish();
            (conversion, written)
        }
        Ok(None) => {
            let conversion = translate::translate_each(read, mappings, inventory, None, progress);
            let tree = generate_repo(&conversion, mappings, inventory);
            let written = export::files::write(dir, &tree);
            (conversion, written)
        }
        Err(e) => (translate::translate(read, mappings, inventory), Err(e)),
    }
}

/// Renders the repository into `sink`.
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
        // What the apps share, each on its own task.
        || {
            rayon::join(
                || render_iam(conversion, sink),
                || render_argocd_and_reports(conversion, mappings, inventory, sink, true),
            )
        },
    );
}

/// `iam/`: the pods' roles and the policy External Secrets Operator needs.
fn render_iam(conversion: &translate::Conversion, sink: &dyn export::Sink) {
    export::terraform::render(&conversion.iam, sink);
    export::eso_iam::render(conversion, sink);
}

/// The shared secret stores, `argocd/` and the reports, one after the other: each holds, for a
/// moment, something the size of its output, and a large run should hold one at a time (the
/// reports render on every core themselves). `with_applications`: also the Argo CD Applications
/// (else they were written with their apps).
fn render_argocd_and_reports(
    conversion: &translate::Conversion,
    mappings: &mappings::Mappings,
    inventory: Option<&inventory::Inventory>,
    sink: &dyn export::Sink,
    with_applications: bool,
) {
    let mut tree = export::Tree::new();
    // Shared secret stores first: argocd lists their Application too.
    export::secret_stores::render(conversion, mappings, inventory, &mut tree, sink);
    export::argocd::render(
        &conversion.workloads,
        mappings,
        inventory,
        &tree,
        sink,
        with_applications,
    );
    sink.put_all(tree);
    export::report::render(conversion, sink);
}
