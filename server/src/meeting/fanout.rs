//! A room's writer to its followers. Followers (observers: they only
//! read) are not woken one by one for every frame the room relays: one
//! task per room takes the room's frames once, keeps the last few in a
//! ring, and writes each follower what it lacks, in a fixed order, straight
//! to its socket. A follower's own task still reads its socket and sends
//! its replies; while it owes replies the writer leaves it alone, so the
//! order of what a follower receives is the same as before.
//!
//! The promises hold as for every connection: only durable updates are
//! relayed; a follower gets every frame in order, merged when it is behind
//! (one frame for a run of updates, merged once per run for all followers
//! behind by the same run); a follower whose socket takes nothing keeps
//! its place and is written again when the socket drains; one that falls
//! behind the ring is caught up by its own task with the whole durable
//! state, and one that stops reading is closed by its task.
//!
//! The connection layer implements [`Outlet`] over its socket.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use futures_util::task::AtomicWaker;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{Notify, broadcast};
use yrs::sync::{Message, SyncMessage};
use yrs::updates::encoder::Encode;

/// A durable update as relayed: bytes encoded once, shared by every
/// receiver.
#[derive(Clone, Debug)]
pub struct Relayed {
    /// Connection the update came from.
    pub origin: u64,
    /// Its sequence number in the room's log; relayed updates are
    /// consecutive.
    pub seq: u64,
    /// The Yjs update itself, for merging with its neighbours.
    pub update: Arc<[u8]>,
    /// The update as a protocol message (cloning shares the bytes).
    pub frame: Bytes,
}

/// A frame for the connections of a room. Bytes are encoded once and
/// shared by every receiver.
#[derive(Clone, Debug)]
pub enum Relay {
    /// A durable document update, for everyone but the connection it came
    /// from (see [`crate::meeting::Origin`]).
    Update(Relayed),
    /// A presence change, as a protocol message.
    Awareness {
        /// Connection it came from.
        origin: u64,
        /// The encoded message.
        frame: Bytes,
    },
    /// The room failed; connections close with this reason and resync.
    Fail(Arc<str>),
}

/// A follower as the writer sees it.
pub trait Outlet: Send + Sync {
    /// Writes the follower what `feed` holds past its position, as far as
    /// its socket takes it now; where the socket is full, registers `cx`
    /// to be woken once it drains.
    fn serve(&self, feed: &mut Feed<'_>, cx: &mut Context<'_>);

    /// The room failed: the follower's connection is to close with
    /// `reason`.
    fn fail(&self, reason: &Arc<str>);
}

/// The followers of a room and the state of its writers.
pub struct Fanout {
    /// The followers split by connection id, one writer for each part:
    /// as many as the server has threads, so that a round over many
    /// followers uses every core that is free.
    shards: Box<[Shard]>,
    /// Frames a follower may fall behind by.
    backlog: usize,
    /// Runs of updates recently merged for connections that were behind.
    merges: Mutex<Merges>,
}

/// Some of a room's followers and their writer.
#[derive(Default)]
struct Shard {
    shared: Mutex<Shared>,
    /// Wakes the writer: a follower joined or left, or may be written
    /// again.
    poke: Notify,
}

impl Shard {
    fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Default)]
struct Shared {
    /// The position the writer gives the next frame it takes from the
    /// room; a follower that joins now gets every frame from there on.
    next: u64,
    /// Followers that joined since the writer last looked.
    joined: Vec<(u64, Arc<dyn Outlet>)>,
    /// Followers that left since the writer last looked.
    left: Vec<u64>,
    /// Followers, counted as they join and leave; the writer runs while
    /// there is one.
    count: usize,
    running: bool,
}

impl Fanout {
    /// The fan-out of a room whose followers may fall `backlog` frames
    /// behind: a writer per core, up to [`MAX_WRITERS`].
    pub fn new(backlog: usize) -> Fanout {
        let writers = std::thread::available_parallelism().map_or(1, |n| n.get());
        Fanout {
            shards: (0..writers.min(MAX_WRITERS))
                .map(|_| Shard::default())
                .collect(),
            backlog,
            merges: Mutex::default(),
        }
    }

    /// The part follower `conn` is in.
    fn shard(&self, conn: u64) -> &Shard {
        &self.shards[(conn % self.shards.len() as u64) as usize]
    }

