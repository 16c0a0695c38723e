//! Typed errors of the library: every one names its input.

use std::path::PathBuf;
use thiserror::Error;

/// Why one input (a file, or one object inside it) could not be read.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum InputError {
    #[error("{input}: cannot read: {message}")]
    Read { input: String, message: String },
    #[error("{input}: the file is empty")]
    Empty { input: String },
    #[error("{input}: not a text file (binary or not UTF-8)")]
    Binary { input: String },
    #[error("{input}:{line}:{column}: invalid JSON: {message}")]
    Syntax {
        input: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{input}: this is YAML, not the JSON the aws CLI prints: the inventory goes to --inventory, mappings to --mappings"
    )]
    Yaml { input: String },
    #[error("{input}: not an AWS output ecs2eks knows ({message})")]
    UnknownShape { input: String, message: String },
    #[error("{input}: at `{path}`: {message}")]
    Field {
        input: String,
        path: String,
        message: String,
    },
    #[error("{input}: {message}")]
    Unconvertible { input: String, message: String },
}

impl InputError {
    pub fn input(&self) -> &str {
        match self {
            InputError::Read { input, .. }
            | InputError::Empty { input }
            | InputError::Binary { input }
            | InputError::Yaml { input }
            | InputError::Syntax { input, .. }
            | InputError::UnknownShape { input, .. }
            | InputError::Field { input, .. }
            | InputError::Unconvertible { input, .. } => input,
        }
    }
}

/// Errors that stop a whole run before any input is converted.
#[derive(Debug, Error)]
pub enum Error {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error(
        "{path}: no *.json file in this folder: the inputs are the JSON the aws CLI prints (`ecs2eks convert --help` lists them)"
    )]
    NoInputs { path: PathBuf },
    #[error("{path}: {message}")]
    Output { path: PathBuf, message: String },
}
