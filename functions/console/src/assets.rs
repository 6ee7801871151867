//! The console's static files, embedded in the binary (no CDN): htmx 2.0.11 from npm
//! (`htmx.org`, Zero-Clause BSD, its licence beside it in `assets/`) and the stylesheet.

use agentctl_shared::Error;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

pub const HTMX: &str = "/console/assets/htmx-2.0.11.min.js";
pub const STYLESHEET: &str = "/console/assets/console.css";
pub const ICON: &str = "/console/assets/favicon.svg";

const FILES: [(&str, &str, &[u8]); 4] = [
    ("htmx-2.0.11.min.js", "text/javascript; charset=utf-8", include_bytes!("../assets/htmx-2.0.11.min.js")),
    ("htmx-LICENSE", "text/plain; charset=utf-8", include_bytes!("../assets/htmx-LICENSE")),
    ("console.css", "text/css; charset=utf-8", include_bytes!("../assets/console.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../assets/favicon.svg")),
];

/// `GET /console/assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some((_, content_type, body)) = FILES.iter().find(|(file, _, _)| *file == name) else {
        return Error::NotFound("asset").into_response();
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Versioned by name (htmx) or short-lived (the stylesheet changes with deployments).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
