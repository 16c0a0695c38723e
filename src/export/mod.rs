//! Export: Kubernetes objects and findings out, as text. Exporters never read the ECS model.
//!
//! Every writer returns strings keyed by relative path; `files` is the one place that touches the
//! file system, atomically and only for files ecs2eks wrote.

pub mod argocd;
pub mod capacity;
pub mod eso_iam;
pub mod files;
pub mod kustomize;
pub mod report;
pub mod secret_stores;
pub mod stream;
pub mod terraform;
pub mod yaml;

use std::collections::BTreeMap;

/// A generated repository: relative path → content, in sorted order.
pub type Tree = BTreeMap<String, String>;
