//! The client's address behind reverse proxies: the TCP peer, unless that peer is a trusted
//! proxy, in which case the right-most hop of the forwarded chain that is not itself a trusted
//! proxy. The rate limiter keys on it and the `/auth/*` logs carry it.
//!
//! Only the configured header is read (`X-Forwarded-For` or RFC 7239 `Forwarded`): a proxy that
//! appends to one passes the other through untouched, so reading both would let a client write its
//! own address. Forwarded headers from a peer that is not trusted are ignored.

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use tracing::Instrument;

/// The networks of the reverse proxies whose forwarded headers are believed (empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// From networks.
    pub fn new(networks: impl IntoIterator<Item = IpNet>) -> Self {
        TrustedProxies(networks.into_iter().collect())
    }

    /// Whether `ip` belongs to a trusted proxy (an IPv4-mapped IPv6 address counts as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks.
    pub fn networks(&self) -> &[IpNet] {
        &self.0
    }
}

/// A CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a single address (`10.1.2.3`, as `/32` or `/128`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    IpNet::from_str(text)
        .or_else(|_| IpAddr::from_str(text).map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR such as 10.0.0.0/8"))
}

impl FromStr for TrustedProxies {
    type Err = String;
    /// A comma-separated list (`10.0.0.0/8, 192.168.1.7`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.split(',').filter(|s| !s.trim().is_empty()).map(parse_network).collect::<Result<_, _>>().map(Self)
    }
}

impl Serialize for TrustedProxies {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(ToString::to_string))
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    /// A list of CIDRs or addresses, or one string of them separated by commas (handy in an
    /// environment variable).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            List(Vec<String>),
            One(String),
        }
        let list = match Raw::deserialize(deserializer)? {
            Raw::List(list) => list,
            Raw::One(text) => text.split(',').filter(|s| !s.trim().is_empty()).map(str::to_owned).collect(),
        };
        list.iter()
            .map(|s| parse_network(s))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
            .map_err(|e| serde::de::Error::custom(format!("trusted_proxies: {e}")))
    }
}

/// The header a trusted proxy writes the client's address into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, Traefik, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

/// The client's address, as [`ClientIpResolver`] found it (also an extractor for the handlers of
/// an embedding application, when the router is served with `ConnectInfo<SocketAddr>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// Finds the client's address from the TCP peer and the forwarded headers.
#[derive(Debug, Clone, Default)]
pub struct ClientIpResolver {
    trusted: TrustedProxies,
    header: ForwardedHeader,
}

impl ClientIpResolver {
    /// Believes `header` when the peer is in `trusted`.
    pub fn new(trusted: TrustedProxies, header: ForwardedHeader) -> Self {
        ClientIpResolver { trusted, header }
    }

    /// The right-most hop of the forwarded chain that is not a trusted proxy, when the peer is
    /// one; otherwise the peer. A hop a trusted proxy could not name (`unknown`, an obfuscated
    /// identifier, garbage) stops the walk: the nearest proxy known stands for the client, so a
    /// client can never choose its own key.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusted.contains(client) {
            return client;
        }
        let values = match self.header {
            ForwardedHeader::XForwardedFor => headers.get_all("x-forwarded-for"),
            ForwardedHeader::Forwarded => headers.get_all(header::FORWARDED),
        };
        let hops: Vec<Option<IpAddr>> = values
            .iter()
            .flat_map(|value| match self.header {
                ForwardedHeader::XForwardedFor => x_forwarded_for(value),
                ForwardedHeader::Forwarded => forwarded_for(value),
            })
            .collect();
        for hop in hops.iter().rev() {
            let Some(ip) = hop else {
                return client;
            };
            client = ip.to_canonical();
            if !self.trusted.contains(client) {
                return client;
            }
        }
        client
    }

    /// Middleware: puts the [`ClientIp`] in the request's extensions and runs the request in a
    /// span carrying it (so that every log line of the request names the client). Without
    /// `ConnectInfo<SocketAddr>` it does nothing.
    pub async fn layer(State(resolver): State<ClientIpResolver>, mut request: Request, next: Next) -> Response {
        let Some(peer) = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
            return next.run(request).await;
        };
        let client = resolver.resolve(peer, request.headers());
        request.extensions_mut().insert(ClientIp(client));
        next.run(request).instrument(tracing::info_span!("request", client_ip = %client)).await
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp
where
    crate::state::AppState: axum::extract::FromRef<S>,
{
    type Rejection = crate::error::AppError;

    /// The address found by the BFF's middleware, else resolved here with the settings; a 500
    /// when the router is served without `ConnectInfo<SocketAddr>`.
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(found) = parts.extensions.get::<ClientIp>() {
            return Ok(*found);
        }
        let Some(peer) = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()) else {
            tracing::error!("no peer address: serve with into_make_service_with_connect_info::<SocketAddr>()");
            return Err(crate::error::AppError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "client_address_unknown",
                "Le service ne connaît pas l’adresse de votre poste.",
                "The service does not know your address.",
            ));
        };
        let app = <crate::state::AppState as axum::extract::FromRef<S>>::from_ref(state);
        let resolver = ClientIpResolver::new(app.settings.trusted_proxies.clone(), app.settings.client_ip_header);
        Ok(ClientIp(resolver.resolve(peer, &parts.headers)))
    }
}

