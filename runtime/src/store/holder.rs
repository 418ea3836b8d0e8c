//! Who holds a database file: on Linux, the process whose lock on it `/proc/locks`
//! lists, for the message of `Error::AlreadyOpen`. Elsewhere nobody is named.

use std::path::Path;

/// The process that holds a lock on the file at `path`, as `process 123 (name)`, where
/// the system says.
pub(crate) fn holder(path: &Path) -> Option<String> {
    let pid = holder_pid(path)?;
    let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok();
    Some(match name {
        Some(name) => format!("process {pid} ({})", name.trim()),
        None => format!("process {pid}"),
    })
}

#[cfg(target_os = "linux")]
fn holder_pid(path: &Path) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let metadata = std::fs::metadata(path).ok()?;
    let dev = metadata.dev();
    // glibc's `major` and `minor`.
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & 0xffff_f000);
    let minor = (dev & 0xff) | ((dev >> 12) & 0xffff_ff00);
    let file = format!("{major:02x}:{minor:02x}:{}", metadata.ino());
    locks_holding(&std::fs::read_to_string("/proc/locks").ok()?, &file)
}

#[cfg(not(target_os = "linux"))]
fn holder_pid(_: &Path) -> Option<u32> {
    None
}

/// The first process in `locks` (the text of `/proc/locks`) that locks `file`
/// (`major:minor:inode`). Open file description locks list no process (`-1`), but redb
/// takes a `flock` beside them, which does.
fn locks_holding(locks: &str, file: &str) -> Option<u32> {
    locks.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        // `1: FLOCK  ADVISORY  WRITE 17244 fe:00:10011108 0 EOF`
        let at = fields.iter().position(|field| *field == file)?;
        fields.get(at.checked_sub(1)?)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::locks_holding;

    #[test]
    fn the_holder_is_the_first_lock_of_the_file_that_names_a_process() {
        let locks = "1: OFDLCK ADVISORY  WRITE -1 fe:00:10011108 0 4611686018427388799\n\
                     2: POSIX  ADVISORY  WRITE 99 fe:00:777 0 EOF\n\
                     3: FLOCK  ADVISORY  WRITE 17244 fe:00:10011108 0 EOF\n";
        assert_eq!(locks_holding(locks, "fe:00:10011108"), Some(17244));
        assert_eq!(locks_holding(locks, "fe:00:777"), Some(99));
        assert_eq!(locks_holding(locks, "fe:00:1"), None);
    }
}
