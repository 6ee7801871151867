//! One module per console section; each handler is a page: extract, call the domain with
//! the signed-in caller, render.

pub mod activity;
pub mod approvals;
pub mod assignments;
pub mod catalog;
pub mod fleet;
pub mod login;
pub mod overview;
pub mod people;
pub mod policies;
pub mod settings;
pub mod teams;
pub mod usage;

/// What `read` answers when the caller is `allowed` it, else nothing (and nothing is read):
/// a page's parts a role may not see, in the one `try_join!` that reads them all together.
/// The read is boxed, as a page's parts are ([`part`]).
pub async fn when<T>(
    allowed: bool,
    read: impl Future<Output = agentctl_shared::Result<T>>,
) -> agentctl_shared::Result<Option<T>> {
    match allowed {
        true => Box::pin(read).await.map(Some),
        false => Ok(None),
    }
}

/// One part of a page read together with others, on the heap: joined, the parts' futures
/// would otherwise sit side by side on the stack of the task that renders the page.
pub fn part<T>(
    read: impl Future<Output = agentctl_shared::Result<T>>,
) -> std::pin::Pin<Box<impl Future<Output = agentctl_shared::Result<T>>>> {
    Box::pin(read)
}
