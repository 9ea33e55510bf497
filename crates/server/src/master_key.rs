//! Where the master key comes from: the configuration (`master_key` or
//! `master_key_file`), or `master.key` in the data directory, generated (mode
//! 0600) on first start.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use numgate_domain::secrets::MasterKey;

use crate::config::Config;

pub const FILE_NAME: &str = "master.key";

pub fn load_or_create(config: &Config) -> anyhow::Result<MasterKey> {
    if let Some(k) = &config.master_key {
        return MasterKey::from_base64(k).context("master_key in the configuration");
    }
    if let Some(f) = &config.master_key_file {
        let s = std::fs::read_to_string(f)
            .with_context(|| format!("reading master_key_file {}", f.display()))?;
        return MasterKey::from_base64(&s).with_context(|| format!("{}", f.display()));
    }
    load_or_create_file(&config.data_dir.join(FILE_NAME))
}

fn load_or_create_file(path: &Path) -> anyhow::Result<MasterKey> {
    match std::fs::read_to_string(path) {
        Ok(s) => {
            return MasterKey::from_base64(&s).with_context(|| format!("{}", path.display()));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    // Written to a temporary file first and linked into place, so that a process
    // starting at the same moment never reads a half-written key.
    let key = MasterKey::generate();
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{FILE_NAME}.{}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&tmp)
        .with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(key.to_base64().as_bytes())?;
    f.sync_all()?;
    drop(f);
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        // Another process (a CLI command, a second node) created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let s = std::fs::read_to_string(path)?;
            MasterKey::from_base64(&s).with_context(|| format!("{}", path.display()))
        }
        Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
    }
}
