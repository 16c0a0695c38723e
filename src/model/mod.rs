//! The two models: the ECS side as read, the Kubernetes side as written.

pub mod aws;
pub mod ecs;
pub mod fields;
pub mod k8s;
