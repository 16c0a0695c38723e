//! Export: Kubernetes objects and findings out, as text. Exporters never read the ECS model.
//!
//! Every writer returns strings keyed by relative path; `files` is the one place that touches the
//! file system, atomically and only for files ecs2eks wrote.

pub mod argocd;
pub mod capacity;
pub mod eso_iam;
pub mod files;
pub mod kustomize;
pub mod path_set;
pub mod report;
pub mod secret_stores;
pub mod stream;
pub mod terraform;
pub mod yaml;

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
