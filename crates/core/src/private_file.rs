//! The one writer of private files (profiles, stored keys, exported HAR, the desktop app's
//! history and settings): readable by their owner only, and never seen half-written.
//!
//! [`write_private`] writes a temp file beside the target (mode 0600, created new), syncs it,
//! renames it over the target and syncs the directory; a failed write removes its temp file,
//! and the temp files of writers that died mid-write (they may hold a secret) are removed at
//! the next write into the same directory. [`create_private_dir`] makes a directory 0700.

use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` atomically with owner-only permissions (0600 on Unix): a temp file
/// in the same directory, fsync, rename over the target, fsync of the directory. The directory
/// must exist (see [`create_private_dir`]). A dead writer's temp file in that directory is
/// removed first.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_stale_temp_files(dir);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Creates `dir` and its parents, owner-only (0700 on Unix) for the directories it creates.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Whether a file name is one of [`write_private`]'s temp files, and the pid of its writer.
fn temp_file_pid(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(".tmp-")?;
    let (pid, rand) = tail.split_once('-')?;
    rand.chars().all(|c| c.is_ascii_digit()).then_some(())?;
    pid.parse().ok()
}

/// Removes the temp files of writers that died mid-write (they may hold a secret): those whose
/// process is gone, or, where that cannot be told, that are over an hour old.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_file_pid) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let proc_dir = Path::new("/proc");
        let gone = if proc_dir.is_dir() {
            !proc_dir.join(pid.to_string()).exists()
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age.as_secs() > 3600)
        };
        if gone {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_owner_only_and_replaces_without_leaving_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a.json");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let names: Vec<_> = fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn a_dead_writers_temp_file_is_removed_at_the_next_write() {
        let tmp = tempfile::tempdir().unwrap();
        // pid 4194304 is above Linux's pid_max: never a live process.
        let dead = tmp.path().join(".a.json.tmp-4194304-12345");
        let mine = tmp
            .path()
            .join(format!(".b.json.tmp-{}-777", std::process::id()));
        let unrelated = tmp.path().join(".notes.tmp");
        for f in [&dead, &mine, &unrelated] {
            fs::write(f, "x").unwrap();
        }
        write_private(&tmp.path().join("c.json"), b"{}").unwrap();
        if Path::new("/proc").is_dir() {
            assert!(!dead.exists());
        }
        assert!(mine.exists() && unrelated.exists());
        assert_eq!(temp_file_pid(".a.json.tmp-42-7"), Some(42));
        assert_eq!(temp_file_pid("a.json"), None);
    }

    #[cfg(unix)]
    #[test]
    fn private_dir_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("x/y");
        create_private_dir(&dir).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
}
