//! `agentctl service install | uninstall | status`: a per-user scheduled `agentctl sync`,
//! with the scheduler each OS has for it:
//!
//! - Linux: a systemd user timer (`~/.config/systemd/user/agentctl-sync.{service,timer}`),
//!   the jitter its own `RandomizedDelaySec`;
//! - macOS: a launchd agent (`~/Library/LaunchAgents/com.agentctl.sync.plist`,
//!   `StartInterval`), which has no jitter: `sync --jitter` waits instead;
//! - Windows: a Task Scheduler task (`agentctl sync`, every N minutes while the user is
//!   signed in), also with `sync --jitter`.
//!
//! A scheduled sync is an ordinary one: a 304 when nothing changed on the server, and the
//! files reconciled with the last bundle all the same. The files written are plain
//! functions of the OS, paths and schedule ([`plan`]), tested as text.

use std::path::{Path, PathBuf};

use crate::api::CliError;
use crate::files;
use crate::platform::Os;

pub const SYSTEMD_SERVICE: &str = "agentctl-sync.service";
pub const SYSTEMD_TIMER: &str = "agentctl-sync.timer";
pub const LAUNCHD_LABEL: &str = "com.agentctl.sync";
pub const TASK_NAME: &str = "agentctl sync";

/// How often, and how much each run may be moved at random (so a fleet's machines do
/// not all ask the server at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub every_minutes: u32,
}

impl Schedule {
    pub const MIN_MINUTES: u32 = 5;
    pub const MAX_MINUTES: u32 = 24 * 60;

    pub fn new(every_minutes: u32) -> Result<Self, CliError> {
        if !(Self::MIN_MINUTES..=Self::MAX_MINUTES).contains(&every_minutes) {
            return Err(CliError::Usage(format!(
                "--every must be {} to {} minutes",
                Self::MIN_MINUTES,
                Self::MAX_MINUTES
            )));
        }
        Ok(Self { every_minutes })
    }

    /// A fifth of the interval, at most 5 minutes.
    pub fn jitter_seconds(self) -> u32 {
        (self.every_minutes * 60 / 5).min(300)
    }
}

/// A file the scheduler reads, and the commands that make it take effect.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub files: Vec<(PathBuf, String)>,
    /// Run after writing the files (`install`); each a program and its arguments.
    pub start: Vec<Vec<String>>,
    /// Run before removing them (`uninstall`); failures are ignored (not loaded).
    pub stop: Vec<Vec<String>>,
}

fn args(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| p.to_string()).collect()
}

/// A systemd `ExecStart=` word: quoted when it holds a space or a quote.
fn systemd_word(word: &str) -> String {
    if word.contains([' ', '"', '\\', '\'']) {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        word.to_string()
    }
}

fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// What `install` writes and runs on `os` for the user whose home is `home`, running the
/// agentctl at `exe`. `uid` names the user's launchd domain on macOS.
pub fn plan(os: Os, home: &Path, exe: &Path, schedule: Schedule, uid: &str) -> Plan {
    let exe_text = exe.display().to_string();
    let jitter = schedule.jitter_seconds().to_string();
    match os {
        Os::Linux => {
            let dir = home.join(".config/systemd/user");
            let service = format!(
                "[Unit]\n\
                 Description=agentctl sync: your managed agent tools' configuration\n\
                 \n\
                 [Service]\n\
                 Type=oneshot\n\
                 ExecStart={} sync\n",
                systemd_word(&exe_text)
            );
            let timer = format!(
                "[Unit]\n\
                 Description=agentctl sync every {every} minutes\n\
                 \n\
                 [Timer]\n\
                 OnBootSec=2min\n\
                 OnUnitActiveSec={every}min\n\
                 RandomizedDelaySec={jitter}s\n\
                 Unit={SYSTEMD_SERVICE}\n\
                 \n\
                 [Install]\n\
                 WantedBy=timers.target\n",
                every = schedule.every_minutes,
            );
            Plan {
                files: vec![(dir.join(SYSTEMD_SERVICE), service), (dir.join(SYSTEMD_TIMER), timer)],
                start: vec![
                    args(&["systemctl", "--user", "daemon-reload"]),
                    args(&["systemctl", "--user", "enable", "--now", SYSTEMD_TIMER]),
                ],
                stop: vec![args(&["systemctl", "--user", "disable", "--now", SYSTEMD_TIMER])],
            }
        }
        Os::Macos => {
            let path = home.join(format!("Library/LaunchAgents/{LAUNCHD_LABEL}.plist"));
            let log = home.join("Library/Logs/agentctl-sync.log").display().to_string();
            let plist = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
                 <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
                 <plist version=\"1.0\">\n\
                 <dict>\n\
                 \x20 <key>Label</key><string>{LAUNCHD_LABEL}</string>\n\
                 \x20 <key>ProgramArguments</key>\n\
                 \x20 <array><string>{}</string><string>sync</string><string>--jitter</string><string>{jitter}</string></array>\n\
                 \x20 <key>StartInterval</key><integer>{}</integer>\n\
                 \x20 <key>RunAtLoad</key><true/>\n\
                 \x20 <key>ProcessType</key><string>Background</string>\n\
                 \x20 <key>StandardOutPath</key><string>{log}</string>\n\
                 \x20 <key>StandardErrorPath</key><string>{log}</string>\n\
                 </dict>\n\
                 </plist>\n",
                xml_text(&exe_text),
                schedule.every_minutes * 60,
                log = xml_text(&log),
            );
            let domain = format!("gui/{uid}");
            let plist_path = path.display().to_string();
            Plan {
                files: vec![(path, plist)],
                start: vec![
                    args(&["launchctl", "bootout", &format!("{domain}/{LAUNCHD_LABEL}")]),
                    args(&["launchctl", "bootstrap", &domain, &plist_path]),
                ],
                stop: vec![args(&["launchctl", "bootout", &format!("{domain}/{LAUNCHD_LABEL}")])],
            }
        }
        Os::Windows => {
            let command = format!("\"{exe_text}\" sync --jitter {jitter}");
            let every = schedule.every_minutes.to_string();
            Plan {
                files: vec![],
                start: vec![args(&[
                    "schtasks", "/Create", "/TN", TASK_NAME, "/SC", "MINUTE", "/MO", &every, "/TR", &command, "/F",
                ])],
                stop: vec![args(&["schtasks", "/Delete", "/TN", TASK_NAME, "/F"])],
            }
        }
    }
}

fn run(command: &[String]) -> Result<(), String> {
    let output = std::process::Command::new(&command[0])
        .args(&command[1..])
        .output()
        .map_err(|e| format!("{}: {e}", command[0]))?;
    if output.status.success() {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&output.stderr);
        Err(format!("`{}` failed: {}", command.join(" "), said.trim()))
    }
}

fn current_plan(schedule: Schedule) -> Result<Plan, CliError> {
    let exe = std::env::current_exe().map_err(|e| CliError::Io { path: "agentctl".into(), reason: e.to_string() })?;
    let uid = if Os::CURRENT == Os::Macos {
        let out = std::process::Command::new("id").arg("-u").output();
        out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
    } else {
        String::new()
    };
    Ok(plan(Os::CURRENT, &files::home()?, &exe, schedule, &uid))
}

/// What `install` and `uninstall` did, and what is left for the user to do.
pub struct Done {
    pub files: Vec<PathBuf>,
    /// Why the scheduler was not told (not started: `--no-start`, or its command failed).
    pub not_started: Option<String>,
    /// The commands that would have started it.
    pub start: Vec<String>,
}

/// Writes the scheduler's files and (unless `start` is false: device-management images,
/// tests) has the scheduler load them.
pub fn install(schedule: Schedule, start: bool) -> Result<Done, CliError> {
    let plan = current_plan(schedule)?;
    for (path, text) in &plan.files {
        files::write(path, text, false, false)?;
    }
    let commands: Vec<String> = plan.start.iter().map(|c| c.join(" ")).collect();
    let not_started = if !start {
        Some("--no-start".to_string())
    } else {
        // `bootout` of an agent not loaded yet fails: only the last command must succeed.
        let (last, first) = plan.start.split_last().expect("a start command");
        first.iter().for_each(|c| drop(run(c)));
        run(last).err()
    };
    Ok(Done { files: plan.files.into_iter().map(|(p, _)| p).collect(), not_started, start: commands })
}

