//! The few HTML pages of signing in (maud escapes every interpolated value).

use maud::{DOCTYPE, Markup, html};

fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · agentctl" }
                style { "body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;line-height:1.5}\
                         input{font:inherit;font-size:1.5rem;letter-spacing:.2em;text-transform:uppercase;width:100%}\
                         button{font:inherit;padding:.4rem 1rem;margin:.5rem .5rem 0 0}.error{color:#a00}" }
            }
            body {
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub fn message(title: &str, detail: &str) -> Markup {
    layout(title, html! { p { (detail) } })
}

/// Enter the code `agentctl login` shows, or confirm it when it came in the link.
pub fn device_form(user_code: Option<&str>, organization: Option<&str>, error: Option<&str>) -> Markup {
    let shown = user_code.map(|c| format!("{}-{}", &c[..4.min(c.len())], &c[4.min(c.len())..]));
    layout(
        "Sign in to agentctl",
        html! {
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            @match (&shown, organization) {
                (Some(code), Some(organization)) => {
                    p { "A terminal asks to sign in to " strong { (organization) } " as you." }
                    p { "Continue only if you started " code { "agentctl login" } " yourself and it shows this code:" }
                    p { strong style="font-size:1.5rem;letter-spacing:.2em" { (code) } }
                    form method="post" action="/v1/oauth/device" {
                        input type="hidden" name="user_code" value=(code);
                        button type="submit" name="action" value="approve" { "Continue to sign in" }
                        button type="submit" name="action" value="deny" { "This was not me" }
                    }
                }
                _ => {
                    form method="get" action="/v1/oauth/device" {
                        label for="user_code" { "The code your terminal shows" }
                        input id="user_code" name="user_code" autocomplete="off" autocapitalize="characters" spellcheck="false" required;
                        button type="submit" { "Next" }
                    }
                }
            }
        },
    )
}
