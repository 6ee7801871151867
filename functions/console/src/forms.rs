//! Forms whose fields depend on what they edit (a policy type's rules, approval steps,
//! price rows): read as name-value pairs, in order.

use axum::Form;
use axum::extract::{FromRequest, Request};

/// A submitted form, read in order (list fields are one value each, lines inside). A
/// body that is no form reads as an empty one, which the domain then refuses field by
/// field.
#[derive(Default)]
pub struct Submitted(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Submitted {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> std::result::Result<Self, Self::Rejection> {
        let form = Form::<Vec<(String, String)>>::from_request(request, state).await;
        Ok(Submitted(form.map(|Form(fields)| fields).unwrap_or_default()))
    }
}

impl Submitted {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_string()
    }

    /// Every value sent under `name` (checkboxes).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}
