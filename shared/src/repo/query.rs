//! What a Query reads: one partition of the table or of an index, by sort-key prefix or
//! range, filtered, in either order.

use super::Expr;
use crate::keys;

/// A Query over one partition of the table or of an index.
#[derive(Clone)]
pub struct QuerySpec {
    pub index: Option<&'static str>,
    pub pk_attr: &'static str,
    pub pk: String,
    pub sk_attr: &'static str,
    pub sk_prefix: Option<String>,
    /// Inclusive sort key range (instead of a prefix).
    pub sk_between: Option<(String, String)>,
    pub forward: bool,
    pub filter: Option<Expr>,
    /// A strongly consistent read (tables only: indexes are eventually consistent).
    pub consistent: bool,
}

impl QuerySpec {
    /// A query on the table's own keys, sort keys beginning with `prefix`.
    pub fn table(pk: String, prefix: &str) -> Self {
        Self {
            index: None,
            pk_attr: keys::PK,
            pk,
            sk_attr: keys::SK,
            sk_prefix: Some(prefix.to_string()),
            sk_between: None,
            forward: true,
            filter: None,
            consistent: false,
        }
    }

    /// A query on GSI1, sort keys beginning with `prefix`.
    pub fn gsi1(pk: String, prefix: &str) -> Self {
        Self { index: Some(keys::GSI1), pk_attr: keys::GSI1PK, sk_attr: keys::GSI1SK, ..Self::table(pk, prefix) }
    }

    /// A query on GSI2, sort keys beginning with `prefix`.
    pub fn gsi2(pk: String, prefix: &str) -> Self {
        Self { index: Some(keys::GSI2), pk_attr: keys::GSI2PK, sk_attr: keys::GSI2SK, ..Self::table(pk, prefix) }
    }

    /// A query on GSI3 (the ranking index), highest spend first.
    pub fn ranked(pk: String) -> Self {
        Self {
            index: Some(keys::GSI3),
            pk_attr: keys::GSI3PK,
            sk_attr: keys::GSI3SK,
            sk_prefix: None,
            forward: false,
            ..Self::table(pk, "")
        }
    }

    /// Newest first.
    pub fn backwards(mut self) -> Self {
        self.forward = false;
        self
    }

    pub fn consistent(mut self) -> Self {
        self.consistent = true;
        self
    }

    /// Sort keys between `from` and `to` (inclusive), newest first when `backwards`.
    pub fn between(mut self, from: String, to: String, backwards: bool) -> Self {
        self.sk_prefix = None;
        self.sk_between = Some((from, to));
        self.forward = !backwards;
        self
    }

    pub fn filter(mut self, filter: Option<Expr>) -> Self {
        self.filter = filter;
        self
    }
}
