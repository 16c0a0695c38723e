//! Export: Kubernetes objects and findings out, as text. Exporters read the target model only,
//! never the ECS model.
//!
//! Every writer puts strings keyed by relative path into a `Sink`; `files` is the one place that
//! touches the file system, atomically and only for files ecs2eks wrote. Each app is written as
//! soon as it is converted (`Apps`); what the apps share, once every app is (`shared`).

pub mod argocd;
pub mod capacity;
pub mod cross_account;
pub mod eso_iam;
pub mod files;
pub mod iam_roots;
pub mod kustomize;
pub mod logging;
pub mod overlay_patch;
pub mod platform;
pub mod report;
pub mod roots;
pub mod stream;
pub mod terraform;
pub mod wiring;
pub mod yaml;

use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::target::{Conversion, Translated};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A generated repository: relative path → content, in sorted order.
pub type Tree = BTreeMap<String, String>;

/// The top-level folders and files of a generated repository: a file elsewhere in the output
/// folder is never one ecs2eks writes (so `files` need only look here for files in the way).
pub const OWNED: [&str; 6] = [
    "apps/",
    "argocd/",
    "iam/",
    "platform/",
    "migration-report.json",
    "MIGRATION_REPORT.md",
];

/// Where generated files go as they are rendered: a tree in memory (`--check`, tests) or the
/// output folder (`files::Writer`), so a large run never holds the whole repository.
pub trait Sink: Sync {
    fn put(&self, rel: String, content: String);

    /// A large file, rendered straight into where it goes.
    fn put_with(
        &self,
        rel: String,
        render: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) {
        let mut bytes = Vec::new();
        render(&mut bytes).expect("writing to memory does not fail");
        self.put(
            rel,
            String::from_utf8(bytes).expect("generated files are UTF-8"),
        );
    }

    fn put_all(&self, tree: Tree) {
        for (rel, content) in tree {
            self.put(rel, content);
        }
    }
}

/// Collects the files in memory.
#[derive(Default)]
pub struct TreeSink(Mutex<Tree>);

impl TreeSink {
    pub fn into_tree(self) -> Tree {
        self.0.into_inner().expect("no writer panics")
    }
}

impl Sink for TreeSink {
    fn put(&self, rel: String, content: String) {
        debug_assert!(OWNED.iter().any(|o| rel.starts_with(o)), "{rel}");
        self.0
            .lock()
            .expect("no writer panics")
            .insert(rel, content);
    }
}

/// Where each app goes as soon as it is converted (the driver calls it from any thread).
pub trait Apps: Sync {
    /// One app's translations (every environment, sorted by environment), the first one at
    /// `first` in the conversion's order. Their objects may be taken: nothing reads them after.
    fn app(&self, first: usize, app: &mut [Translated]);
}

/// An app's files in the repository: `apps/<app>/` and its Argo CD Applications.
pub struct AppFiles<'a> {
    pub sink: &'a dyn Sink,
    pub mappings: &'a Mappings,
    pub inventory: Option<&'a Inventory>,
}

impl Apps for AppFiles<'_> {
    fn app(&self, _first: usize, app: &mut [Translated]) {
        for (path, text) in argocd::applications(
            app.iter().map(|t| &t.workload),
            self.mappings,
            self.inventory,
        ) {
            self.sink.put(path, text);
        }
        let env_order = self
            .inventory
            .map(|i| i.environment_order())
            .unwrap_or_default();
        let waves = self.mappings.argocd.sync_waves;
        kustomize::render_app(app, &env_order, waves, self.sink);
    }
}

/// What the apps share, once every app is written: `iam/` (the pods' roles and External Secrets
/// Operator's policy), the platform objects (shared secret stores, IngressGroups' classes,
/// Fluent Bit outputs), `argocd/` and the reports, one after the other: each holds, for a
/// moment, something the size of its output.
pub fn shared(
    conversion: &Conversion,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    sink: &dyn Sink,
) {
    iam_roots::render(conversion, sink);
    let mut tree = Tree::new();
    // Platform objects first: argocd lists their Applications too.
    platform::render(conversion, mappings, inventory, &mut tree);
    logging::render(conversion, mappings, inventory, &mut tree);
    argocd::render(&conversion.workloads, mappings, inventory, &mut tree);
    sink.put_all(tree);
    report::render(conversion, sink);
}
