//! Requests agentctl makes to addresses its customers chose (identity providers,
//! webhooks): one HTTP client that refuses redirects and — unless the deployment allows
//! private networks (the local stack) — addresses that are not public (loopback,
//! private, link-local such as the instance metadata service), both for IP literals
//! ([`Outbound::check_url`]) and for names as they resolve (the resolver is ours), so a
//! URL an admin enters cannot reach inside the network.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// Why a URL is not one agentctl will call.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RefusedUrl(pub String);

/// The guarded client: built once per process.
#[derive(Clone)]
pub struct Outbound {
    pub http: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private: bool, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .user_agent("agentctl")
            .build()
            .expect("the HTTP client builds");
        Self { http, allow_private }
    }

    /// Whether private networks (and plain http) are allowed: the local stack only.
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }

    /// Refuses URLs agentctl must not call: not https (http only where private networks
    /// are allowed), with credentials, or naming a non-public IP address.
    pub fn check_url(&self, raw: &str) -> Result<url::Url, RefusedUrl> {
        let url = url::Url::parse(raw).map_err(|_| RefusedUrl(format!("{raw:?} is not a URL")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_private => {}
            _ => return Err(RefusedUrl("must be an https URL".into())),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RefusedUrl("must not carry credentials".into()));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(url::Host::Domain(_)) => None,
            None => return Err(RefusedUrl("must name a host".into())),
        };
        if ip.is_some_and(|ip| !self.allow_private && !is_public(ip)) {
            return Err(RefusedUrl("must not name a private or local address".into()));
        }
        Ok(url)
    }
}

/// Public unicast addresses only: not loopback, private, link-local (cloud metadata),
/// shared, documentation, multicast or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || first == 0x2001 && v6.segments()[1] == 0x0db8)
            }
        },
    }
}

/// The resolver of the relying party's HTTP client: names resolve as usual, then
/// non-public addresses are dropped (unless allowed), so DNS cannot point us inside.
struct PublicOnly {
    allow_private: bool,
}

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> =
                found.into_iter().filter(|addr| allow_private || is_public(addr.ip())).collect();
            if usable.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(usable.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// A failed request with its causes (the URLs called carry no secrets).
pub fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn urls_are_checked() {
        let strict = Outbound::new(false, Duration::ZERO);
        assert!(strict.check_url("https://login.example.com/tenant").is_ok());
        for refused in [
            "http://login.example.com",
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://169.254.169.254/latest",
            "https://user:pw@login.example.com",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(strict.check_url(refused).is_err(), "{refused}");
        }
        let local = Outbound::new(true, Duration::ZERO);
        assert!(local.check_url("http://127.0.0.1:8080").is_ok());
    }
}
