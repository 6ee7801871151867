//! One module per command family; each turns its command into an [`Output`].

pub mod admin;
pub mod mcp;
pub mod requests;
pub mod service;
pub mod session;
pub mod sync;

use crate::api::{Api, CliError};
use crate::output::Output;
use crate::session::Session;

/// The API as the signed-in session (renewed first when it expired).
async fn api() -> Result<Api, CliError> {
    Ok(Api::with(&Session::fresh().await?))
}

/// An id given on the command line, checked before it becomes part of a URL path.
fn id_arg<T: std::str::FromStr>(kind: &str, id: &str) -> Result<T, CliError> {
    id.parse().map_err(|_| CliError::Usage(format!("{id:?} is not a {kind} id (a UUID)")))
}

/// Whether a person is at the keyboard (standard input and error are a terminal).
fn at_a_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// A yes/no question on standard error; an empty answer is yes, no answer (end of input) no.
fn confirm(question: &str) -> bool {
    eprint!("{question}");
    let mut line = String::new();
    let answered = std::io::stdin().read_line(&mut line).is_ok_and(|read| read > 0);
    answered && matches!(line.trim().to_lowercase().as_str(), "" | "y" | "yes")
}

/// `agentctl telemetry headers`: the headers of the tools' telemetry exports.
pub fn telemetry_headers() -> Result<Output, CliError> {
    let headers = crate::telemetry::headers()?;
    Ok(Output::new(headers.to_string(), headers))
}
