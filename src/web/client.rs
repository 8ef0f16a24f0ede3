//! The address a request comes from, for the per-address limits (login, registration,
//! password reset). Behind a reverse proxy the peer is the proxy: its `X-Forwarded-For` is
//! believed only when the peer is one of `OPSTAP_TRUSTED_PROXIES`, and then the nearest address
//! in that header that is not a trusted proxy itself is the client.

use crate::config::TrustedProxies;
use crate::state::AppState;
use actix_web::{web, HttpRequest};
use std::net::IpAddr;

pub fn client_address(req: &HttpRequest) -> Option<String> {
    let peer = req.peer_addr()?.ip();
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Some(peer.to_string());
    };
    let forwarded: Vec<&str> = req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
    Some(client_of(peer, &forwarded, &state.config.trusted_proxies).to_string())
}

/// The client behind `peer`: walks `X-Forwarded-For` from the right (the hop nearest to us) past
/// the trusted proxies. An entry that is not an address stops the walk at the last trusted hop.
pub fn client_of(peer: IpAddr, forwarded_headers: &[&str], trusted: &TrustedProxies) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded_headers.iter().flat_map(|h| h.split(',')).map(str::trim).filter(|h| !h.is_empty()).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted.contains(&ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_trusted_proxies;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = parse_trusted_proxies("10.0.0.0/8, 127.0.0.1").unwrap();
        // Straight from the internet: the header is the client's own claim.
        assert_eq!(client_of(ip("203.0.113.9"), &["198.51.100.1"], &trusted), ip("203.0.113.9"));
        // Through the proxy: the address the proxy saw.
        assert_eq!(client_of(ip("127.0.0.1"), &["198.51.100.1"], &trusted), ip("198.51.100.1"));
        // A client forging an entry before the real one: the nearest untrusted hop wins.
        assert_eq!(client_of(ip("10.1.2.3"), &["6.6.6.6, 198.51.100.1, 10.0.0.7"], &trusted), ip("198.51.100.1"));
        // Two header lines are one list.
        assert_eq!(client_of(ip("10.1.2.3"), &["6.6.6.6", "198.51.100.2"], &trusted), ip("198.51.100.2"));
        // Garbage stops at the last trusted hop; no header: the proxy itself.
        assert_eq!(client_of(ip("10.1.2.3"), &["nonsense"], &trusted), ip("10.1.2.3"));
        assert_eq!(client_of(ip("10.1.2.3"), &[], &trusted), ip("10.1.2.3"));
        // Nothing configured: never believed.
        assert_eq!(client_of(ip("127.0.0.1"), &["198.51.100.1"], &TrustedProxies::default()), ip("127.0.0.1"));
        assert!(parse_trusted_proxies("10.0.0.0/8, nope").unwrap_err().contains("'nope'"));
    }
}