    /// Where follower `conn` stands once it has everything the room
    /// relayed so far (for a follower caught up with the whole state: read
    /// before the state is).
    pub fn position(&self, conn: u64) -> u64 {
        self.shard(conn).shared().next
    }

    /// Asks follower `conn`'s writer to look at its followers again.
    pub fn poke(&self, conn: u64) {
        self.shard(conn).poke.notify_one();
    }

    /// Hands follower `conn` to the room's writer (starting it, with a
    /// receiver of `relay`, if it is not running) and answers the
    /// follower's position: every frame the room relays from now on comes
    /// after it. Must be called before the follower's first state is
    /// read, so that none falls in between.
    pub fn follow(
        self: &Arc<Self>,
        relay: &broadcast::Sender<Relay>,
        conn: u64,
        outlet: Arc<dyn Outlet>,
    ) -> u64 {
        let part = (conn % self.shards.len() as u64) as usize;
        let mut shared = self.shards[part].shared();
        shared.joined.push((conn, outlet));
        shared.count += 1;
        if !shared.running {
            shared.running = true;
            let writer = write(self.clone(), part, relay.subscribe(), shared.next);
            tokio::spawn(tokio::task::unconstrained(writer));
        }
        let next = shared.next;
        drop(shared);
        self.poke(conn);
        next
    }

    /// Takes follower `conn` from the writer; it writes it nothing more.
    pub fn unfollow(&self, conn: u64) {
        let mut shared = self.shard(conn).shared();
        shared.left.push(conn);
        shared.count -= 1;
        drop(shared);
        self.poke(conn);
    }

    /// The updates of `run` merged into one protocol message (the stock
    /// client reads one message per frame, so they are merged, not
    /// concatenated). A run of consecutive updates (`whole`) is merged
    /// once and kept for a while: connections that fall behind together
    /// ask for the same runs. None if they do not merge, which cannot
    /// happen for updates the room itself produced.
    pub fn merge_run(&self, run: &[&Relayed], whole: bool) -> Option<Bytes> {
        let (head, tail) = (run.first()?, run.last()?);
        if run.len() == 1 {
            return Some(head.frame.clone());
        }
        let merge = || match yrs::merge_updates_v1(run.iter().map(|q| &q.update[..])) {
            Ok(merged) => Some(Bytes::from(
                Message::Sync(SyncMessage::Update(merged)).encode_v1(),
            )),
            Err(e) => {
                tracing::error!(error = %e, "could not merge relayed updates");
                None
            }
        };
        if !whole {
            return merge();
        }
        let lock = || self.merges.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bytes) = lock().get(head.seq, tail.seq) {
            return Some(bytes);
        }
        let bytes = merge()?;
        lock().put(head.seq, tail.seq, bytes.clone());
        Some(bytes)
    }
}

/// Followers written in a row before the writer lets other tasks run.
const ROUND_SLICE: usize = 256;

/// Writers of one room at most.
const MAX_WRITERS: usize = 8;

/// Updates merged into one frame at most.
pub const MAX_RUN: usize = 512;

/// The writer of part `part` of a room's followers: runs while the part
/// has followers.
async fn write(
    fanout: Arc<Fanout>,
    part: usize,
    mut relay: broadcast::Receiver<Relay>,
    first: u64,
) {
    let shard = &fanout.shards[part];
    let woken = Arc::new(Drained::default());
    let waker = Waker::from(woken.clone());
    let mut ring = Ring {
        first,
        frames: VecDeque::new(),
        capacity: fanout.backlog,
        failed: None,
    };
    let mut writer = Writer {
        shard,
        followers: Followers::default(),
    };
    let followers = &mut writer.followers;
    loop {
        ring.drain(&mut relay, followers);
        {
            let mut shared = shard.shared();
            shared.next = ring.next();
            followers.update(&mut shared, ring.failed.as_ref());
            if shared.count == 0 {
                shared.running = false;
                return;
            }
        }
        // The round, in slices; between two, other tasks run and the
        // frames relayed meanwhile join the ring, so that a long round does
        // not let the room's broadcast lap the writer.
        let mut from = 0;
        while from < followers.list.len() {
            let to = (from + ROUND_SLICE).min(followers.list.len());
            let mut feed = Feed {
                fanout: &fanout,
                ring: &ring,
                memo: None,
            };
            for (_, outlet) in &followers.list[from..to] {
                outlet.serve(&mut feed, &mut Context::from_waker(&waker));
            }
            from = to;
            if from < followers.list.len() {
                tokio::task::yield_now().await;
                ring.drain(&mut relay, followers);
            }
        }
        tokio::select! {
            biased;
            r = relay.recv() => match r {
                Ok(frame) => ring.take(frame, followers),
                Err(RecvError::Lagged(missed)) => ring.lagged(missed),
                Err(RecvError::Closed) => {
                    // The room is gone, and its followers with it.
                    shard.shared().running = false;
                    return;
                }
            },
            () = shard.poke.notified() => {}
            () = woken.wait() => {}
        }
    }
}

