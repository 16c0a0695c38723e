//! The models the stages hand each other: the ECS side as read (`ecs`, `elbv2`, `iam`, `aws`,
//! with the complete field lists in `fields`), what `import` hands on (`read`), the Kubernetes
//! objects (`k8s`) and what translation makes of the inputs (`target`).

pub mod aws;
pub mod ecs;
pub mod elbv2;
pub mod fields;
pub mod iam;
pub mod k8s;
pub mod names;
pub mod read;
pub mod target;
