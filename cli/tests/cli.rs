//! The built `agentctl` binary against the whole app (emulator included), with a
//! temporary HOME.

use std::path::{Path, PathBuf};
use std::process::Output;

use agentctl_tests::{TestApp, slug};

struct Home(PathBuf);

impl Home {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("agentctl-home-{}", slug("h")));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn session_file(&self) -> PathBuf {
        self.0.join(".config/agentctl/session.json")
    }

    /// Runs `agentctl args...` with this HOME (off the test's runtime thread: the app
    /// answers on it).
    async fn run(&self, args: &[&str]) -> Output {
        let (home, args): (PathBuf, Vec<String>) = (self.0.clone(), args.iter().map(|a| a.to_string()).collect());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_agentctl"))
                .args(&args)
                .env("HOME", &home)
                .env_remove("XDG_CONFIG_HOME")
                .output()
                .expect("agentctl runs")
        })
        .await
        .unwrap()
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn login_whoami_logout_with_clear_errors_and_exit_codes() {
    let app = TestApp::spawn().await;
    let org = app.create_org(&slug("cli")).await;
    let employee = app.add_employee(&org, "dev@cli.example", "member", None).await;
    let code = app.issue_code(&org, employee["id"].as_str().unwrap()).await;
    let home = Home::new();

    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(4), "not logged in yet: {}", text(&out.stderr));
    assert!(text(&out.stderr).contains("agentctl login"));

    let out = home.run(&["login", "--server", &app.url, "--code", "ace_not-a-real-code"]).await;
    assert_eq!(out.status.code(), Some(1), "a refused code: {}", text(&out.stderr));
    assert!(!home.session_file().exists());

    let out = home.run(&["login", "--server", &format!("{}/", app.url), "--code", &code]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Logged in as Employee dev@cli.example <dev@cli.example>, member of"), "{stdout}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(home.session_file()).unwrap()).unwrap();
    let token = stored["token"].as_str().unwrap();
    assert!(!stdout.contains(token), "the token is never printed");
    #[cfg(unix)]
    assert_eq!(mode(&home.session_file()), 0o600);

    let out = home.run(&["whoami", "--json"]).await;
    assert_eq!(out.status.code(), Some(0));
    let me: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(me["employee"]["email"], "dev@cli.example");

    let out = home.run(&["logout"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!home.session_file().exists());
    let (status, _) = app.get("/v1/me", token).await;
    assert_eq!(status, reqwest::StatusCode::FORBIDDEN, "the session ended on the server too");

    // A revoked session on disk: the user is told to log in again.
    std::fs::create_dir_all(home.session_file().parent().unwrap()).unwrap();
    std::fs::write(home.session_file(), serde_json::json!({ "server": app.url, "token": token }).to_string()).unwrap();
    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("expired or was revoked"), "{}", text(&out.stderr));

    // A corrupt session file is reported and left as it is.
    std::fs::write(home.session_file(), "{ not json").unwrap();
    let out = home.run(&["whoami"]).await;
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(std::fs::read_to_string(home.session_file()).unwrap(), "{ not json");

    // An unreachable server.
    let out = home.run(&["login", "--server", "http://127.0.0.1:9", "--code", "x"]).await;
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("cannot reach http://127.0.0.1:9"));
}
