//! Who uses the console: the session its cookie carries, decided by the authorizer's own
//! function (API Gateway sends the console's routes here without the authorizer), and
//! what a page answers when something fails.

use agentctl_shared::auth::Caller;
use agentctl_shared::domain::authorizer::{self, AuthError};
use agentctl_shared::http::cookies::{self, CONSOLE_COOKIE};
use agentctl_shared::http::problem;
use agentctl_shared::secrets;
use agentctl_shared::{AppState, Error};
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use crate::layout;

/// A signed-in employee and the CSRF token their pages carry.
pub struct Signed {
    pub caller: Caller,
    pub csrf: String,
}

impl Signed {
    /// The session's CSRF token if `token` is a live session's.
    pub async fn of(state: &AppState, token: &str) -> Result<Self, PageError> {
        match authorizer::session(state, token).await {
            Ok(caller) => Ok(Signed { caller, csrf: secrets::csrf_token(token) }),
            Err(AuthError::Store(e)) => Err(PageError::App(e.into())),
            Err(AuthError::Missing | AuthError::Denied(_)) => Err(PageError::SignIn),
        }
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let token = cookies::read(&parts.headers, CONSOLE_COOKIE).ok_or(PageError::SignIn)?;
        Signed::of(state, &token).await
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// No live session: to the sign-in page.
    SignIn,
    /// The domain refused or failed: its problem, as a page.
    App(Error),
}

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        PageError::App(e)
    }
}

impl From<agentctl_shared::auth::Forbidden> for PageError {
    fn from(e: agentctl_shared::auth::Forbidden) -> Self {
        PageError::App(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::SignIn => {
                let mut response = Redirect::to("/console/login").into_response();
                // A session that ended leaves no cookie behind.
                response.headers_mut().insert(header::SET_COOKIE, cookies::console_session(None, false));
                response
            }
            PageError::App(e) => {
                let problem = e.report();
                (problem::status(&problem), layout::problem_page(&problem)).into_response()
            }
        }
    }
}

/// What console handlers answer.
pub type PageResult<T = Response> = Result<T, PageError>;

/// Query parameters; unknown or malformed ones are a 400 page.
pub struct Params<T>(pub T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e| PageError::App(Error::BadRequest(e.body_text())))
    }
}
