//! The browser's cookies: the console's session and the sign-in's browser binding.

use axum::http::{HeaderMap, HeaderValue, header};

/// The console's session cookie: the session token, HttpOnly (no script reads it),
/// SameSite=Lax (sent on top-level navigations only, never on a cross-site POST), Secure
/// wherever the API is served over HTTPS.
pub const CONSOLE_COOKIE: &str = "agentctl_console";

/// `Set-Cookie` for the console session `token` (`None`: end it in the browser).
pub fn console_session(token: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = match token {
        Some(token) => format!("{CONSOLE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"),
        None => format!("{CONSOLE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"),
    };
    HeaderValue::from_str(&cookie).expect("session tokens are URL-safe base64")
}

/// The cookie that binds a sign-in at the identity provider to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "agentctl_signin";

/// `Set-Cookie` for a sign-in's browser binding: sent back to the callback only, for as
/// long as a sign-in lasts.
pub fn sign_in(binding: &str, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SIGN_IN_COOKIE}={binding}; Path=/v1/oauth; Max-Age=600; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

/// The value of cookie `name`, if the request carries it.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_string())
    })
}
