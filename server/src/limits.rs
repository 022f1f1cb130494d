//! Rate limits: a token bucket per client for each group of routes (customer sends, reads, live feeds,
//! logins, staff posts, test alerts) and one per partner. Each group's limit is attached to its routes in the
//! router, so a new route cannot slip in unlimited by a path that no rule matches.
//!
//! A client is an IPv4 address or an IPv6 /64 (one subscriber's whole network). Behind proxies we run, it is
//! the address the nearest trusted proxy appended to `X-Forwarded-For`, never what the client wrote there.

use std::{
    collections::HashMap,
    hash::{BuildHasher, Hash},
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, StatusCode, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};

use app::i18n::td_string;

use crate::{
    AppState, Config,
    reply::{Problem, Said},
};

/// The groups of routes, each with its own limit per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    /// A customer's new request, cancel, callback and follow-up.
    Send,
    /// Pages, files and status reads.
    Read,
    /// Opening a live feed (they stay open; this counts opens).
    Feed,
    /// Login attempts and partner keys tried: where secrets are guessed.
    Login,
    /// Staff posts and the JSON their pages read.
    Staff,
    /// "Send me a test alert": each one pushes to every device of the member.
    TestAlert,
}

const GROUPS: usize = 6;

impl Group {
    fn index(self) -> usize {
        self as usize
    }
}

/// Who a bucket belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Client {
    Address(IpAddr),
    Partner(i64),
}

pub struct Limits {
    groups: [Arc<Table>; GROUPS],
    partners: Table,
    partner_default_per_minute: u32,
    proxies: Proxies,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let per_minute = [
            config.send_limit_per_minute,
            config.read_limit_per_minute,
            config.feed_limit_per_minute,
            config.login_limit_per_minute,
            config.staff_limit_per_minute,
            config.test_alert_limit_per_minute,
        ];
        Limits {
            groups: per_minute.map(|n| Arc::new(Table::new(n, TABLE_CAPACITY))),
            partners: Table::new(config.partner_limit_per_minute, 10_000),
            partner_default_per_minute: config.partner_limit_per_minute,
            proxies: Proxies::new(config),
        }
    }

    /// The middleware's state for one group of routes.
    pub fn gate(&self, group: Group) -> Gate {
        Gate { table: self.groups[group.index()].clone(), proxies: self.proxies }
    }

    /// A partner's own bucket, at the partner's own rate when one is set.
    pub fn take_partner(&self, partner: i64, per_minute: Option<u32>) -> Result<(), Problem> {
        let rate = per_minute.unwrap_or(self.partner_default_per_minute);
        self.partners.take_at(Client::Partner(partner), rate, Instant::now()).map_err(too_many)
    }

    /// Counts one wrong secret (a partner key) against the client's login bucket.
    pub fn take_guess(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Result<(), Problem> {
        let Some(client) = self.proxies.client(headers, peer) else { return Ok(()) };
        self.groups[Group::Login.index()].take(Client::Address(client)).map_err(too_many)
    }
}

/// One group's table and how to find the client.
#[derive(Clone)]
pub struct Gate {
    table: Arc<Table>,
    proxies: Proxies,
}

/// The client's address as the limits see it (behind trusted proxies, the one they name; an IPv6 /64), for
/// what else is counted per client: open live feeds.
pub struct ClientAddress(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<ClientAddress, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddress(state.limits.proxies.client(&parts.headers, peer)))
    }
}

pub async fn enforce(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if let Some(client) = gate.proxies.client(request.headers(), peer)
        && let Err(wait) = gate.table.take(Client::Address(client))
    {
        return too_many(wait).into_response();
    }
    next.run(request).await
}

fn too_many(wait_seconds: u64) -> Problem {
    Problem::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", Said::by(|l| td_string!(l, refused.rate_limited)))
        .retry_after(wait_seconds)
}

/// How many proxies of ours stand in front, each appending the address it received from.
#[derive(Clone, Copy, Debug)]
struct Proxies {
    trusted: usize,
}

impl Proxies {
    fn new(config: &Config) -> Proxies {
        let trusted = if config.trust_forwarded_for { config.trusted_proxies.max(1) } else { config.trusted_proxies };
        Proxies { trusted }
    }

    /// The client as a limit sees it: the address our nearest trusted proxy appended (the Nth from the right
    /// for N trusted proxies), or the peer address without proxies; an IPv6 address as its /64.
    fn client(&self, headers: &HeaderMap, peer: Option<IpAddr>) -> Option<IpAddr> {
        let forwarded = (self.trusted > 0).then(|| forwarded_for(headers, self.trusted)).flatten();
        forwarded.or(peer).map(network)
    }
}

