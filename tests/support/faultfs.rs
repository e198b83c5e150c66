//! Disk faults on demand: `faultfs.c`, built here with the machine's C
//! compiler and loaded into the server with `LD_PRELOAD`, makes the store's
//! writes and syncs fail while a control file says so.

use std::path::PathBuf;
use std::process::Command;

use tempfile::TempDir;

/// A fault a disk can have.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// The file system is full (`ENOSPC`).
    Full,
    /// The file system went read-only (`EROFS`).
    ReadOnly,
    /// The device fails (`EIO`).
    Io,
}

impl Fault {
    fn file(self) -> &'static str {
        match self {
            Fault::Full => "enospc",
            Fault::ReadOnly => "erofs",
            Fault::Io => "eio",
        }
    }
}

/// The built library and its control directory.
pub struct Faults {
    dir: TempDir,
}

impl Faults {
    /// Builds the library (with `cc`, falling back to `gcc`).
    pub fn build() -> anyhow::Result<Faults> {
        let dir = tempfile::Builder::new()
            .prefix("draftroom-faultfs-")
            .tempdir()?;
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/faultfs.c");
        let out = dir.path().join("faultfs.so");
        let mut last = None;
        for cc in ["cc", "gcc"] {
            match Command::new(cc)
                .args(["-shared", "-fPIC", "-O2", "-o"])
                .arg(&out)
                .arg(&source)
                .arg("-ldl")
                .status()
            {
                Ok(s) if s.success() => return Ok(Faults { dir }),
                Ok(s) => last = Some(format!("{cc} exited with {s}")),
                Err(e) => last = Some(format!("{cc}: {e}")),
            }
        }
        anyhow::bail!("cannot build faultfs.so: {}", last.unwrap_or_default())
    }

    /// Environment for the server: preload the library, watch the control
    /// directory, fault only the store's files.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "LD_PRELOAD",
                self.dir.path().join("faultfs.so").display().to_string(),
            ),
            ("FAULTFS_CTL", self.dir.path().display().to_string()),
            ("FAULTFS_MATCH", "draftroom.sqlite3".to_string()),
        ]
    }

    /// Makes the store's writes fail with `fault`, after `allow` more
    /// writes have gone through.
    pub fn set(&self, fault: Fault, allow: u32) -> anyhow::Result<()> {
        std::fs::write(self.dir.path().join(fault.file()), allow.to_string())?;
        Ok(())
    }

    /// The disk is back.
    pub fn clear(&self) -> anyhow::Result<()> {
        for fault in [Fault::Full, Fault::ReadOnly, Fault::Io] {
            let path = self.dir.path().join(fault.file());
            if path.exists() {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }
}
