//! A follower's socket, shared by its own task and its room's writer (see
//! [`crate::meeting::fanout`]). The task reads it and sends its replies,
//! pings and heartbeats through [`Shared`]; the writer writes it the room's
//! frames through [`Outlet`]. Both hold the lock only around single calls
//! into the socket, whose messages are whole frames, so theirs never
//! interleave; while the task owes replies, or waits for the socket to take
//! its own, the writer leaves the socket alone.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use tokio_tungstenite::tungstenite::{Error as WsError, Message as WsMessage};

use super::{FRAGMENT, MessageSocket};
use crate::meeting::{Fed, Feed, LiveRoom, Outlet};

/// One of the socket's sink polls (`poll_ready`, `poll_flush`...).
type SinkPoll<S> = fn(Pin<&mut S>, &mut Context<'_>) -> Poll<Result<(), WsError>>;

/// What the writer leaves to the follower's task.
#[derive(Default)]
pub(super) struct News {
    /// The follower fell behind the writer's ring: it needs the whole
    /// state.
    pub behind: bool,
    /// Messages too large for the writer (it sends no fragments), to send
    /// next, in order.
    pub handoff: Vec<Bytes>,
    /// The room failed, for this reason.
    pub fail: Option<Arc<str>>,
    /// Writing the socket failed: the peer is gone.
    pub broken: bool,
}

impl News {
    fn any(&self) -> bool {
        self.behind || !self.handoff.is_empty() || self.fail.is_some() || self.broken
    }
}

/// A follower: its socket and where it stands in the room's frames.
pub(super) struct Follower<S> {
    conn: u64,
    room: Arc<LiveRoom>,
    out: Mutex<Out<S>>,
}

struct Out<S> {
    socket: S,
    /// The position of the next frame of the room to write it.
    pos: u64,
    /// The task owes replies (or is about to): the writer waits.
    paused: bool,
    /// The task waits for the socket to take its message.
    task_writing: bool,
    /// The writer passed the follower by while the task held it.
    skipped: bool,
    /// The writer's last frames are not all out yet.
    unflushed: bool,
    /// Since when the socket has not taken what the writer wrote.
    stalled_since: Option<Instant>,
    /// The writer wrote a message since the task last asked.
    sent: bool,
    news: News,
    /// The task, to wake for news.
    task: Option<Waker>,
    /// The task ends the connection: nothing more is written.
    ended: bool,
}

impl<S: MessageSocket> Follower<S> {
    /// Follower `conn` of `room` on `socket`, paused until its task has
    /// sent its first replies.
    pub(super) fn new(conn: u64, room: Arc<LiveRoom>, socket: S) -> Arc<Follower<S>> {
        Arc::new(Follower {
            conn,
            room,
            out: Mutex::new(Out {
                socket,
                pos: 0,
                paused: true,
                task_writing: false,
                skipped: false,
                unflushed: false,
                stalled_since: None,
                sent: false,
                news: News::default(),
                task: None,
                ended: false,
            }),
        })
    }

    fn out(&self) -> MutexGuard<'_, Out<S>> {
        self.out.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The follower as its task sees it.
pub(super) trait Followed: Send + Sync {
    /// Starts (or, after a catch-up with the whole state, restarts) the
    /// follower at position `pos`.
    fn start_at(&self, pos: u64);

    /// Tells the writer whether the task owes replies; it writes nothing
    /// while it does.
    fn pause(&self, paused: bool);

    /// What the writer left to the task, once there is any; the writer
    /// waits until the task has dealt with it (and sent what it owes).
    fn poll_news(&self, cx: &mut Context<'_>) -> Poll<News>;

    /// Whether the writer wrote a message since the last time asked.
    fn take_sent(&self) -> bool;

    /// Since when the socket has not taken what the writer wrote.
    fn stalled_since(&self) -> Option<Instant>;
}

impl<S: MessageSocket> Followed for Follower<S> {
    fn start_at(&self, pos: u64) {
        self.out().pos = pos;
    }

    fn pause(&self, paused: bool) {
        let mut out = self.out();
        out.paused = paused;
        self.resume(out);
    }

    fn poll_news(&self, cx: &mut Context<'_>) -> Poll<News> {
        let mut out = self.out();
        if out.news.any() {
            out.paused = true;
            return Poll::Ready(std::mem::take(&mut out.news));
        }
        if !out.task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            out.task = Some(cx.waker().clone());
        }
        Poll::Pending
    }

    fn take_sent(&self) -> bool {
        std::mem::take(&mut self.out().sent)
    }

    fn stalled_since(&self) -> Option<Instant> {
        self.out().stalled_since
    }
}

impl<S: MessageSocket> Follower<S> {
    /// The connection ends: the writer writes nothing more, and forgets
    /// the follower.
    fn end(&self) {
        self.out().ended = true;
        self.room.fanout.unfollow(self.conn);
    }

    /// Pokes the writer if it passed the follower by and may write it now.
    fn resume(&self, mut out: MutexGuard<'_, Out<S>>) {
        if out.skipped && !out.paused && !out.task_writing {
            out.skipped = false;
            drop(out);
            self.room.fanout.poke(self.conn);
        }
    }
}

impl<S> Out<S> {
    fn tell(&mut self, news: impl FnOnce(&mut News)) {
        news(&mut self.news);
        if let Some(task) = self.task.take() {
            task.wake();
        }
    }
}

impl<S: MessageSocket> Out<S> {
    /// Polls the socket for what `f` asks, first without registering for a
    /// wake-up (most sockets take a frame at once), then, if it must wait,
    /// registering the writer's `cx`.
    fn poll(&mut self, cx: &mut Context<'_>, f: SinkPoll<S>) -> Poll<Result<(), WsError>> {
        let mut quiet = Context::from_waker(Waker::noop());
        match f(Pin::new(&mut self.socket), &mut quiet) {
            Poll::Pending => f(Pin::new(&mut self.socket), cx),
            ready => ready,
        }
    }

    /// Writes `frames` (each with the position after it) and flushes, as
    /// far as the socket takes them; the follower then stands at `end`.
    fn write(&mut self, frames: &[(Bytes, u64)], end: u64, cx: &mut Context<'_>) {
        for (bytes, at) in frames {
            match self.poll(cx, |s, cx| s.poll_ready(cx)) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => return self.tell(|n| n.broken = true),
                Poll::Pending => {
                    self.stalled_since.get_or_insert_with(Instant::now);
                    return;
                }
            }
            if Pin::new(&mut self.socket)
                .start_send(WsMessage::Binary(bytes.clone()))
                .is_err()
            {
                return self.tell(|n| n.broken = true);
            }
            self.pos = *at;
            self.sent = true;
        }
        self.pos = end;
        self.flush(cx);
    }

    /// Flushes what the writer wrote; true once it is all out. The
    /// server's socket writes each message as it takes it (its write
    /// buffer is 0), so one ready for the next message has written the
    /// last: asking that costs nothing, where a flush registers a waker
    /// every time.
    fn flush(&mut self, cx: &mut Context<'_>) -> bool {
        match self.poll(cx, |s, cx| s.poll_ready(cx)) {
            Poll::Ready(Ok(())) => {
                self.unflushed = false;
                self.stalled_since = None;
                true
            }
            Poll::Ready(Err(_)) => {
                self.tell(|n| n.broken = true);
                false
            }
            Poll::Pending => {
                self.unflushed = true;
                self.stalled_since.get_or_insert_with(Instant::now);
                false
            }
        }
    }
}

impl<S: MessageSocket> Outlet for Follower<S> {
    fn serve(&self, feed: &mut Feed<'_>, cx: &mut Context<'_>) {
        let mut out = self.out();
        if out.ended {
            return;
        }
        // What the writer left in the socket may go out while the task
        // owes replies (it holds whole frames only), but not while the
        // task waits on the socket: its wake-up would be taken.
        if out.unflushed && (out.task_writing || !out.flush(cx)) {
            return;
        }
        if out.paused || out.task_writing || out.news.any() {
            out.skipped = true;
            return;
        }
        match feed.frames(out.pos, self.conn) {
            Fed::Nothing => {}
            Fed::Behind => out.tell(|n| n.behind = true),
            Fed::Frames(frames, end) => {
                if frames.iter().any(|(bytes, _)| bytes.len() > FRAGMENT) {
                    out.pos = end;
                    let handoff = frames.iter().map(|(bytes, _)| bytes.clone()).collect();
                    out.tell(|n| n.handoff = handoff);
                } else {
                    out.write(frames, end, cx);
                }
            }
        }
    }

    fn fail(&self, reason: &Arc<str>) {
        self.out().tell(|n| n.fail = Some(reason.clone()));
    }
}

/// The follower's task's side of its socket. Dropped when the connection
/// ends (however it ends), which takes the follower from the writer; a
/// frame the writer might still try after the close frame, the socket
/// refuses.
pub(super) struct Shared<S: MessageSocket>(pub(super) Arc<Follower<S>>);

impl<S: MessageSocket> Drop for Shared<S> {
    fn drop(&mut self) {
        self.0.end();
    }
}

impl<S: MessageSocket> Shared<S> {
    /// Polls the socket's sink for the task; the writer keeps off while it
    /// waits.
    fn sink(&mut self, cx: &mut Context<'_>, f: SinkPoll<S>) -> Poll<Result<(), WsError>> {
        let mut out = self.0.out();
        // The writer waits for the socket to drain: this poll takes the
        // wake-up it registered, so it is poked once the task is done.
        if out.unflushed {
            out.skipped = true;
        }
        let polled = f(Pin::new(&mut out.socket), cx);
        out.task_writing = polled.is_pending();
        if let Poll::Ready(Ok(())) = polled {
            // What the writer left in the socket went out with it.
            out.unflushed = false;
            out.stalled_since = None;
        }
        self.0.resume(out);
        polled
    }
}

impl<S: MessageSocket> Stream for Shared<S> {
    type Item = Result<WsMessage, WsError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.out().socket.poll_next_unpin(cx)
    }
}

impl<S: MessageSocket> Sink<WsMessage> for Shared<S> {
    type Error = WsError;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.sink(cx, |s, cx| s.poll_ready(cx))
    }

    fn start_send(self: Pin<&mut Self>, msg: WsMessage) -> Result<(), WsError> {
        self.0.out().socket.start_send_unpin(msg)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.sink(cx, |s, cx| s.poll_flush(cx))
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), WsError>> {
        self.sink(cx, |s, cx| s.poll_close(cx))
    }
}
