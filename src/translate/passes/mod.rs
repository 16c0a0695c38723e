//! What needs every app at once, each a function from values to values, in the order the driver
//! runs them:
//!
//! 1. before any app is converted: the apps and their jobs (`apps`), which service owns each
//!    shared ALB (`alb_ownership`), which task definition each scheduled run uses
//!    (`schedule_assignment`, both finding task definitions through `task_definitions`) and where
//!    each discovery name's traffic goes (`dns_directory`);
//! 2. as each app is converted: its ClusterSecretStores go to the pool (`store_sharing`) and
//!    what External Secrets Operator reads for it is grouped by account (`secret_access`);
//! 3. once every app is: the stores are shared (`store_sharing`), the IAM roles planned
//!    (`iam_plan`), what else crosses accounts gathered (`cross_account`: target group roles,
//!    ECR repository policies), and what the run says once about tenancy noted (`tenancy`).

pub mod alb_ownership;
pub mod apps;
pub mod cross_account;
pub mod dns_directory;
pub mod iam_plan;
pub mod schedule_assignment;
pub mod secret_access;
pub mod store_sharing;
pub mod task_definitions;
pub mod tenancy;
