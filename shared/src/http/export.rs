//! An export as an HTTP response: its content type, a download file name, and the body
//! streamed as the pages are read.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::domain::exports::Export;

impl IntoResponse for Export {
    fn into_response(self) -> Response {
        let disposition = format!("attachment; filename=\"{}\"", self.filename);
        // A failure after the first page can no longer become a problem: it is logged and
        // ends the body early, which the client sees as a broken transfer.
        let body =
            self.body.map(|chunk| chunk.inspect_err(|e| tracing::error!(error = %e, "an export failed part way")));
        (
            [
                (CONTENT_TYPE, self.format.content_type().to_string()),
                (CONTENT_DISPOSITION, disposition),
                (CACHE_CONTROL, "private, no-store".to_string()),
            ],
            Body::from_stream(body),
        )
            .into_response()
    }
}