/// Stops the schedule and removes its files.
pub fn uninstall() -> Result<Done, CliError> {
    let plan = current_plan(Schedule { every_minutes: 30 })?;
    let stopped = plan.stop.iter().map(|c| run(c)).find_map(Result::err);
    let mut removed = Vec::new();
    for (path, _) in plan.files {
        if path.exists() {
            files::remove(&path)?;
            removed.push(path);
        }
    }
    Ok(Done { files: removed, not_started: stopped, start: vec![] })
}

/// Whether a schedule is installed here: its files (or, on Windows, the task) exist.
pub struct Installed {
    pub files: Vec<PathBuf>,
    pub installed: bool,
    /// Every how many minutes, as the files say.
    pub every_minutes: Option<u32>,
}

pub fn status() -> Result<Installed, CliError> {
    let plan = current_plan(Schedule { every_minutes: 30 })?;
    if Os::CURRENT == Os::Windows {
        let found = run(&args(&["schtasks", "/Query", "/TN", TASK_NAME])).is_ok();
        return Ok(Installed { files: vec![], installed: found, every_minutes: None });
    }
    let present: Vec<PathBuf> = plan.files.iter().map(|(p, _)| p.clone()).filter(|p| p.exists()).collect();
    let every_minutes = present.iter().find_map(|path| {
        let text = files::read(path).ok()??;
        text.lines()
            .find_map(|line| {
                let value = line.strip_prefix("OnUnitActiveSec=")?.strip_suffix("min")?;
                value.parse().ok()
            })
            .or_else(|| {
                let seconds = text.split("<key>StartInterval</key><integer>").nth(1)?.split('<').next()?;
                seconds.parse::<u32>().ok().map(|s| s / 60)
            })
    });
    Ok(Installed { installed: present.len() == plan.files.len(), files: present, every_minutes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(os: Os) -> Plan {
        plan(os, Path::new("/home/dev"), Path::new("/opt/agent ctl/agentctl"), Schedule::new(30).unwrap(), "501")
    }

    #[test]
    fn linux_gets_a_systemd_user_timer_with_its_own_jitter() {
        let plan = planned(Os::Linux);
        let (service, timer) = (&plan.files[0], &plan.files[1]);
        assert_eq!(service.0, Path::new("/home/dev/.config/systemd/user/agentctl-sync.service"));
        assert!(service.1.contains("ExecStart=\"/opt/agent ctl/agentctl\" sync\n"), "{}", service.1);
        assert!(service.1.contains("Type=oneshot"));
        assert!(timer.1.contains("OnUnitActiveSec=30min\n") && timer.1.contains("RandomizedDelaySec=300s\n"));
        assert_eq!(plan.start[1], ["systemctl", "--user", "enable", "--now", "agentctl-sync.timer"]);
    }

    #[test]
    fn macos_gets_a_launchd_agent_that_waits_its_jitter_itself() {
        let plan = planned(Os::Macos);
        let (path, plist) = &plan.files[0];
        assert_eq!(path, Path::new("/home/dev/Library/LaunchAgents/com.agentctl.sync.plist"));
        assert!(plist.contains(
            "<string>/opt/agent ctl/agentctl</string><string>sync</string><string>--jitter</string><string>300</string>"
        ));
        assert!(plist.contains("<key>StartInterval</key><integer>1800</integer>"));
        assert_eq!(
            plan.start[1],
            ["launchctl", "bootstrap", "gui/501", "/home/dev/Library/LaunchAgents/com.agentctl.sync.plist"]
        );
    }

    #[test]
    fn windows_gets_a_scheduled_task() {
        let plan = planned(Os::Windows);
        assert!(plan.files.is_empty());
        let create = &plan.start[0];
        assert_eq!(create[..4], ["schtasks", "/Create", "/TN", "agentctl sync"]);
        assert!(create.contains(&"\"/opt/agent ctl/agentctl\" sync --jitter 300".to_string()));
        assert_eq!(plan.stop[0], ["schtasks", "/Delete", "/TN", "agentctl sync", "/F"]);
    }

    #[test]
    fn schedules_are_bounded_and_jitter_is_a_fifth_up_to_five_minutes() {
        assert!(Schedule::new(4).is_err() && Schedule::new(1441).is_err());
        assert_eq!(Schedule::new(5).unwrap().jitter_seconds(), 60);
        assert_eq!(Schedule::new(600).unwrap().jitter_seconds(), 300);
    }
}
