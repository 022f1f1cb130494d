//! Where a push may go. An endpoint is a URL a staff account hands over and the server then POSTs to, so it
//! must lead to a push service on the internet: never to us, our network, or a cloud's metadata service. It is
//! checked when a device subscribes (every address its name resolves to), and again at every send on the
//! addresses actually connected to: a name that resolved to a public address then may resolve to 10.0.0.1 now.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::{
    Url,
    dns::{Addrs, Name, Resolve, Resolving},
};

/// Why an endpoint is refused; `texts` says it in words the member who subscribed can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("not https")]
    NotHttps,
    #[error("not a public address")]
    NotPublic,
    #[error("the push service's address was not found")]
    NotFound,
}

/// A push service's URL, checked: https, no credentials, and a host that is not local, private or reserved
/// (what a name resolves to is checked by `resolve_public` and, when sending, by the push client's resolver).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushEndpoint {
    url: Url,
}

impl PushEndpoint {
    /// `loopback_http` lets plain http to a loopback IP literal through, and nothing else: it exists only for
    /// the test suite's own push service.
    pub fn parse(text: &str, loopback_http: bool) -> Result<PushEndpoint, EndpointError> {
        if text.len() > 1000 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EndpointError::NotHttps);
        }
        let url = Url::parse(text).map_err(|_| EndpointError::NotHttps)?;
        // Credentials in the URL would ride along to wherever it leads; a push service never hands any out.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(EndpointError::NotHttps);
        }
        let host = url.host_str().ok_or(EndpointError::NotHttps)?;
        let allowed = match (url.scheme(), literal(host)) {
            ("http", Some(ip)) if loopback_http && ip.is_loopback() => true,
            ("https", Some(ip)) => is_public(ip),
            ("https", None) => !is_local_name(host),
            _ => return Err(EndpointError::NotHttps),
        };
        if allowed { Ok(PushEndpoint { url }) } else { Err(EndpointError::NotPublic) }
    }

    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Every address the host's name resolves to must be public (a literal address was checked by `parse`).
    pub async fn resolve_public(&self) -> Result<(), EndpointError> {
        match self.url.host_str() {
            Some(name) if literal(name).is_none() => {
                public_addresses(name, self.url.port_or_known_default().unwrap_or(443)).await.map(drop)
            }
            _ => Ok(()),
        }
    }
}

/// The address an URL's host names literally. The URL parser has already turned every IPv4 spelling
/// (`127.1`, `0x7f000001`, `2130706433`) into dotted decimal, and IPv6 comes in brackets.
fn literal(host: &str) -> Option<IpAddr> {
    match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6),
        None => host.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
    }
}

/// Names that mean this machine or a local network whatever DNS says: `localhost` (RFC 6761), mDNS's
/// `.local`, the private-use `.internal` and `.home.arpa`, and a bare single label, which the resolver would
/// complete with the server's own search domain.
fn is_local_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    let local_zones = ["localhost", "localdomain", "local", "internal", "home.arpa"];
    !name.contains('.') || local_zones.iter().any(|zone| name == *zone || name.ends_with(&format!(".{zone}")))
}

/// The addresses `name` resolves to, all of them public, or why not. One non-public address refuses the name:
/// a name that mixes both is not a push service's.
async fn public_addresses(name: &str, port: u16) -> Result<Vec<SocketAddr>, EndpointError> {
    let addresses: Vec<SocketAddr> =
        tokio::net::lookup_host((name, port)).await.map_err(|_| EndpointError::NotFound)?.collect();
    if addresses.is_empty() {
        return Err(EndpointError::NotFound);
    }
    if addresses.iter().any(|a| !is_public(a.ip())) {
        return Err(EndpointError::NotPublic);
    }
    Ok(addresses)
}

/// The push client's resolver: the client connects only to addresses checked here, at the moment it connects.
/// An IP literal never comes here (the connector uses it as it is), which is why `PushEndpoint::parse` runs
/// again before every send.
pub(super) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            if is_local_name(name.as_str()) {
                return Err(EndpointError::NotPublic.into());
            }
            // Port 0: the client puts in the endpoint's own.
            let addresses = public_addresses(name.as_str(), 0).await?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Whether a push may go to `ip`: not us, not a private or shared network, not a cloud's metadata service, and