/// The Nth address from the right of every `X-Forwarded-For` header, in order. Everything left of it was
/// written by the client and proves nothing.
fn forwarded_for(headers: &HeaderMap, nth_from_right: usize) -> Option<IpAddr> {
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let hop = hops.len().checked_sub(nth_from_right).map(|i| hops[i])?;
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv6 subscribers get a whole /64: limiting single addresses there limits nothing.
fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// Clients remembered per group at most (two generations of half each).
const TABLE_CAPACITY: usize = 100_000;
const SHARDS: usize = 16;
/// A bucket untouched this long has refilled, so forgetting it changes nothing.
const WINDOW: Duration = Duration::from_secs(60);

/// Buckets by client, bounded in memory. Each shard keeps two generations: entries move to the current one
/// when used, and the older one is dropped whole once a window has passed (or the current one is full), so
/// nothing ever scans the table under a lock.
struct Table {
    per_minute: u32,
    shards: [Mutex<Generations>; SHARDS],
    shard_capacity: usize,
    hasher: std::hash::RandomState,
}

struct Generations {
    current: HashMap<Client, Bucket>,
    previous: HashMap<Client, Bucket>,
    turned_at: Instant,
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Table {
    fn new(per_minute: u32, capacity: usize) -> Table {
        let now = Instant::now();
        Table {
            per_minute: per_minute.max(1),
            shards: std::array::from_fn(|_| {
                Mutex::new(Generations { current: HashMap::new(), previous: HashMap::new(), turned_at: now })
            }),
            shard_capacity: (capacity / SHARDS / 2).max(1),
            hasher: std::hash::RandomState::new(),
        }
    }

    fn take(&self, client: Client) -> Result<(), u64> {
        self.take_at(client, self.per_minute, Instant::now())
    }

    /// Takes one token from the client's bucket; on refusal, the seconds until the next one.
    fn take_at(&self, client: Client, per_minute: u32, now: Instant) -> Result<(), u64> {
        let rate = f64::from(per_minute.max(1));
        let shard = &self.shards[(self.hasher.hash_one(client) as usize) % SHARDS];
        let mut g = shard.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let dropped = if now.duration_since(g.turned_at) >= WINDOW || g.current.len() >= self.shard_capacity {
            g.turned_at = now;
            let current = std::mem::take(&mut g.current);
            Some(std::mem::replace(&mut g.previous, current))
        } else {
            None
        };
        let found = g.current.get(&client).copied().or_else(|| g.previous.remove(&client));
        let mut bucket = found.unwrap_or(Bucket { tokens: rate, at: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate / 60.0).min(rate);
        bucket.at = now;
        let answer = if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) * 60.0 / rate).ceil() as u64)
        };
        g.current.insert(client, bucket);
        drop(g);
        // The old generation is freed after the lock is let go.
        drop(dropped);
        answer
    }

    #[cfg(test)]
    fn remembered(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let g = s.lock().unwrap_or_else(|p| p.into_inner());
                g.current.len() + g.previous.len()
            })
            .sum()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn address(text: &str) -> Client {
        Client::Address(network(ip(text)))
    }

    #[test]
    fn a_bucket_allows_its_limit_then_refuses() {
        let table = Table::new(3, 1000);
        let client = address("127.0.0.1");
        assert!((0..3).all(|_| table.take(client).is_ok()));
        assert_eq!(table.take(client), Err(20));
        // Another client has its own bucket.
        assert!(table.take(address("127.0.0.2")).is_ok());
    }

    #[test]
    fn ipv6_clients_are_limited_per_64() {
        let table = Table::new(2, 1000);
        assert!(table.take(address("2001:db8:1:2::1")).is_ok());
        assert!(table.take(address("2001:db8:1:2:ffff::9")).is_ok());
        assert!(table.take(address("2001:db8:1:2:abcd:1:2:3")).is_err(), "same /64, same bucket");
        assert!(table.take(address("2001:db8:1:3::1")).is_ok(), "the next /64 is someone else");
        assert_eq!(address("::ffff:192.0.2.7"), address("192.0.2.7"), "a mapped IPv4 address is that address");
    }

    #[test]
    fn the_table_stays_bounded_however_many_clients_come() {
        let table = Table::new(1, 64);
        let start = Instant::now();
        for i in 0..10_000 {
            let _ = table.take_at(Client::Partner(i), 1, start);
        }
        assert!(table.remembered() <= 64, "{} clients remembered", table.remembered());
    }

    #[test]
    fn a_client_is_forgotten_only_once_its_bucket_has_refilled() {
        let table = Table::new(1, 100_000);
        let start = Instant::now();
        let who = Client::Partner(1);
        assert!(table.take_at(who, 1, start).is_ok());
        assert!(table.take_at(who, 1, start + Duration::from_secs(30)).is_err());
        // A window on, the shard turns; the bucket has refilled one token and is kept.
        assert!(table.take_at(who, 1, start + Duration::from_secs(60)).is_ok());
        assert!(table.take_at(who, 1, start + Duration::from_secs(61)).is_err(), "remembered across the turn");
        assert!(table.take_at(who, 1, start + Duration::from_secs(300)).is_ok());
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    #[test]
    fn the_client_is_what_our_proxy_appended_not_what_the_client_wrote() {
        let peer = Some(ip("10.0.0.1"));
        let one = Proxies { trusted: 1 };
        let forged = forwarded(&["6.6.6.6, 203.0.113.9"]);
        assert_eq!(one.client(&forged, peer), Some(ip("203.0.113.9")));
        // Split over two headers, the order still holds.
        assert_eq!(one.client(&forwarded(&["6.6.6.6", "203.0.113.9"]), peer), Some(ip("203.0.113.9")));
        let two = Proxies { trusted: 2 };
        assert_eq!(two.client(&forwarded(&["6.6.6.6, 198.51.100.4, 10.0.0.7"]), peer), Some(ip("198.51.100.4")));
        // No header: the peer. No proxies trusted: the peer, whatever the header says.
        assert_eq!(one.client(&HeaderMap::new(), peer), peer);
        assert_eq!(Proxies { trusted: 0 }.client(&forged, peer), peer);
    }
}
