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

/// Every range of IANA's IPv4 and IPv6 special-purpose address registries (RFC 6890
/// and its updates), besides multicast and the IPv4 broadcast and reserved blocks: none
/// is a place agentctl calls, globally reachable or not (NAT64 and 6to4 embed IPv4
/// addresses such as the instance metadata service; Teredo, ORCHID and the translation
/// prefixes likewise reach elsewhere).
const SPECIAL_PURPOSE: [&str; 38] = [
    // IPv4
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.31.196.0/24",
    "192.52.193.0/24",
    "192.88.99.0/24",
    "192.168.0.0/16",
    "192.175.48.0/24",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
    // IPv6 (IPv4-mapped addresses are judged by the IPv4 address they carry)
    "::/96",
    "::1/128",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/23",
    "2001::/32",
    "2001:2::/48",
    "2001:10::/28",
    "2001:20::/28",
    "2001:db8::/32",
    "2002::/16",
    "2620:4f:8000::/48",
    "3fff::/20",
    "5f00::/16",
    "fc00::/7",
    "fe80::/10",
    "fec0::/10",
    "ff00::/8",
    "::ffff:0:0/96",
];

static SPECIAL: std::sync::LazyLock<Vec<ipnet::IpNet>> = std::sync::LazyLock::new(|| {
    SPECIAL_PURPOSE.iter().map(|net| net.parse().expect("the table's networks parse")).collect()
});

/// Public unicast addresses only: none of the special-purpose ranges ([`SPECIAL_PURPOSE`]).
pub fn is_public(ip: IpAddr) -> bool {
    if let IpAddr::V6(v6) = ip
        && let Some(v4) = v6.to_ipv4_mapped()
    {
        return is_public(IpAddr::V4(v4));
    }
    !SPECIAL.iter().any(|net| net.contains(&ip))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        // One address of every special-purpose range, at its edges where they matter.
        let special = [
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "100.127.255.254",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.9",
            "192.0.2.1",
            "192.31.196.1",
            "192.52.193.1",
            "192.88.99.1",
            "192.168.1.1",
            "192.175.48.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::a9fe:a9fe",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::808:808",
            "64:ff9b:1::1",
            "100::1",
            "2001::1",
            "2001:0:4136:e378::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "2001:db8::1",
            "2002:a9fe:a9fe::1",
            "2620:4f:8000::1",
            "3fff::1",
            "5f00::1",
            "fc00::1",
            "fd00::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "feff::1",
            "ff02::1",
        ];
        for address in special {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
        let public = [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.0.3.1",
            "198.20.0.1",
            "223.255.255.255",
            "::ffff:8.8.8.8",
            "2606:4700:4700::1111",
            "2001:200::1",
            "2a00:1450::1",
        ];
        for address in public {
            assert!(is_public(address.parse().unwrap()), "{address}");
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