/// not a range set aside for documentation, benchmarks, multicast or later use. IPv6 is public only inside
/// global unicast (2000::/3), so unique-local, link-local, multicast and the IPv4-compatible `::a.b.c.d` are
/// not; a form that reaches an IPv4 address (mapped, NAT64, 6to4) is judged by that address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => match reaches_v4(ip) {
            Some(v4) => is_public_v4(v4),
            None => {
                within_v6(ip, (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3))
                    && !NOT_PUBLIC_V6.iter().any(|&net| within_v6(ip, net))
            }
        },
    }
}

const NOT_PUBLIC_V4: [(Ipv4Addr, u32); 16] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),        // "this network", with the unspecified 0.0.0.0
    (Ipv4Addr::new(10, 0, 0, 0), 8),       // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),    // carrier-grade NAT (Alibaba Cloud's metadata: 100.100.100.200)
    (Ipv4Addr::new(127, 0, 0, 0), 8),      // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),   // link-local, with the clouds' metadata service 169.254.169.254
    (Ipv4Addr::new(172, 16, 0, 0), 12),    // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),     // IETF protocol assignments (Oracle Cloud's metadata: 192.0.0.192)
    (Ipv4Addr::new(192, 0, 2, 0), 24),     // documentation
    (Ipv4Addr::new(192, 88, 99, 0), 24),   // the retired 6to4 relays
    (Ipv4Addr::new(192, 168, 0, 0), 16),   // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),    // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24),  // documentation
    (Ipv4Addr::new(203, 0, 113, 0), 24),   // documentation
    (Ipv4Addr::new(224, 0, 0, 0), 4),      // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),      // reserved, with the broadcast 255.255.255.255
    (Ipv4Addr::new(168, 63, 129, 16), 32), // Azure's host endpoint, answering every Azure VM
];

/// Inside global unicast, yet not the internet.
const NOT_PUBLIC_V6: [(Ipv6Addr, u32); 3] = [
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23), // IETF protocol assignments: Teredo, benchmarking, ORCHID
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20), // documentation (RFC 9637)
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    !NOT_PUBLIC_V4.iter().any(|&(net, len)| {
        let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
        u32::from(ip) & mask == u32::from(net)
    })
}

fn within_v6(ip: Ipv6Addr, (net, len): (Ipv6Addr, u32)) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net)
}

