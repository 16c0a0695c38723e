//! IAM: a task role becomes the pods' ServiceAccount and an IAM role written as Terraform.
//!
//! An ECS task gets AWS credentials from its `taskRoleArn`; a pod gets them from its
//! ServiceAccount, through IRSA (an annotated ServiceAccount and a role trusting the cluster's
//! OIDC provider for exactly that namespace and ServiceAccount) or EKS Pod Identity (an
//! association, no annotation). `bindings` does the per-workload half (the ServiceAccount and
//! which role it gets); the IAM plan (`translate::passes::iam_plan`) then groups the workloads by
//! role, since one task role is often shared, and `roles` makes each role, with the findings of
//! `risk` about its permissions. The execution role is never given to pods (`placement` says so).

pub mod bindings;
mod risk;
pub mod roles;

#[cfg(test)]
mod tests;