/// One `X-Forwarded-For` value: addresses separated by commas, left to right (an address may
/// carry a port, and an IPv6 one brackets).
pub fn x_forwarded_for(value: &HeaderValue) -> Vec<Option<IpAddr>> {
    match value.to_str() {
        Ok(text) => text.split(',').map(node_address).collect(),
        Err(_) => vec![None],
    }
}

/// The `for=` of each element of one RFC 7239 `Forwarded` value, left to right (`None` for an
/// element without `for=`, or whose node is `unknown` or obfuscated).
pub fn forwarded_for(value: &HeaderValue) -> Vec<Option<IpAddr>> {
    let Ok(text) = value.to_str() else {
        return vec![None];
    };
    split_outside_quotes(text, ',')
        .into_iter()
        .map(|element| {
            split_outside_quotes(element, ';').into_iter().find_map(|pair| {
                let (name, value) = pair.split_once('=')?;
                name.trim().eq_ignore_ascii_case("for").then(|| node_address(&unquote(value.trim())))
            })?
        })
        .collect()
}

/// An address, `address:port`, `[v6]` or `[v6]:port`; `None` for anything else.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    // `[v6]` without a port, or `[v6]:port` with an obfuscated port (RFC 7239 `_abc`).
    let inside = node.strip_prefix('[')?.split(']').next()?;
    inside.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
}