/// A running writer. Should it panic, its followers are told (their tasks
/// close their connections, and the clients reconnect) and another writer
/// may start.
struct Writer<'a> {
    shard: &'a Shard,
    followers: Followers,
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let reason: Arc<str> = "the server's writer for this room failed; reconnect".into();
        let mut shared = self.shard.shared();
        shared.running = false;
        self.followers.update(&mut shared, Some(&reason));
        for (_, outlet) in &self.followers.list {
            outlet.fail(&reason);
        }
    }
}

/// The writer's own list of followers, in the order it writes them.
#[derive(Default)]
struct Followers {
    list: Vec<(u64, Arc<dyn Outlet>)>,
    at: HashMap<u64, usize>,
}

impl Followers {
    /// Takes in who joined and who left; who joins a room that failed is
    /// told at once.
    fn update(&mut self, shared: &mut Shared, failed: Option<&Arc<str>>) {
        for (conn, outlet) in shared.joined.drain(..) {
            if let Some(reason) = failed {
                outlet.fail(reason);
            }
            self.at.insert(conn, self.list.len());
            self.list.push((conn, outlet));
        }
        for conn in shared.left.drain(..) {
            let Some(i) = self.at.remove(&conn) else {
                continue;
            };
            self.list.swap_remove(i);
            if let Some((moved, _)) = self.list.get(i) {
                self.at.insert(*moved, i);
            }
        }
    }
}

/// The last frames the room relayed, by position.
struct Ring {
    /// Position of the oldest frame kept.
    first: u64,
    frames: VecDeque<Relay>,
    capacity: usize,
    /// Why the room failed, once it has.
    failed: Option<Arc<str>>,
}

impl Ring {
    /// The position of the next frame.
    fn next(&self) -> u64 {
        self.first + self.frames.len() as u64
    }

