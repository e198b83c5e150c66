//! A meeting's remote audience, as one number: the observers connected now,
//! to any of its rooms, each counted once however many connections it has.
//!
//! Observers may be thousands. Listing them in the `meeting` room made
//! every join cost every connected client a frame (quadratic traffic) and
//! the room grow with the audience; so the room shows only this count, in
//! `meeting.observers`, written at most once per [`Audience::EVERY`]: a
//! join storm of a thousand observers is a handful of writes, and a join
//! costs the others O(1).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Who of the audience is connected, and when the count was last shown.
#[derive(Default)]
pub(crate) struct Audience {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Observers connected now, with how many connections each has open.
    connected: HashMap<Uuid, u32>,
    /// A write of the count is scheduled and has not taken the count yet.
    scheduled: bool,
    /// When the count was last taken for a write.
    last_shown: Option<Instant>,
}

impl Audience {
    /// The count changes in the `meeting` room at most this often.
    pub(crate) const EVERY: Duration = Duration::from_secs(1);

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a connection of observer `user` in. Answers when to write the
    /// count, if a write must be scheduled now (none is pending).
    pub(crate) fn arrive(&self, user: Uuid) -> Option<Duration> {
        let mut inner = self.lock();
        let first = {
            let n = inner.connected.entry(user).or_default();
            *n += 1;
            *n == 1
        };
        if first { inner.schedule() } else { None }
    }

    /// Counts a connection of observer `user` out; answers as [`Self::arrive`].
    pub(crate) fn leave(&self, user: Uuid) -> Option<Duration> {
        let mut inner = self.lock();
        let n = inner.connected.get_mut(&user)?;
        *n -= 1;
        if *n > 0 {
            return None;
        }
        inner.connected.remove(&user);
        inner.schedule()
    }

    /// Observers connected now.
    /// Something else the shown count adds changed (the observers of
    /// other processes): when to write it, if a write is due.
    pub(crate) fn changed(&self) -> Option<Duration> {
        self.lock().schedule()
    }

    pub(crate) fn count(&self) -> usize {
        self.lock().connected.len()
    }

    /// Takes the count for the scheduled write; a change after this
    /// schedules the next write.
    pub(crate) fn take(&self) -> usize {
        let mut inner = self.lock();
        inner.scheduled = false;
        inner.last_shown = Some(Instant::now());
        inner.connected.len()
    }
}

impl Inner {
    /// When the next write is due, if none is scheduled yet: at once after
    /// a quiet spell, else [`Audience::EVERY`] after the last one.
    fn schedule(&mut self) -> Option<Duration> {
        if self.scheduled {
            return None;
        }
        self.scheduled = true;
        Some(match self.last_shown {
            Some(at) => (at + Audience::EVERY).saturating_duration_since(Instant::now()),
            None => Duration::ZERO,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_count_once_and_writes_wait_for_each_other() {
        let audience = Audience::default();
        let (ewa, jan) = (Uuid::from_u128(1), Uuid::from_u128(2));
        assert_eq!(
            audience.arrive(ewa),
            Some(Duration::ZERO),
            "the first shows at once"
        );
        // Pending: the next changes ride on the scheduled write.
        assert_eq!(audience.arrive(ewa), None);
        assert_eq!(audience.arrive(jan), None);
        assert_eq!(audience.count(), 2, "Ewa's two connections count once");
        assert_eq!(audience.take(), 2);
        // After a write, the next one waits for the rest of the second.
        let wait = audience.leave(ewa);
        assert_eq!(wait, None, "Ewa still has a connection");
        let wait = audience.leave(ewa).expect("a write to schedule");
        assert!(wait > Duration::from_millis(900), "{wait:?}");
        assert_eq!(audience.leave(jan), None);
        assert_eq!(audience.take(), 0);
        // A stray leave is ignored.
        assert_eq!(audience.leave(jan), None);
        assert_eq!(audience.count(), 0);
    }
}
