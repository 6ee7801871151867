//! The local identity provider (npm `oidc-provider`, started by `scripts/local_idp.mjs`),
//! one process per test that needs one, driven like a person with a browser would: plain
//! HTTP with cookies, its development login and consent forms.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{Value, json};

pub struct LocalIdp {
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for LocalIdp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client that keeps cookies and does not follow redirects: each hop is looked at.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// Where a redirect answer points (relative locations resolved).
pub fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "expected a redirect, got {}", response.status());
    let target = response.headers()[reqwest::header::LOCATION].to_str().unwrap();
    response.url().join(target).unwrap().to_string()
}

/// A query parameter of a URL.
pub fn param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

impl LocalIdp {
    pub async fn start() -> Self {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let modules = std::env::var("LOCAL_IDP_MODULES").unwrap_or_else(|_| root.join(".idp").display().to_string());
        assert!(
            std::path::Path::new(&modules).join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed in {modules}: run the tests with scripts/test.sh"
        );
        let mut child = Command::new("node")
            .arg(root.join("scripts/local_idp.mjs"))
            .env("LOCAL_IDP_MODULES", &modules)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the local identity provider");
        let mut line = String::new();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        output.read_line(&mut line).expect("the identity provider starts");
        // Keep reading what it prints: a closed pipe would end it at its next warning.
        std::thread::spawn(move || output.lines().for_each(drop));
        let issuer =
            line.trim().strip_prefix("LOCAL_IDP ").unwrap_or_else(|| panic!("unexpected output {line:?}")).to_string();
        Self { issuer, child, http: reqwest::Client::new() }
    }

    /// Registers a client that may be sent back to `redirect_uri`: (id, secret).
    pub async fn register_client(&self, redirect_uri: &str) -> (String, String) {
        let body = json!({ "redirect_uris": [redirect_uri] });
        let response = self.http.post(format!("{}/__clients", self.issuer)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let client: Value = response.json().await.unwrap();
        (client["client_id"].as_str().unwrap().into(), client["client_secret"].as_str().unwrap().into())
    }

    /// Sets the claims of the person who signs in as `login`.
    pub async fn set_account(&self, login: &str, claims: Value) {
        let url = format!("{}/__accounts/{login}", self.issuer);
        let response = self.http.put(url).json(&claims).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }

    /// Makes the provider sign with a new key (the old one stays published).
    pub async fn rotate_keys(&self) -> String {
        let response = self.http.post(format!("{}/__rotate", self.issuer)).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        body["kid"].as_str().unwrap().to_string()
    }

    /// Signs `login` in at the provider, starting from its authorization URL, through the
    /// login and consent forms; returns where the provider sends the browser back.
    pub async fn sign_in(&self, browser: &reqwest::Client, authorization_url: &str, login: &str) -> String {
        let mut url = authorization_url.to_string();
        for _ in 0..8 {
            if !url.starts_with(&self.issuer) {
                return url;
            }
            if let Some(uid) = url.strip_prefix(&format!("{}/interaction/", self.issuer)) {
                let page = browser.get(&url).send().await.unwrap().text().await.unwrap();
                let prompt = if page.contains("name=\"prompt\" value=\"login\"") { "login" } else { "consent" };
                let form = [("prompt", prompt), ("login", login), ("password", "any")];
                let submit = format!("{}/interaction/{uid}", self.issuer);
                url = location(&browser.post(submit).form(&form).send().await.unwrap());
            } else {
                let response = browser.get(&url).send().await.unwrap();
                if !response.status().is_redirection() {
                    panic!("{url}: {}", response.text().await.unwrap());
                }
                url = location(&response);
            }
        }
        panic!("the sign-in at the identity provider did not finish");
    }

    /// An ID token straight from the provider for `client` (the test as a relying party).
    pub async fn id_token(&self, client: (&str, &str), redirect_uri: &str, login: &str, nonce: &str) -> String {
        let verifier = "a-verifier-of-at-least-forty-three-characters-long";
        let challenge = agentctl_shared::domain::identity::signin::s256(verifier);
        let mut url = reqwest::Url::parse(&format!("{}/auth", self.issuer)).unwrap();
        url.query_pairs_mut().extend_pairs([
            ("client_id", client.0),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", "openid email"),
            ("state", "s"),
            ("nonce", nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let back = self.sign_in(&browser(), url.as_str(), login).await;
        let code = param(&back, "code").expect("a code");
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ];
        let response = self
            .http
            .post(format!("{}/token", self.issuer))
            .basic_auth(client.0, Some(client.1))
            .form(&form)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["id_token"].as_str().unwrap_or_else(|| panic!("no id_token: {body}")).to_string()
    }
}
