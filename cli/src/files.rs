//! Local files: where they are, and writing them safely (temporary file + rename, the
//! previous version kept as `<name>.agentctl-backup`). Private files are for their owner
//! alone: mode 0600 on Unix, on Windows an access list granting the owner only (nothing
//! inherited from the folder).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::api::CliError;

/// `$HOME`, else (Windows) `%USERPROFILE%`.
pub fn home() -> Result<PathBuf, CliError> {
    ["HOME", "USERPROFILE"]
        .iter()
        .find_map(|name| std::env::var_os(name).filter(|h| !h.is_empty()))
        .map(PathBuf::from)
        .ok_or_else(|| CliError::Io { path: "~".into(), reason: "HOME (or USERPROFILE) is not set".into() })
}

/// `$XDG_CONFIG_HOME/agentctl`, else `$HOME/.config/agentctl`.
pub fn config_dir() -> Result<PathBuf, CliError> {
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => home()?.join(".config"),
    };
    Ok(base.join("agentctl"))
}

/// Where `--system` writes: `/` (`C:\` on Windows), or `AGENTCTL_SYSTEM_ROOT` (a staging
/// directory for device management images, and for tests).
pub fn system_root() -> PathBuf {
    std::env::var_os("AGENTCTL_SYSTEM_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from(crate::platform::Os::CURRENT.system_root()), PathBuf::from)
}

pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
    move |e| CliError::Io { path: path.display().to_string(), reason: e.to_string() }
}

/// The file's text, `None` when it does not exist.
pub fn read(path: &Path) -> Result<Option<String>, CliError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(CliError::CorruptFile { path: path.display().to_string(), reason: "it is not UTF-8 text".into() })
        }
        Err(e) => Err(io(path)(e)),
    }
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".agentctl-backup");
    path.with_file_name(name)
}

/// Replaces `path` with `text` atomically (copying the old file to its backup first when
/// `backup`). Private files are 0600; others keep their mode (new ones 0644).
pub fn write(path: &Path, text: &str, private: bool, backup: bool) -> Result<(), CliError> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let existing = std::fs::metadata(path).ok();
    if backup && existing.is_some() {
        let backup = backup_path(path);
        std::fs::copy(path, &backup).map_err(io(&backup))?;
    }
    let temporary = dir.join(format!(".{}.agentctl-tmp", path.file_name().unwrap_or_default().to_string_lossy()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let mode = match (&existing, private) {
            (_, true) => 0o600,
            (Some(m), false) => m.permissions().mode() & 0o777,
            (None, false) => 0o644,
        };
        options.mode(mode);
        let mut file = options.open(&temporary).map_err(io(&temporary))?;
        // `mode` at creation is filtered by the umask; set it exactly.
        file.set_permissions(std::fs::Permissions::from_mode(mode)).map_err(io(&temporary))?;
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io(&temporary))?;
    }
    #[cfg(not(unix))]
    {
        let mut file = options.open(&temporary).map_err(io(&temporary))?;
        if private {
            // Before anything is written into it.
            owner_only(&temporary).map_err(io(&temporary))?;
        }
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(io(&temporary))?;
    }
    std::fs::rename(&temporary, path).map_err(io(path))
}

/// Windows: replaces the file's access list with one entry, full access for its owner,
/// protected from the entries its folder would pass on.
#[cfg(windows)]
fn owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Foundation::LocalFree;
    use windows_sys::Win32::Security::Authorization::{
        ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
    };
    use windows_sys::Win32::Security::{
        DACL_SECURITY_INFORMATION, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, SetFileSecurityW,
    };
    // SDDL: a protected DACL (`P`) allowing (`A`) file-all access (`FA`) to OWNER RIGHTS (`OW`).
    let sddl: Vec<u16> = "D:P(A;;FA;;;OW)".encode_utf16().chain([0]).collect();
    let file: Vec<u16> = path.as_os_str().encode_wide().chain([0]).collect();
    let mut descriptor: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: both strings are NUL-terminated UTF-16 that outlive the calls; the
    // descriptor the first call allocates is freed once, after its only use.
    unsafe {
        let parsed = ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            std::ptr::null_mut(),
        );
        if parsed == 0 {
            return Err(std::io::Error::last_os_error());
        }
        let set = SetFileSecurityW(
            file.as_ptr(),
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
            descriptor,
        );
        let error = std::io::Error::last_os_error();
        LocalFree(descriptor);
        if set == 0 {
            return Err(error);
        }
    }
    Ok(())
}

/// Elsewhere (neither Unix nor Windows) files keep what their folder gives them.
#[cfg(not(any(unix, windows)))]
fn owner_only(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// A new file (replacing any) only its owner may read, to write into as data arrives.
pub fn create_private(path: &Path) -> Result<std::fs::File, CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path).map_err(io(path))?;
        file.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io(path))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    {
        let file = options.open(path).map_err(io(path))?;
        owner_only(path).map_err(io(path))?;
        Ok(file)
    }
}

pub fn remove(path: &Path) -> Result<(), CliError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(path)(e)),
        _ => Ok(()),
    }
}

/// Holds an exclusive lock on `path` (created if needed) until dropped: agentctl
/// processes take turns at what must not run twice at once.
pub fn lock(path: &Path) -> Result<std::fs::File, CliError> {
    let dir = path.parent().expect("a file in a directory");
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(io(path))?;
    file.lock().map_err(io(path))?;
    Ok(file)
}