    /// Keeps the frames the room relayed since the writer last looked.
    fn drain(&mut self, relay: &mut broadcast::Receiver<Relay>, followers: &Followers) {
        loop {
            match relay.try_recv() {
                Ok(frame) => self.take(frame, followers),
                Err(TryRecvError::Lagged(missed)) => self.lagged(missed),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }

    /// Keeps a frame from the room; a failure goes to every follower.
    fn take(&mut self, frame: Relay, followers: &Followers) {
        if let Relay::Fail(reason) = frame {
            for (_, outlet) in &followers.list {
                outlet.fail(&reason);
            }
            self.failed = Some(reason);
            return;
        }
        if self.frames.len() == self.capacity {
            self.frames.pop_front();
            self.first += 1;
        }
        self.frames.push_back(frame);
    }

    /// The writer itself fell behind the room by `missed` frames: every
    /// follower is behind, and is caught up with the whole state.
    fn lagged(&mut self, missed: u64) {
        tracing::info!(
            missed,
            "the room's writer fell behind; its followers catch up"
        );
        self.first = self.next() + 1;
        self.frames.clear();
    }
}

/// What the writer has for a follower.
pub enum Fed<'a> {
    /// Nothing new.
    Nothing,
    /// Frames the ring no longer holds: the follower needs the whole state.
    Behind,
    /// These messages in order, each with the position after it; the last
    /// position is where the follower stands once all are written.
    Frames(&'a [(Bytes, u64)], u64),
}

/// The frames of one round, shared by the followers that stand at the
/// same place.
pub struct Feed<'a> {
    fanout: &'a Fanout,
    ring: &'a Ring,
    memo: Option<Memo>,
}

/// The messages last made for a position.
struct Memo {
    from: u64,
    /// Who sent the frames covered; a follower among them is not sent
    /// its own and gets messages of its own.
    origins: Vec<u64>,
    messages: Vec<(Bytes, u64)>,
    end: u64,
    /// Made for this follower alone.
    only: Option<u64>,
}

impl Feed<'_> {
    /// What follower `conn` at position `from` is to be written.
    pub fn frames(&mut self, from: u64, conn: u64) -> Fed<'_> {
        let ring = self.ring;
        if from >= ring.next() {
            return Fed::Nothing;
        }
        if from < ring.first {
            return Fed::Behind;
        }
        let fits = |m: &Memo| {
            m.from == from
                && match m.only {
                    Some(c) => c == conn,
                    None => !m.origins.contains(&conn),
                }
        };
        if !self.memo.as_ref().is_some_and(fits) {
            let mut memo = self.make(from, None);
            if memo.origins.contains(&conn) {
                memo = self.make(from, Some(conn));
            }
            self.memo = Some(memo);
        }
        let memo = self.memo.as_ref().expect("just made");
        if memo.messages.is_empty() && memo.end == from {
            return Fed::Behind;
        }
        Fed::Frames(&memo.messages, memo.end)
    }

    /// The messages from `from` to the newest frame, leaving out those
    /// `skip` sent. An empty list ending at `from` means the updates could
    /// not be merged (the follower then takes the whole state).
    fn make(&self, from: u64, skip: Option<u64>) -> Memo {
        let ring = self.ring;
        let mut memo = Memo {
            from,
            origins: Vec::new(),
            messages: Vec::new(),
            end: ring.next(),
            only: skip,
        };
        let mut run: Vec<&Relayed> = Vec::new();
        let start = (from - ring.first) as usize;
        for (at, frame) in (from + 1..).zip(ring.frames.range(start..)) {
            let (origin, frame) = match frame {
                Relay::Update(u) => {
                    memo.origins.push(u.origin);
                    if Some(u.origin) != skip {
                        run.push(u);
                    }
                    if run.len() == MAX_RUN && !self.flush(&mut run, at, &mut memo) {
                        return memo.failed(from);
                    }
                    continue;
                }
                Relay::Awareness { origin, frame } => (*origin, frame),
                Relay::Fail(_) => continue,
            };
            if !self.flush(&mut run, at - 1, &mut memo) {
                return memo.failed(from);
            }
            memo.origins.push(origin);
            if Some(origin) != skip {
                memo.messages.push((frame.clone(), at));
            }
        }
        if !self.flush(&mut run, memo.end, &mut memo) {
            return memo.failed(from);
        }
        memo.origins.sort_unstable();
        memo.origins.dedup();
        memo
    }

    /// Adds the run of updates as one message ending at position `at`;
    /// false if they do not merge.
    fn flush(&self, run: &mut Vec<&Relayed>, at: u64, memo: &mut Memo) -> bool {
        if run.is_empty() {
            return true;
        }
        let whole = run.windows(2).all(|w| w[0].seq + 1 == w[1].seq);
        let merged = self.fanout.merge_run(run, whole);
        run.clear();
        match merged {
            Some(bytes) => {
                memo.messages.push((bytes, at));
                true
            }
            None => false,
        }
    }
}

impl Memo {
    fn failed(mut self, from: u64) -> Memo {
        self.messages.clear();
        self.end = from;
        self
    }
}

/// Wakes the writer when a follower's full socket drains.
#[derive(Default)]
struct Drained {
    ready: AtomicBool,
    waker: AtomicWaker,
}

impl Wake for Drained {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.ready.store(true, Ordering::Release);
        self.waker.wake();
    }
}

impl Drained {
    async fn wait(&self) {
        std::future::poll_fn(|cx| {
            self.waker.register(cx.waker());
            if self.ready.swap(false, Ordering::AcqRel) {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }
}

/// The last few merged runs of updates, by first and last sequence number.
#[derive(Default)]
struct Merges {
    runs: Vec<((u64, u64), Bytes)>,
    next: usize,
}

impl Merges {
    /// Runs kept; enough for the distinct runs of one round of fan-out.
    const KEPT: usize = 32;

    fn get(&self, first: u64, last: u64) -> Option<Bytes> {
        self.runs
            .iter()
            .find(|(run, _)| *run == (first, last))
            .map(|(_, bytes)| bytes.clone())
    }

    fn put(&mut self, first: u64, last: u64, bytes: Bytes) {
        if self.runs.len() < Self::KEPT {
            self.runs.push(((first, last), bytes));
        } else {
            self.runs[self.next] = ((first, last), bytes);
            self.next = (self.next + 1) % Self::KEPT;
        }
    }
}
