//! The two models: the ECS side as read, the Kubernetes side as written.

pub mod aws;
pub mod ecs;
pub mod elbv2;
pub mod fields;
pub mod iam;
pub mod k8s;
pub mod secret_access;
