//! Errors that stop a run. Row-level problems are not errors: they become rejects (see
//! [`crate::ingest::RejectReason`]) and are counted.

use std::path::PathBuf;

/// A structural problem: bad config, missing or unreadable file, missing mapped column.
/// Every variant names the file, and the key or column where there is one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The config file does not parse or describes something impossible.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },

    /// A file could not be opened or read.
    #[error("{path}: {reason}")]
    Io {
        path: PathBuf,
        /// Shown in the message rather than chained, so it is printed once.
        reason: std::io::Error,
    },

    /// A source's path or glob matched no file.
    #[error("source \"{source_name}\": no file matches {pattern}")]
    NoFiles {
        source_name: String,
        pattern: String,
    },

    /// A column named in the config is not in the file.
    #[error(
        "{file}: source \"{source_name}\": column \"{column}\"{mapped_by} is not in the file; columns found: {available}",
        mapped_by = mapped_by(key)
    )]
    MissingColumn {
        file: PathBuf,
        source_name: String,
        column: String,
        key: String,
        available: String,
    },

    /// A file is not valid for its format as a whole (not a row problem).
    #[error("{file}: {message}")]
    Format { file: PathBuf, message: String },

    /// Writing an output failed.
    #[error("cannot write {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// " (mapped by `key`)", or nothing for the fixed columns of a path table, map or spend file.
fn mapped_by(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!(" (mapped by `{key}`)")
    }
}

/// Result type of the library's stages.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, reason: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            reason,
        }
    }

    pub(crate) fn format(file: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Error::Format {
            file: file.into(),
            message: message.to_string(),
        }
    }

    pub(crate) fn write(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Error::Write {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
