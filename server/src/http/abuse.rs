//! Limits per client address on what is cheap to ask and costly to grant:
//! creating meetings, joining them, and failing to sign in (a bad token or
//! invite). Each is a token bucket per address; past it the answer is 429
//! with `Retry-After` (on the WebSocket, a close with 4029, which the stock
//! client retries).
//!
//! A whole meeting room often shares one public address (the venue's
//! network), so the join limit allows a room's worth of people at once.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::config::Limits;
use crate::http::error::AppError;
use crate::rate::TokenBucket;

/// Addresses tracked before full (idle) buckets are dropped.
const PRUNE_AT: usize = 10_000;
/// Past this many busy addresses the table starts afresh, so memory stays
/// bounded whatever the number of addresses a flood comes from.
const MOST: usize = 100_000;

/// The key of an address: IPv6 hosts get a whole /64, so one is one key.
fn key(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(prefix.into())
            }
        },
        v4 => v4,
    }
}

/// One limit, per address.
pub struct AddressLimit {
    /// What it limits, for the answer.
    what: &'static str,
    /// Tokens per second.
    rate: f64,
    /// Most tokens at once.
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, TokenBucket>>,
}

impl AddressLimit {
    /// `per_minute` allowed per address, `burst` of them at once.
    pub fn new(what: &'static str, per_minute: u64, burst: u64) -> Self {
        AddressLimit {
            what,
            rate: per_minute as f64 / 60.0,
            burst: burst.max(1) as f64,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn with_bucket<T>(&self, addr: IpAddr, f: impl FnOnce(&mut TokenBucket, Instant) -> T) -> T {
        let now = Instant::now();
        let addr = key(addr);
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= PRUNE_AT && !buckets.contains_key(&addr) {
            buckets.retain(|_, bucket| !bucket.full_at(now));
            if buckets.len() >= MOST {
                tracing::warn!(limit = self.what, "address table full; starting afresh");
                buckets.clear();
            }
        }
        let bucket = buckets
            .entry(addr)
            .or_insert_with(|| TokenBucket::new(self.rate, self.burst, now));
        f(bucket, now)
    }

    /// Err with the answer if `addr` has nothing left, without using any.
    pub fn check(&self, addr: IpAddr) -> Result<(), AppError> {
        self.with_bucket(addr, |bucket, now| {
            if bucket.has(now) {
                Ok(())
            } else {
                Err(self.refusal(bucket))
            }
        })
    }

    /// Uses one; Err with the answer if there was none.
    pub fn take(&self, addr: IpAddr) -> Result<(), AppError> {
        self.with_bucket(addr, |bucket, now| {
            if bucket.take(now) {
                Ok(())
            } else {
                Err(self.refusal(bucket))
            }
        })
    }

    fn refusal(&self, bucket: &TokenBucket) -> AppError {
        let wait = bucket.wait().as_secs_f64().ceil().max(1.0) as u64;
        tracing::warn!(
            limit = self.what,
            retry_after_s = wait,
            "address over its limit"
        );
        AppError::too_many(
            format!(
                "too many {} from this address; try again in {wait} s",
                self.what
            ),
            Duration::from_secs(wait),
        )
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Every per-address limit of the server.
pub struct AbuseLimits {
    /// `POST /api/meetings`.
    pub meetings: AddressLimit,
    /// `POST /api/meetings/{id}/join`.
    pub joins: AddressLimit,
    /// Requests and connections refused for a bad token or invite.
    pub failed_sign_ins: AddressLimit,
}

impl AbuseLimits {
    /// The limits configured.
    pub fn new(limits: &Limits) -> Self {
        let half = |n: u64| (n / 2).max(1);
        AbuseLimits {
            meetings: AddressLimit::new(
                "new meetings",
                limits.meetings_per_minute,
                half(limits.meetings_per_minute),
            ),
            joins: AddressLimit::new(
                "joins",
                limits.joins_per_minute,
                half(limits.joins_per_minute),
            ),
            failed_sign_ins: AddressLimit::new(
                "failed sign-ins",
                limits.failed_sign_ins_per_minute,
                half(limits.failed_sign_ins_per_minute),
            ),
        }
    }
}

/// The client's address: the peer's, or the one a trusted proxy put in the
/// configured header (`--client-ip-header`, the last address in it).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub IpAddr);

impl FromRequestParts<std::sync::Arc<crate::http::AppState>> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &std::sync::Arc<crate::http::AppState>,
    ) -> Result<Self, Self::Rejection> {
        // Another process of the cluster forwarded this request: the
        // client is the one it names.
        let forwarded = state
            .hub
            .cluster()
            .filter(|c| {
                c.is_peer(
                    parts
                        .headers
                        .get(crate::cluster::PEER_HEADER)
                        .map(|v| v.as_bytes()),
                )
            })
            .and_then(|_| parts.headers.get(crate::cluster::CLIENT_HEADER))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        if let Some(client) = forwarded {
            return Ok(ClientAddr(client));
        }
        let from_header = state
            .config
            .client_ip_header
            .as_ref()
            .and_then(|name| parts.headers.get_all(name).iter().next_back())
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok());
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        Ok(ClientAddr(
            from_header
                .or(peer)
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use draftroom_shared::ErrorCode;

    /// Asserts `refused` is the 429 of `what`, to retry in `secs` seconds.
    #[track_caller]
    fn assert_too_many(refused: &AppError, what: &str, secs: u64) {
        assert_eq!(refused.code, ErrorCode::TooManyRequests, "{refused}");
        assert_eq!(
            refused.message,
            format!("too many {what} from this address; try again in {secs} s")
        );
        assert_eq!(refused.retry_after, Some(Duration::from_secs(secs)));
        assert!(refused.clause_changed.is_none(), "{refused}");
    }

    #[test]
    fn a_burst_then_the_rate_and_addresses_apart() {
        let limit = AddressLimit::new("joins", 60, 3);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..3 {
            limit.take(a).unwrap();
        }
        // One join a second: the next is a second away, rounded up.
        assert_too_many(&limit.take(a).unwrap_err(), "joins", 1);
        assert_too_many(&limit.check(a).unwrap_err(), "joins", 1);
        // Another address is untouched.
        limit.take(b).unwrap();
        std::thread::sleep(Duration::from_millis(1100));
        limit.take(a).unwrap();
    }

    #[test]
    fn an_ipv6_host_is_its_slash_64() {
        let limit = AddressLimit::new("new meetings", 1, 1);
        limit.take("2001:db8:1:2::1".parse().unwrap()).unwrap();
        // One new meeting a minute: the next is sixty seconds away.
        let same_64 = limit.take("2001:db8:1:2:ffff::9".parse().unwrap());
        assert_too_many(&same_64.unwrap_err(), "new meetings", 60);
        limit.take("2001:db8:1:3::1".parse().unwrap()).unwrap();
        limit.take("::ffff:10.0.0.1".parse().unwrap()).unwrap();
        let mapped = limit.take("10.0.0.1".parse().unwrap());
        assert_too_many(&mapped.unwrap_err(), "new meetings", 60);
    }

    #[test]
    fn many_addresses_stay_bounded() {
        let limit = AddressLimit::new("failed sign-ins", 60_000, 10);
        for i in 0..(PRUNE_AT as u32 * 3) {
            let addr = IpAddr::V4(Ipv4Addr::from(i));
            limit.check(addr).unwrap();
        }
        // Untouched buckets are full and dropped as new addresses come.
        assert!(limit.tracked() <= PRUNE_AT + 1, "{}", limit.tracked());
    }
}
