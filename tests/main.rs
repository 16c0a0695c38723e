//! The integration tests, in one binary: each module is one area (samples, CLI, batch, IAM,
//! cross-account wiring, ingress, secrets, live import, corpus, README, library surface,
//! real-world task definitions). One binary links the AWS SDK once instead of once per file,
//! which keeps a fresh CI machine's disk and link time small.

mod common;

mod batch;
mod cli;
mod corpus;
mod cross_account;
mod iam;
mod ingress;
mod live_import;
mod network;
mod readme;
mod real_world;
mod samples;
mod secrets;
mod surface;
