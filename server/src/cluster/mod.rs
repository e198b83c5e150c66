//! Several Draftroom processes sharing meetings through PostgreSQL.
//!
//! Each meeting has one owner at a time: the process holding its lease
//! (see [`crate::store::owners`]). The owner runs the meeting exactly as a
//! single process does — roles, client-ID bindings, amendments, freeze —
//! and writes under the lease, so a process that lost it commits nothing
//! more. A request or socket for a meeting that reaches another process is
//! forwarded to the owner (the edge's `forward`), so every rule stays the
//! code one process runs. The owner renews its leases every third of their length;
//! a lease it fails to renew is given up at once: the meeting is dropped
//! from memory and its sockets close with a code the clients retry, to
//! land on the new owner.

pub mod relay;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::store::owners::{self, Ownership};
use crate::store::{Announce, Fence, Store, StoreError};

/// The header a process shows another to have a request taken as
/// forwarded (the database's shared secret, hex).
pub const PEER_HEADER: &str = "x-draftroom-peer";

/// The header that carries the client's address on a forwarded request.
pub const CLIENT_HEADER: &str = "x-draftroom-client";

/// Where a meeting is run.
#[derive(Debug, Clone)]
pub enum Owner {
    /// Here, under this lease.
    Here(Fence),
    /// By the process at this address (`host:port`), under this epoch.
    There {
        /// Where it takes forwarded requests.
        address: String,
        /// Its lease's epoch.
        epoch: i64,
    },
    /// Nowhere: no such meeting (the caller answers 404 as usual).
    Unknown,
}

/// This process's part in the cluster.
pub struct Cluster {
    process: Uuid,
    store: Store,
    lease: Duration,
    /// Where the others reach this process: `--advertise`, else the
    /// address it listens on.
    address: OnceLock<String>,
    /// The database's shared secret, hex.
    secret: OnceLock<String>,
    /// The meetings this process owns, with their leases' epochs.
    owned: Mutex<HashMap<Uuid, i64>>,
    /// Publishes what this process's meetings commit (with `--redis`).
    publisher: OnceLock<Arc<relay::Publisher>>,
    /// Owners' addresses last seen taking connections, and when.
    alive: Mutex<HashMap<String, std::time::Instant>>,
    /// Other processes' meetings as last read from the lease table, and
    /// when: asked again after [`Cluster::owner_ttl`].
    seen: Mutex<HashMap<Uuid, (String, i64, std::time::Instant)>>,
}

impl Cluster {
    /// A process of the cluster on `store` (PostgreSQL), advertising
    /// `advertise` if given, holding leases of `lease`.
    pub fn new(store: Store, advertise: Option<String>, lease: Duration) -> Cluster {
        let address = OnceLock::new();
        if let Some(a) = advertise {
            let _ = address.set(a);
        }
        Cluster {
            process: Uuid::new_v4(),
            store,
            lease,
            address,
            secret: OnceLock::new(),
            owned: Mutex::default(),
            publisher: OnceLock::new(),
            alive: Mutex::default(),
            seen: Mutex::default(),
        }
    }

    /// Takes its place once listening on `listening`: reads (or makes) the
    /// shared secret.
    pub async fn join(&self, listening: SocketAddr) -> Result<(), StoreError> {
        let _ = self.address.set(listening.to_string());
        let fresh = crate::secrets::new_secret().into_bytes();
        let secret = self
            .store
            .call(move |c| owners::cluster_secret(c, &fresh))
            .await?;
        let _ = self.secret.set(crate::secrets::hex(&secret));
        tracing::info!(process = %self.process, address = self.address(), "joined the cluster");
        Ok(())
    }

    /// Publishes through `publisher` from now on.
    pub fn relay_through(&self, publisher: Arc<relay::Publisher>) {
        let _ = self.publisher.set(publisher);
    }

    /// Who hears of what this process's meetings commit, if anyone.
    pub fn announcer(&self) -> Option<Arc<dyn Announce>> {
        self.publisher.get().map(|p| p.clone() as Arc<dyn Announce>)
    }

    /// This process's id in the lease table.
    pub fn process(&self) -> Uuid {
        self.process
    }

    /// Where the others reach this process.
    pub fn address(&self) -> &str {
        self.address.get().map_or("", String::as_str)
    }

    /// The shared secret to show another process.
    pub fn secret(&self) -> &str {
        self.secret.get().map_or("", String::as_str)
    }

