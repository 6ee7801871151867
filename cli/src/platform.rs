//! Where each client keeps its files, per operating system: one table per OS.
//!
//! User-tier paths are relative to the home directory (`%USERPROFILE%` on Windows),
//! admin-tier paths relative to the system root (`/`, or `C:\` on Windows;
//! `AGENTCTL_SYSTEM_ROOT` moves it for device-management images and tests). Read off the
//! pinned clients themselves where they say (Claude Code's and Gemini CLI's managed
//! locations) and docs/CLI.md lists them.

/// An operating system agentctl writes client files for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

impl Os {
    /// The OS this agentctl was built for.
    pub const CURRENT: Os = if cfg!(target_os = "macos") {
        Os::Macos
    } else if cfg!(windows) {
        Os::Windows
    } else {
        Os::Linux
    };

    /// Where the admin tier lives when `AGENTCTL_SYSTEM_ROOT` does not say.
    pub fn system_root(self) -> &'static str {
        match self {
            Os::Windows => "C:\\",
            Os::Linux | Os::Macos => "/",
        }
    }

    pub fn paths(self) -> &'static Paths {
        match self {
            Os::Linux => &LINUX,
            Os::Macos => &MACOS,
            Os::Windows => &WINDOWS,
        }
    }
}

/// One OS's locations (`/`-separated; joined component by component).
#[derive(Debug)]
pub struct Paths {
    /// VS Code's user `mcp.json`, from the home directory.
    pub vscode_user_mcp: &'static str,
    /// Claude Code's managed-settings directory (`managed-settings.d/`, `managed-mcp.json`).
    pub claude_managed_dir: &'static str,
    /// Gemini CLI's system settings file.
    pub gemini_system_settings: &'static str,
    /// Codex's requirements file; `None` where its location is not known.
    pub codex_requirements: Option<&'static str>,
}

/// The files every OS keeps in the same place under the home directory.
pub const CLAUDE_USER_STATE: &str = ".claude.json";
pub const CLAUDE_USER_SETTINGS: &str = ".claude/settings.json";
pub const CURSOR_USER_MCP: &str = ".cursor/mcp.json";
pub const WINDSURF_USER_MCP: &str = ".codeium/windsurf/mcp_config.json";
pub const GEMINI_USER_SETTINGS: &str = ".gemini/settings.json";
pub const CODEX_USER_CONFIG: &str = ".codex/config.toml";
/// Environment variables Codex loads at start (it filters out `CODEX_*` ones).
pub const CODEX_USER_ENV: &str = ".codex/.env";
/// Environment variables Gemini CLI loads when the project has no `.env` of its own.
pub const GEMINI_USER_ENV: &str = ".gemini/.env";

const LINUX: Paths = Paths {
    vscode_user_mcp: ".config/Code/User/mcp.json",
    claude_managed_dir: "etc/claude-code",
    gemini_system_settings: "etc/gemini-cli/settings.json",
    codex_requirements: Some("etc/codex/requirements.toml"),
};

const MACOS: Paths = Paths {
    vscode_user_mcp: "Library/Application Support/Code/User/mcp.json",
    claude_managed_dir: "Library/Application Support/ClaudeCode",
    gemini_system_settings: "Library/Application Support/GeminiCli/settings.json",
    codex_requirements: Some("etc/codex/requirements.toml"),
};

/// `%APPDATA%` is `AppData\Roaming` under the profile unless redirected.
const WINDOWS: Paths = Paths {
    vscode_user_mcp: "AppData/Roaming/Code/User/mcp.json",
    claude_managed_dir: "Program Files/ClaudeCode",
    gemini_system_settings: "ProgramData/gemini-cli/settings.json",
    codex_requirements: None,
};

/// `base` joined with a `/`-separated relative path, one component at a time (so the OS's
/// own separator is used).
pub fn join(base: &std::path::Path, relative: &str) -> std::path::PathBuf {
    relative.split('/').fold(base.to_path_buf(), |path, part| path.join(part))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn each_os_has_its_own_locations() {
        let home = Path::new("/home/probe");
        assert_eq!(join(home, Os::Linux.paths().vscode_user_mcp), home.join(".config/Code/User/mcp.json"));
        assert_eq!(
            join(home, Os::Macos.paths().vscode_user_mcp),
            home.join("Library").join("Application Support").join("Code").join("User").join("mcp.json")
        );
        assert_eq!(join(home, Os::Windows.paths().vscode_user_mcp), home.join("AppData/Roaming/Code/User/mcp.json"));
        let root = Path::new("/");
        assert_eq!(join(root, Os::Linux.paths().claude_managed_dir), Path::new("/etc/claude-code"));
        assert_eq!(
            join(root, Os::Macos.paths().claude_managed_dir),
            Path::new("/Library/Application Support/ClaudeCode")
        );
        assert_eq!(Os::Windows.paths().claude_managed_dir, "Program Files/ClaudeCode");
        assert_eq!(Os::Windows.system_root(), "C:\\");
        assert_eq!(Os::Macos.paths().gemini_system_settings, "Library/Application Support/GeminiCli/settings.json");
        assert_eq!(Os::Windows.paths().gemini_system_settings, "ProgramData/gemini-cli/settings.json");
        assert!(Os::Windows.paths().codex_requirements.is_none());
        assert_eq!(Os::CURRENT, Os::Linux, "the tests run on Linux");
    }
}
