//! Opening input files. Every input goes through [`open`], which checks that the path is a
//! file and remembers it, so that [`crate::output`] can refuse to write over an input.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Canonical paths of the files this process has read.
static INPUTS: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// Opens an input file, with a clear error for a missing path or a directory.
pub fn open(path: &Path) -> Result<File> {
    if path.is_dir() {
        return Err(Error::format(path, "is a directory, not a file"));
    }
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if let Ok(canonical) = path.canonicalize() {
        // A poisoned lock only means another thread panicked while inserting; the set is
        // still a valid set.
        INPUTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(canonical);
    }
    Ok(file)
}

/// Reads a whole text input (a config or a model spec).
pub fn read_to_string(path: &Path) -> Result<String> {
    std::io::read_to_string(open(path)?).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => Error::format(path, "is not valid UTF-8 text"),
        _ => Error::io(path, e),
    })
}

/// True when `path` names a file this process has read as an input.
pub fn is_input(path: &Path) -> bool {
    let Ok(canonical) = path.canonicalize() else {
        // A path that does not exist yet cannot be an input.
        return false;
    };
    INPUTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&canonical)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_inputs_through_other_spellings() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("in.csv");
        std::fs::write(&file, "a\n").expect("write");
        let other = dir.path().join("sub/../in.csv");
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        assert!(!is_input(&file));
        open(&file).expect("opens");
        assert!(is_input(&other));
        assert!(!is_input(&dir.path().join("out.csv")));
        assert!(matches!(open(dir.path()), Err(Error::Format { .. })));
        assert!(matches!(
            open(&dir.path().join("missing.csv")),
            Err(Error::Io { .. })
        ));
    }
}
