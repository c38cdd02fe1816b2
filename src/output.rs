//! Writing outputs atomically: into a temporary file beside the target, then renamed over
//! it, so an interrupted run never leaves a half-written file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use polars::prelude::*;

use crate::error::{Error, Result};

/// Error type of the closures given to [`write_atomic`].
pub type WriteError = Box<dyn std::error::Error + Send + Sync>;

/// Writes `path` through `fill`, atomically.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>) -> std::result::Result<(), WriteError>,
{
    if crate::files::is_input(path) {
        return Err(Error::write(
            path,
            "it is one of this run's inputs; refusing to overwrite it (choose another output path)",
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(Error::write(
            path,
            format!("the folder {} does not exist", dir.display()),
        ));
    }
    let tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::write(path, e))?;
    let mut writer = BufWriter::new(tmp.reopen().map_err(|e| Error::write(path, e))?);
    fill(&mut writer).map_err(|e| Error::write(path, e))?;
    writer.flush().map_err(|e| Error::write(path, e))?;
    drop(writer);
    // Temporary files are private (0600); an output keeps the mode of the file it replaces,
    // or gets the usual 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map(|m| m.permissions().mode())
            .unwrap_or(0o644);
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(mode))
            .map_err(|e| Error::write(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::write(path, e.error))?;
    Ok(())
}

/// Writes text to a file, atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |w| Ok(w.write_all(text.as_bytes())?))
}

/// Writes text to `path` (atomically) or, without one, to stdout.
pub fn emit_text(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => write_text(path, text),
        None => std::io::stdout()
            .lock()
            .write_all(text.as_bytes())
            .map_err(|e| Error::write("(stdout)", e)),
    }
}

/// Writes a frame as Parquet, atomically.
pub fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_atomic(path, |w| {
        ParquetWriter::new(w).finish(df)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_write_leaves_the_old_file_untouched() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out.csv");
        std::fs::write(&path, "old").expect("write");
        let err = write_atomic(&path, |w| {
            w.write_all(b"half")?;
            Err("interrupted".into())
        });
        assert!(err.is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "old");
        write_atomic(&path, |w| Ok(w.write_all(b"new")?)).expect("write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        let leftovers = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let fresh = dir.path().join("fresh.csv");
            write_atomic(&fresh, |w| Ok(w.write_all(b"x")?)).expect("write");
            let mode = std::fs::metadata(&fresh)
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(
                mode & 0o777,
                0o644,
                "outputs are readable, not private temp files"
            );
        }
    }
}