    /// How long a lease lasts.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, i64>> {
        self.owned.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether `shown` (a request's [`PEER_HEADER`]) is the cluster's
    /// secret: the request came from another process of the cluster.
    pub fn is_peer(&self, shown: Option<&[u8]>) -> bool {
        let secret = self.secret();
        !secret.is_empty() && shown.is_some_and(|v| bool::from(v.ct_eq(secret.as_bytes())))
    }

    /// The lease this process holds on `meeting`, if it owns it.
    pub fn fence(&self, meeting: Uuid) -> Option<Fence> {
        self.owned().get(&meeting).map(|&epoch| Fence {
            meeting,
            process: self.process,
            epoch,
        })
    }

    /// Where `meeting` runs: here if this process owns it or claims it now
    /// (its lease free or expired), else at its owner's address.
    pub async fn owner(&self, meeting: Uuid) -> Result<Owner, StoreError> {
        if let Some(fence) = self.fence(meeting) {
            return Ok(Owner::Here(fence));
        }
        {
            let ttl = self.owner_ttl();
            let mut seen = self.seen();
            seen.retain(|_, (_, _, at)| at.elapsed() < ttl);
            if let Some((address, epoch, _)) = seen.get(&meeting) {
                return Ok(Owner::There {
                    address: address.clone(),
                    epoch: *epoch,
                });
            }
        }
        let (process, address) = (self.process, self.address().to_owned());
        let lease_ms = self.lease.as_millis() as i64;
        let claimed = self
            .store
            .call(move |c| owners::claim_meeting(c, meeting, process, &address, lease_ms))
            .await?;
        Ok(match claimed {
            Ownership::Mine { epoch } => {
                self.owned().insert(meeting, epoch);
                tracing::info!(%meeting, epoch, "meeting owned here");
                Owner::Here(Fence {
                    meeting,
                    process,
                    epoch,
                })
            }
            Ownership::Theirs { address, epoch, .. } => {
                // An older read finishing late does not replace a newer one.
                let mut seen = self.seen();
                if seen.get(&meeting).is_none_or(|(_, e, _)| *e <= epoch) {
                    seen.insert(meeting, (address.clone(), epoch, std::time::Instant::now()));
                }
                Owner::There { address, epoch }
            }
            Ownership::NoSuchMeeting => Owner::Unknown,
        })
    }

    /// How long another process's lease, once read, is taken as it was: a
    /// third of a lease, at most a second. A meeting taken over meanwhile
    /// is found when its old owner refuses connections or turns a
    /// forwarded request away; nothing commits under a stale lease anyway.
    fn owner_ttl(&self) -> Duration {
        (self.lease / 3).min(Duration::from_secs(1))
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (String, i64, std::time::Instant)>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets where `meeting` was last seen run: the next request reads
    /// the lease table again.
    pub fn forget_owner(&self, meeting: Uuid) {
        self.seen().remove(&meeting);
    }

    /// [`Cluster::owner`], taking the meeting over at once if its owner's
    /// address refuses connections (the process is gone). An owner seen
    /// alive in the last second is not asked again.
    pub async fn reach(&self, meeting: Uuid) -> Result<Owner, StoreError> {
        match self.owner(meeting).await? {
            Owner::There { address, epoch } => {
                let seen = self
                    .alive
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&address)
                    .is_some_and(|t| t.elapsed() < Duration::from_secs(1));
                if seen {
                    return Ok(Owner::There { address, epoch });
                }
                let answer = tokio::time::timeout(
                    Duration::from_secs(2),
                    tokio::net::TcpStream::connect(&address),
                )
                .await;
                let refused = matches!(
                    &answer,
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
                );
                if let Ok(Ok(_)) = answer {
                    self.alive
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(address.clone(), std::time::Instant::now());
                }
                if refused {
                    self.take_over(meeting, epoch).await
                } else {
                    Ok(Owner::There { address, epoch })
                }
            }
            other => Ok(other),
        }
    }

    /// Takes `meeting` over from its owner under `epoch`, whose address
    /// refuses connections (the process is gone), without waiting for its
    /// lease to expire; answers where the meeting runs now.
    pub async fn take_over(&self, meeting: Uuid, epoch: i64) -> Result<Owner, StoreError> {
        self.forget_owner(meeting);
        let (process, address) = (self.process, self.address().to_owned());
        let lease_ms = self.lease.as_millis() as i64;
        let taken = self
            .store
            .call(move |c| owners::take_over(c, meeting, epoch, process, &address, lease_ms))
            .await?;
        match taken {
            Some(epoch) => {
                self.owned().insert(meeting, epoch);
                tracing::warn!(%meeting, epoch, "meeting taken over from a process that is gone");
                Ok(Owner::Here(Fence {
                    meeting,
                    process,
                    epoch,
                }))
            }
            None => self.owner(meeting).await,
        }
    }

    /// Records a meeting this process made and claimed in the same
    /// transaction.
    pub fn owns(&self, fence: Fence) {
        self.owned().insert(fence.meeting, fence.epoch);
    }

    /// Renews every lease this process holds; answers the meetings whose
    /// lease it lost (no longer its own) or could not renew in time (the
    /// database failing: another process may take them over meanwhile).
    pub async fn renew(&self) -> Vec<Uuid> {
        let held: Vec<(Uuid, i64)> = self.owned().iter().map(|(&m, &e)| (m, e)).collect();
        if held.is_empty() {
            return Vec::new();
        }
        let (process, lease_ms) = (self.process, self.lease.as_millis() as i64);
        let asked = held.clone();
        let renewed = self
            .store
            .call(move |c| {
                asked
                    .iter()
                    .map(|&(m, e)| owners::renew_lease(c, m, process, e, lease_ms))
                    .collect::<Result<Vec<bool>, _>>()
            })
            .await;
        let lost: Vec<Uuid> = match renewed {
            Ok(flags) => held
                .iter()
                .zip(flags)
                .filter(|(_, kept)| !kept)
                .map(|((m, _), _)| *m)
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "leases not renewed; giving the meetings up");
                held.iter().map(|(m, _)| *m).collect()
            }
        };
        let mut owned = self.owned();
        for m in &lost {
            owned.remove(m);
            tracing::warn!(meeting = %m, "lease lost: the meeting is given up here");
        }
        lost
    }

    /// Gives up every lease (the process stops), so that other processes
    /// take its meetings over at once.
    pub fn release_all(&self) {
        let held: Vec<Uuid> = self.owned().keys().copied().collect();
        for meeting in held {
            self.release(meeting);
        }
    }

    /// Gives up the lease on `meeting` (unloaded here), so another process
    /// can take it at once.
    pub fn release(&self, meeting: Uuid) {
        let Some(epoch) = self.owned().remove(&meeting) else {
            return;
        };
        let process = self.process;
        self.store.submit(
            move |c| owners::release_lease(c, meeting, process, epoch),
            |_| {},
        );
    }
}