/// The IPv4 address an IPv6 address leads to: `::ffff:a.b.c.d` (mapped) on this machine, `64:ff9b::a.b.c.d`
/// through a NAT64 gateway, `2002:aabb:ccdd::/48` through a 6to4 relay.
fn reaches_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    // The casts keep the low 32 bits: exactly where each form carries its IPv4 address.
    let bits = u128::from(ip);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if within_v6(ip, (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96)) {
        Some(Ipv4Addr::from(bits as u32))
    } else if within_v6(ip, (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16)) {
        Some(Ipv4Addr::from((bits >> 80) as u32))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_addresses_on_the_internet_are_public() {
        let table = [
            // IPv4
            ("8.8.8.8", true),
            ("93.184.215.14", true),
            ("172.15.255.255", true),
            ("172.32.0.1", true),
            ("100.63.255.255", true),
            ("100.128.0.1", true),
            ("198.20.0.1", true),
            ("223.255.255.255", true),
            ("0.0.0.0", false),
            ("0.1.2.3", false),
            ("127.0.0.1", false),
            ("127.255.255.254", false),
            ("10.0.0.1", false),
            ("172.16.0.1", false),
            ("172.31.255.255", false),
            ("192.168.0.1", false),
            ("100.64.0.1", false),
            ("100.127.255.255", false),
            ("100.100.100.200", false),
            ("169.254.0.1", false),
            ("169.254.169.254", false),
            ("168.63.129.16", false),
            ("192.0.0.192", false),
            ("192.0.2.1", false),
            ("198.51.100.7", false),
            ("203.0.113.9", false),
            ("198.18.0.1", false),
            ("198.19.255.255", false),
            ("192.88.99.1", false),
            ("224.0.0.1", false),
            ("239.255.255.250", false),
            ("240.0.0.1", false),
            ("255.255.255.255", false),
            // IPv6
            ("2607:f8b0:4004:c1b::5f", true),
            ("2a00:1450:4001:82b::200e", true),
            ("2001:4860:4860::8888", true),
            ("::", false),
            ("::1", false),
            ("fe80::1", false),
            ("febf::1", false),
            ("fec0::1", false),
            ("fc00::1", false),
            ("fd00:ec2::254", false),
            ("ff02::1", false),
            ("ff0e::1", false),
            ("2001:db8::1", false),
            ("3fff::1", false),
            ("2001::1", false),
            ("2001:2::1", false),
            ("100::1", false),
            ("4000::1", false),
            // IPv6 forms that reach an IPv4 address are judged by it
            ("::ffff:8.8.8.8", true),
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.0.0.1", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:0.0.0.0", false),
            ("64:ff9b::8.8.8.8", true),
            ("64:ff9b::10.0.0.1", false),
            ("64:ff9b::169.254.169.254", false),
            ("2002:808:808::1", true),
            ("2002:7f00:1::1", false),
            ("2002:a9fe:a9fe::1", false),
            // IPv4-compatible (deprecated, and never a push service's): refused whatever it carries
            ("::127.0.0.1", false),
            ("::10.0.0.1", false),
            ("::8.8.8.8", false),
        ];
        for (text, public) in table {
            let ip: IpAddr = text.parse().unwrap_or_else(|e| unreachable!("{text}: {e}"));
            assert_eq!(is_public(ip), public, "{text}");
        }
    }

    #[test]
    fn an_endpoint_is_https_on_a_public_host_with_one_exception_for_the_test_suite() {
        let table = [
            ("https://fcm.googleapis.com/fcm/send/abc", false, Ok(())),
            ("https://updates.push.services.mozilla.com/wpush/v2/abc", false, Ok(())),
            ("https://8.8.8.8/push", false, Ok(())),
            ("https://[2001:4860:4860::8888]:8443/push", false, Ok(())),
            ("http://fcm.googleapis.com/fcm/send/abc", false, Err(EndpointError::NotHttps)),
            ("ftp://8.8.8.8/push", false, Err(EndpointError::NotHttps)),
            ("https://user:pw@fcm.googleapis.com/x", false, Err(EndpointError::NotHttps)),
            ("https://fcm.googleapis.com/a b", false, Err(EndpointError::NotHttps)),
            ("fcm.googleapis.com/x", false, Err(EndpointError::NotHttps)),
            ("https://127.0.0.1/push", false, Err(EndpointError::NotPublic)),
            ("https://127.1/push", false, Err(EndpointError::NotPublic)),
            ("https://0x7f000001/push", false, Err(EndpointError::NotPublic)),
            ("https://2130706433/push", false, Err(EndpointError::NotPublic)),
            ("https://[::ffff:7f00:1]/push", false, Err(EndpointError::NotPublic)),
            ("https://169.254.169.254/latest", false, Err(EndpointError::NotPublic)),
            ("https://localhost/push", false, Err(EndpointError::NotPublic)),
            ("https://LocalHost./push", false, Err(EndpointError::NotPublic)),
            ("https://api.localhost/push", false, Err(EndpointError::NotPublic)),
            ("https://printer.local/push", false, Err(EndpointError::NotPublic)),
            ("https://metadata.google.internal/x", false, Err(EndpointError::NotPublic)),
            ("https://intranet/push", false, Err(EndpointError::NotPublic)),
            // The exception: plain http to a loopback IP literal, with the flag, and nothing more.
            ("http://127.0.0.1:9999/push/x", true, Ok(())),
            ("http://[::1]:9999/push/x", true, Ok(())),
            ("http://127.0.0.1:9999/push/x", false, Err(EndpointError::NotHttps)),
            ("http://localhost:9999/push/x", true, Err(EndpointError::NotHttps)),
            ("http://[::ffff:127.0.0.1]:9999/push/x", true, Err(EndpointError::NotHttps)),
            ("http://10.0.0.1/push/x", true, Err(EndpointError::NotHttps)),
            ("http://8.8.8.8/push/x", true, Err(EndpointError::NotHttps)),
            ("https://127.0.0.1:9999/push/x", true, Err(EndpointError::NotPublic)),
        ];
        for (text, loopback_http, expected) in table {
            assert_eq!(PushEndpoint::parse(text, loopback_http).map(drop), expected, "{text} ({loopback_http})");
        }
    }

    #[tokio::test]
    async fn a_name_that_resolves_to_loopback_is_refused() {
        // The addresses themselves, past any rule about names: `localhost` is the one name sure to resolve
        // offline, to loopback.
        assert_eq!(public_addresses("localhost", 443).await.err(), Some(EndpointError::NotPublic));
        let name: Name = "localhost".parse().unwrap_or_else(|_| unreachable!());
        assert!(PublicOnly.resolve(name).await.is_err());
    }
}