/// Splits on `separator` except inside a quoted string (where `\` escapes the next character).
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// A token as is, or the content of a quoted string with its escapes removed.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(name, HeaderValue::from_str(value).expect("a header value"));
        }
        map
    }

    fn resolver(trusted: &str, header: ForwardedHeader) -> ClientIpResolver {
        ClientIpResolver::new(trusted.parse().expect("networks"), header)
    }

    #[test]
    fn forwarded_parses_ipv4_ipv6_in_brackets_with_port_quotes_and_case() {
        let value = HeaderValue::from_static(
            "for=192.0.2.43;proto=https, For=\"[2001:db8:cafe::17]:4711\";by=203.0.113.60, for=unknown, \
             proto=http, for=\"_hidden\", for=\"198.51.100.17:8080\", for=\"[2001:db8::1]\"",
        );
        assert_eq!(
            forwarded_for(&value),
            vec![
                Some(ip("192.0.2.43")),
                Some(ip("2001:db8:cafe::17")),
                None,
                None,
                None,
                Some(ip("198.51.100.17")),
                Some(ip("2001:db8::1"))
            ]
        );
        // A comma or a semicolon inside a quoted value does not split it.
        let tricky = HeaderValue::from_static("for=\"a,b;c\";by=x, for=192.0.2.1");
        assert_eq!(forwarded_for(&tricky), vec![None, Some(ip("192.0.2.1"))]);
    }

    #[test]
    fn x_forwarded_for_parses_addresses_with_ports_and_brackets() {
        let value = HeaderValue::from_static("203.0.113.7, 2001:db8::5 ,198.51.100.2:443, [2001:db8::9]:80, junk");
        assert_eq!(
            x_forwarded_for(&value),
            vec![
                Some(ip("203.0.113.7")),
                Some(ip("2001:db8::5")),
                Some(ip("198.51.100.2")),
                Some(ip("2001:db8::9")),
                None
            ]
        );
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let resolver = resolver("10.0.0.0/8", ForwardedHeader::XForwardedFor);
        let spoofed = headers("x-forwarded-for", &["198.51.100.9"]);
        assert_eq!(resolver.resolve(ip("203.0.113.1"), &spoofed), ip("203.0.113.1"));
        assert_eq!(ClientIpResolver::default().resolve(ip("10.0.0.1"), &spoofed), ip("10.0.0.1"), "none trusted");
    }

    #[test]
    fn the_right_most_untrusted_hop_is_the_client() {
        let resolver = resolver("10.0.0.0/8, 192.168.4.4", ForwardedHeader::XForwardedFor);
        // The client wrote a fake left part; the proxies appended the real address then themselves.
        let chain = headers("x-forwarded-for", &["1.2.3.4, 198.51.100.9", "192.168.4.4, 10.1.1.1"]);
        assert_eq!(resolver.resolve(ip("10.0.0.2"), &chain), ip("198.51.100.9"));
        // Every hop trusted: the farthest one.
        let internal = headers("x-forwarded-for", &["10.9.9.9, 10.1.1.1"]);
        assert_eq!(resolver.resolve(ip("10.0.0.2"), &internal), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(resolver.resolve(ip("10.0.0.2"), &HeaderMap::new()), ip("10.0.0.2"));
        // A hop the proxy could not name: keyed on the nearest known proxy, never on the left part.
        let unnamed = headers("x-forwarded-for", &["198.51.100.9, unknown, 10.1.1.1"]);
        assert_eq!(resolver.resolve(ip("10.0.0.2"), &unnamed), ip("10.1.1.1"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let both = {
            let mut map = headers("x-forwarded-for", &["198.51.100.9"]);
            map.append(header::FORWARDED, HeaderValue::from_static("for=\"[2001:db8:cafe::17]:4711\""));
            map
        };
        let xff = resolver("127.0.0.0/8", ForwardedHeader::XForwardedFor);
        let forwarded = resolver("127.0.0.0/8", ForwardedHeader::Forwarded);
        assert_eq!(xff.resolve(ip("127.0.0.1"), &both), ip("198.51.100.9"));
        assert_eq!(forwarded.resolve(ip("127.0.0.1"), &both), ip("2001:db8:cafe::17"));
    }

    #[test]
    fn ipv4_mapped_peers_and_hops_are_ipv4() {
        let resolver = resolver("10.0.0.0/8", ForwardedHeader::XForwardedFor);
        let chain = headers("x-forwarded-for", &["::ffff:198.51.100.9"]);
        assert_eq!(resolver.resolve(ip("::ffff:10.0.0.2"), &chain), ip("198.51.100.9"));
    }

    #[test]
    fn trusted_proxies_parse_cidrs_and_single_addresses() {
        let parsed: TrustedProxies = serde_json::from_str(r#"["10.0.0.0/8", "192.168.1.7", "2001:db8::/32"]"#)
            .expect("a list of CIDRs and addresses");
        assert!(parsed.contains(ip("10.200.0.1")) && parsed.contains(ip("192.168.1.7")));
        assert!(!parsed.contains(ip("192.168.1.8")) && parsed.contains(ip("2001:db8:ffff::1")));
        let one: TrustedProxies = serde_json::from_str(r#""10.0.0.0/8,127.0.0.1""#).expect("one string");
        assert_eq!(one.networks().len(), 2);
        let error = serde_json::from_str::<TrustedProxies>(r#"["10.0.0.0/33"]"#).expect_err("refused");
        assert!(error.to_string().contains("10.0.0.0/33"), "{error}");
        assert_eq!(serde_json::to_string(&parsed).expect("JSON"), r#"["10.0.0.0/8","192.168.1.7/32","2001:db8::/32"]"#);
    }
}
