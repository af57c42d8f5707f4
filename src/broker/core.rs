//! [`Broker`]: the server sessions of every connection, the sessions of clients that are away,
//! and everything between them.

use alloc::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};
use alloc::vec::Vec;
use core::cmp::Reverse;

use super::policy::{AllowAll, Identity, Policy};
use super::stats::BrokerStats;
use super::{Matches, RetainedStore, SubscriptionTree};
use crate::session::{
    ConnectionError, Instant, Message, ServerConfig, ServerEvent, ServerSession, SessionState,
};
use crate::{ByteString, BytesMut, Connect};

/// A connection of a [`Broker`]: an index and a generation, so an id of a closed connection
/// never reaches the connection that reuses its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId {
    index: u32,
    generation: u32,
}

impl ConnId {
    /// The slot index (reused after the connection is gone).
    pub const fn index(self) -> u32 {
        self.index
    }
}

impl core::fmt::Display for ConnId {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

/// A session's key in the subscription tree: never reused by a broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct SessionKey(pub(crate) u64);

/// How a [`Broker`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokerConfig {
    /// The configuration of every connection's [`ServerSession`]: the limits announced in
    /// CONNACK, queue bounds, timeouts. Its `ack_mode` is ignored: the broker acknowledges each
    /// message once it is routed.
    pub server: ServerConfig,
    /// The prefix of the identifiers assigned to clients that send an empty one
    /// ([MQTT-3.1.3-6]), followed by a number. Default `"auto-"`.
    pub assigned_id_prefix: &'static str,
    /// Retained messages kept at most; a new topic beyond it is not retained (replacing or
    /// deleting an existing one always works). Default 100,000.
    pub max_retained: usize,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        BrokerConfig {
            server: ServerConfig::default(),
            assigned_id_prefix: "auto-",
            max_retained: 100_000,
        }
    }
}

impl BrokerConfig {
    /// Sets [`server`](Self::server).
    #[must_use]
    pub fn server(mut self, server: ServerConfig) -> Self {
        self.server = server;
        self
    }

    /// Sets [`max_retained`](Self::max_retained).
    #[must_use]
    pub fn max_retained(mut self, max: usize) -> Self {
        self.max_retained = max;
        self
    }
}

/// What the broker tells the I/O layer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BrokerEvent {
    /// A client's CONNECT was accepted.
    Connected {
        /// The connection.
        conn: ConnId,
        /// Its client identifier.
        client_id: ByteString,
        /// Whether a stored session was resumed.
        session_present: bool,
    },
    /// A connection ended (the protocol's last bytes, if any, are still to be transmitted).
    Disconnected {
        /// The connection.
        conn: ConnId,
        /// Its client identifier, if the CONNECT was accepted.
        client_id: Option<ByteString>,
        /// Why.
        error: ConnectionError,
    },
    /// Every byte owed to this connection was handed out: close its transport, then call
    /// [`Broker::handle_transport_closed`].
    Close {
        /// The connection.
        conn: ConnId,
    },
}

pub(crate) struct Conn {
    pub(crate) server: ServerSession,
    /// The session this connection carries, once its CONNECT was accepted.
    pub(crate) session: Option<SessionKey>,
    pub(crate) identity: Identity,
    /// A CONNECT in an enhanced authentication exchange.
    pub(crate) authenticating: Option<alloc::boxed::Box<Connect>>,
    /// Queued for `poll_transmit`.
    pub(crate) dirty: bool,
    /// `Close` was reported.
    pub(crate) close_reported: bool,
    /// The earliest deadline of this connection in the broker's timer heap, if any.
    pub(crate) timer: Option<Instant>,
}

pub(crate) struct Slot {
    generation: u32,
    /// Boxed: the table grows by doubling, and its spare slots then cost 16 bytes each rather
    /// than a whole connection.
    conn: Option<alloc::boxed::Box<Conn>>,
}

/// The connection `id` in `slots` (a free function, so that other fields of the broker stay
/// borrowable while it is read).
fn conn_in_mut(slots: &mut [Slot], id: ConnId) -> Option<&mut Conn> {
    let slot = slots.get_mut(id.index as usize)?;
    if slot.generation != id.generation {
        return None;
    }
    slot.conn.as_deref_mut()
}

pub(crate) fn conn_in(slots: &[Slot], id: ConnId) -> Option<&Conn> {
    let slot = slots.get(id.index as usize)?;
    if slot.generation != id.generation {
        return None;
    }
    slot.conn.as_deref()
}

/// A session, connected or not.
pub(crate) struct Session {
    pub(crate) client_id: ByteString,
    pub(crate) identity: Identity,
    /// The connection carrying it.
    pub(crate) conn: Option<ConnId>,
    /// The state while no connection carries it (boxed: most sessions are connected, and
    /// the map of sessions keeps every record inline).
    pub(crate) detached: Option<alloc::boxed::Box<SessionState>>,
    /// When a detached session ends (`None`: never, or connected).
    pub(crate) expires_at: Option<Instant>,
    /// When its will is due, if one waits (see `Broker::wills`).
    pub(crate) will_at: Option<Instant>,
}

/// A sans-IO MQTT broker: it owns a [`ServerSession`] per connection, the sessions of clients
/// that are away, the subscriptions and the retained messages, and routes every message between
/// them as it arrives. Bytes in, bytes and events out, time passed in: a complete broker is an
/// I/O loop around it, and a broker with its clients runs inside one deterministic test.
///
/// The run loop: [`open`](Self::open) each accepted transport; feed it with
/// [`handle_input`](Self::handle_input); call [`poll_transmit`](Self::poll_transmit) until it
/// returns `None`, writing each connection's bytes; act on [`poll_event`](Self::poll_event)
/// (close a transport on [`BrokerEvent::Close`]); wake at [`poll_timeout`](Self::poll_timeout)
/// for [`handle_timeout`](Self::handle_timeout); report closed transports with
/// [`handle_transport_closed`](Self::handle_transport_closed).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::broker::{Broker, BrokerConfig};
/// use mqtt_wire::session::Instant;
///
/// let now = Instant::ZERO;
/// let mut broker = Broker::new(BrokerConfig::default());
/// let conn = broker.open(now, None);
/// // A 3.1.1 CONNECT: clean session, keep alive 60, client id "c1".
/// broker.handle_input(now, conn, &mut BytesMut::from(&b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1"[..]));
/// let mut tx = BytesMut::new();
/// assert_eq!(broker.poll_transmit(now, &mut tx), Some(conn));
/// assert_eq!(&tx[..], b"\x20\x02\x00\x00"); // CONNACK: accepted
/// ```
pub struct Broker<P: Policy = AllowAll> {
    pub(crate) config: BrokerConfig,
    pub(crate) policy: P,
    pub(crate) now: Instant,
    pub(crate) slots: Vec<Slot>,
    free: Vec<u32>,
    dirty: VecDeque<ConnId>,
    /// Connection deadlines (handshake, keep alive), earliest first. Entries are not removed
    /// when a deadline moves later or a connection goes: such stale entries are dropped when
    /// they reach the top (see `settle_timers`), so a received packet costs no heap update.
    timers: BinaryHeap<Reverse<(Instant, ConnId)>>,
    pub(crate) sessions: BTreeMap<SessionKey, Session>,
    pub(crate) by_client_id: BTreeMap<ByteString, SessionKey>,
    pub(crate) next_key: u64,
    pub(crate) next_assigned: u64,
    pub(crate) tree: SubscriptionTree<SessionKey>,
    pub(crate) retained: RetainedStore,
    pub(crate) matches: Matches<SessionKey>,
    /// Round-robin position per shared subscription group.
    pub(crate) shared_next: BTreeMap<super::GroupId, usize>,
    /// Messages a shared group gave a member, until the member completes them: if its session
    /// ends first, another member gets them.
    pub(crate) shared_flows: BTreeMap<(SessionKey, crate::session::PublishId), super::GroupId>,
    /// Wills waiting for their delay, by due time.
    pub(crate) wills: BTreeMap<(Instant, SessionKey), Message>,
    /// Detached sessions by expiry time.
    pub(crate) expiries: BTreeSet<(Instant, SessionKey)>,
    pub(crate) events: VecDeque<BrokerEvent>,
    pub(crate) stats: BrokerStats,
    /// Property sets of Subscription Identifiers alone, built once (see `route.rs`).
    pub(crate) identifier_sets: super::route::IdentifierSets,
}

impl<P: Policy> core::fmt::Debug for Broker<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Broker")
            .field("now", &self.now)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Broker<AllowAll> {
    /// A broker that lets everyone connect, publish and subscribe.
    pub fn new(config: BrokerConfig) -> Broker<AllowAll> {
        Broker::with_policy(config, AllowAll)
    }
}

impl<P: Policy> Broker<P> {
    /// A broker whose connections, publishes and subscriptions `policy` decides on.
    pub fn with_policy(mut config: BrokerConfig, policy: P) -> Broker<P> {
        config.server.ack_mode = crate::session::AckMode::Manual;
        Broker {
            config,
            policy,
            now: Instant::ZERO,
            slots: Vec::new(),
            free: Vec::new(),
            dirty: VecDeque::new(),
            timers: BinaryHeap::new(),
            sessions: BTreeMap::new(),
            by_client_id: BTreeMap::new(),
            next_key: 0,
            next_assigned: 0,
            tree: SubscriptionTree::new(),
            retained: RetainedStore::new(),
            matches: Matches::new(),
            shared_next: BTreeMap::new(),
            shared_flows: BTreeMap::new(),
            wills: BTreeMap::new(),
            expiries: BTreeSet::new(),
            events: VecDeque::new(),
            stats: BrokerStats::default(),
            identifier_sets: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BrokerConfig {
        &self.config
    }

    /// The policy.
    pub fn policy_mut(&mut self) -> &mut P {
        &mut self.policy
    }

    /// The counters.
    pub fn stats(&self) -> &BrokerStats {
        &self.stats
    }

    pub(crate) fn advance(&mut self, now: Instant) -> Instant {
        self.now = self.now.max(now);
        self.now
    }

    /// A transport was accepted: its connection id. `peer` (the remote address, as text) is
    /// passed to the policy.
    pub fn open(&mut self, now: Instant, peer: Option<ByteString>) -> ConnId {
        let now = self.advance(now);
        let conn = Conn {
            server: ServerSession::new(self.config.server.clone(), now),
            session: None,
            identity: Identity {
                peer,
                ..Identity::default()
            },
            authenticating: None,
            dirty: false,
            close_reported: false,
            timer: None,
        };
        self.stats.connections += 1;
        let id = match self.free.pop() {
            Some(index) => {
                let slot = self.slots.get_mut(index as usize);
                let generation = slot.map_or(0, |s| {
                    s.conn = Some(alloc::boxed::Box::new(conn));
                    s.generation
                });
                ConnId { index, generation }
            }
            None => {
                let index = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
                self.slots.push(Slot {
                    generation: 0,
                    conn: Some(alloc::boxed::Box::new(conn)),
                });
                ConnId {
                    index,
                    generation: 0,
                }
            }
        };
        self.arm(id);
        id
    }

    pub(crate) fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        let slot = self.slots.get_mut(id.index as usize)?;
        if slot.generation != id.generation {
            return None;
        }
        slot.conn.as_deref_mut()
    }

    pub(crate) fn conn(&self, id: ConnId) -> Option<&Conn> {
        conn_in(&self.slots, id)
    }

    /// Puts `id`'s deadline in the timer heap when it is earlier than the one there (a later
    /// one waits for the stale entry to reach the top), then settles the top if it is `id`'s:
    /// only the top's own connection can make the top stale.
    fn arm(&mut self, id: ConnId) {
        let Some(c) = self.conn_mut(id) else {
            return;
        };
        let deadline = c.server.poll_timeout();
        if deadline == c.timer {
            return;
        }
        if let Some(at) = deadline
            && c.timer.is_none_or(|t| at < t)
        {
            c.timer = Some(at);
            self.timers.push(Reverse((at, id)));
        }
        if self
            .timers
            .peek()
            .is_some_and(|Reverse((_, top))| *top == id)
        {
            self.settle_timers();
        }
    }

    /// Drops stale entries from the top of the timer heap, so that its top is a connection's
    /// actual deadline (what `poll_timeout` reports): an entry of a connection that is gone,
    /// or whose deadline moved later (the later deadline is pushed in its place). The heap is
    /// rebuilt when stale entries make up most of it, which bounds it by the connections.
    fn settle_timers(&mut self) {
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            let Some(c) = conn_in_mut(&mut self.slots, id) else {
                self.timers.pop();
                continue;
            };
            let actual = c.server.poll_timeout();
            if c.timer == Some(at) && actual == Some(at) {
                break;
            }
            self.timers.pop();
            if c.timer == Some(at) {
                c.timer = actual;
                if let Some(deadline) = actual {
                    self.timers.push(Reverse((deadline, id)));
                }
            }
        }
        if self.timers.len() > 64 && self.timers.len() > 2 * self.stats.connections {
            self.rebuild_timers();
        }
    }

    fn rebuild_timers(&mut self) {
        let mut timers = core::mem::take(&mut self.timers).into_vec();
        timers.clear();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            let Some(c) = slot.conn.as_mut() else {
                continue;
            };
            c.timer = c.server.poll_timeout();
            if let (Some(at), Ok(index)) = (c.timer, u32::try_from(index)) {
                let id = ConnId {
                    index,
                    generation: slot.generation,
                };
                timers.push(Reverse((at, id)));
            }
        }
        self.timers = BinaryHeap::from(timers);
    }

    /// Marks `id` as having output for `poll_transmit`.
    pub(crate) fn touch(&mut self, id: ConnId) {
        if let Some(conn) = self.conn_mut(id)
            && !conn.dirty
        {
            conn.dirty = true;
            self.dirty.push_back(id);
        }
    }

    /// Bytes from `conn`'s transport: every whole packet is taken off `rx` and handled (and
    /// each PUBLISH routed to its subscribers at once); a partial packet stays. While the
    /// connection's session cannot take more (its events or output are full) bytes stay in
    /// `rx` too. Unknown or closed connections: `rx` is cleared.
    pub fn handle_input(&mut self, now: Instant, conn: ConnId, rx: &mut BytesMut) {
        let now = self.advance(now);
        loop {
            let Some(c) = self.conn_mut(conn) else {
                rx.clear();
                return;
            };
            let before = rx.len();
            c.server.handle_input(now, rx);
            let taken = before - rx.len();
            self.stats.bytes_in += taken as u64;
            self.process(conn);
            self.touch(conn);
            // Its own input is what moves a connection's deadlines (the handshake's end, keep
            // alive); what other connections do can only end it, which leaves a stale entry.
            self.arm(conn);
            // The session stops reading at a CONNECT until it is decided, which `process` just
            // did; a client need not wait for CONNACK before it sends more (§3.1.4), so the
            // bytes behind the CONNECT are handled now rather than when more arrive.
            if taken == 0 || rx.is_empty() {
                return;
            }
        }
    }

    /// `conn`'s transport closed (after a [`BrokerEvent::Close`], or on its own): its session
    /// is detached or ended, its will handled, and the id becomes invalid.
    pub fn handle_transport_closed(&mut self, now: Instant, conn: ConnId) {
        let now = self.advance(now);
        let Some(c) = self.conn_mut(conn) else {
            return;
        };
        c.server.handle_transport_closed(now);
        self.process(conn);
        if let Some(slot) = self.slots.get_mut(conn.index as usize) {
            slot.conn = None;
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(conn.index);
            self.stats.connections = self.stats.connections.saturating_sub(1);
        }
        self.settle_timers();
    }

    /// Appends the bytes owed to the next connection that has any and returns it; `None` when
    /// no connection has output. Call until `None` after every input, then poll events.
    pub fn poll_transmit(&mut self, now: Instant, tx: &mut BytesMut) -> Option<ConnId> {
        let now = self.advance(now);
        while let Some(id) = self.dirty.pop_front() {
            let n = self.transmit_inner(now, id, tx);
            if n > 0 {
                return Some(id);
            }
        }
        None
    }

    /// Appends the bytes owed to `conn` (for an I/O layer that writes when a socket is
    /// writable); returns how many.
    pub fn transmit(&mut self, now: Instant, conn: ConnId, tx: &mut BytesMut) -> usize {
        let now = self.advance(now);
        self.transmit_inner(now, conn, tx)
    }

    /// The next connection that may have bytes owed to it, without taking them: for an I/O
    /// layer that pulls a connection's bytes with [`transmit`](Self::transmit) only when its
    /// socket can take them, so that what a slow reader cannot take yet stays in its session
    /// (bounded by the queue limits, QoS 0 dropped first) instead of in the I/O layer's
    /// buffers. Each connection is reported once until it has new output. Call until `None`
    /// after every input, as [`poll_transmit`](Self::poll_transmit), which it replaces.
    pub fn poll_ready(&mut self) -> Option<ConnId> {
        while let Some(id) = self.dirty.pop_front() {
            // An entry whose connection was transmitted to directly since it was queued is
            // stale.
            if let Some(c) = self.conn_mut(id)
                && c.dirty
            {
                c.dirty = false;
                return Some(id);
            }
        }
        None
    }

    fn transmit_inner(&mut self, now: Instant, id: ConnId, tx: &mut BytesMut) -> usize {
        let Some(c) = self.conn_mut(id) else {
            return 0;
        };
        c.dirty = false;
        let n = c.server.poll_transmit(now, tx);
        let close = c.server.should_close() && !c.close_reported;
        if close {
            c.close_reported = true;
        }
        self.stats.bytes_out += n as u64;
        // Transmitting may report messages dropped (too large, expired).
        self.process(id);
        if close {
            self.events.push_back(BrokerEvent::Close { conn: id });
        }
        n
    }

    /// Releases the memory `conn`'s empty queues keep for reuse
    /// ([`ServerSession::shrink_to_fit`]): for an I/O layer to call when the connection has
    /// gone quiet (nothing more to read, everything written).
    pub fn shrink_to_fit(&mut self, conn: ConnId) {
        if let Some(c) = self.conn_mut(conn) {
            c.server.shrink_to_fit();
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<BrokerEvent> {
        self.events.pop_front()
    }

    /// The earliest time [`handle_timeout`](Self::handle_timeout) has work: a connection's
    /// handshake or keep-alive deadline, a will's delay, a session's expiry. Constant time:
    /// connection deadlines are kept in a heap. It is never later than the work it stands
    /// for; it can be earlier when a connection was ended by another's action (a takeover)
    /// and not yet closed, and `handle_timeout` then has nothing to do but move on.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let conns = self.timers.peek().map(|Reverse((at, _))| *at);
        let wills = self.wills.keys().next().map(|(t, _)| *t);
        let expiries = self.expiries.iter().next().map(|(t, _)| *t);
        [conns, wills, expiries].into_iter().flatten().min()
    }

    /// Runs what is due at `now`: handshake and keep-alive timeouts, delayed wills, session
    /// expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        let now = self.advance(now);
        self.settle_timers();
        while let Some(&Reverse((at, id))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            if let Some(c) = self.conn_mut(id) {
                c.timer = None;
                c.server.handle_timeout(now);
            }
            self.process(id);
            self.touch(id);
            self.arm(id);
        }
        while let Some(&(at, key)) = self.wills.keys().next() {
            if at > now {
                break;
            }
            if let Some(will) = self.wills.remove(&(at, key)) {
                if let Some(s) = self.sessions.get_mut(&key) {
                    s.will_at = None;
                }
                self.publish_will(will);
            }
        }
        while let Some(&(at, key)) = self.expiries.iter().next() {
            if at > now {
                break;
            }
            self.expiries.remove(&(at, key));
            self.stats.sessions_expired += 1;
            self.end_session(key);
        }
    }

    /// Publishes a message of the server's own (`$SYS` statistics, a bridge): routed like a
    /// client's, with no publisher (No Local does not apply), retained per its RETAIN flag.
    pub fn publish(&mut self, now: Instant, message: Message) -> usize {
        self.advance(now);
        self.stats.messages_in += 1;
        // The identifier is a placeholder: routing reads the QoS, never the identifier.
        let publish = message.into_publish(Some(crate::PacketId::MIN));
        self.route(None, &publish)
    }

    /// Handles every event `conn`'s session has.
    pub(crate) fn process(&mut self, id: ConnId) {
        loop {
            let Some(c) = self.conn_mut(id) else {
                return;
            };
            let Some(event) = c.server.poll_event() else {
                return;
            };
            match event {
                ServerEvent::Connect { connect } => self.on_connect(id, connect),
                ServerEvent::Auth { auth } => self.on_auth(id, auth),
                ServerEvent::Publish { publish, ack } => self.on_publish(id, publish, ack),
                ServerEvent::Subscribe { subscribe } => self.on_subscribe(id, subscribe),
                ServerEvent::Unsubscribe { unsubscribe } => self.on_unsubscribe(id, unsubscribe),
                ServerEvent::Delivered { id: done, .. } => self.flow_done(id, done),
                ServerEvent::Dropped { id: done, reason } => {
                    self.count_drop(&reason);
                    self.flow_done(id, done);
                }
                ServerEvent::Closed {
                    error,
                    will,
                    session_expiry,
                } => self.on_closed(id, error, will, session_expiry),
            }
            self.touch(id);
        }
    }

    /// A message to `conn`'s client is finished: it no longer belongs to a shared group's
    /// bookkeeping.
    fn flow_done(&mut self, conn: ConnId, id: crate::session::PublishId) {
        if !self.shared_flows.is_empty()
            && let Some(key) = self.conn(conn).and_then(|c| c.session)
        {
            self.shared_flows.remove(&(key, id));
        }
    }

    pub(crate) fn count_drop(&mut self, reason: &crate::session::PublishFailure) {
        use crate::session::PublishFailure as F;
        match reason {
            F::TooLarge { .. } => self.stats.dropped_too_large += 1,
            F::Expired => self.stats.dropped_expired += 1,
            F::QueueFull => self.stats.dropped_queue_full += 1,
            _ => {}
        }
    }

    /// Connections currently open.
    pub fn connections(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            s.conn.as_ref()?;
            Some(ConnId {
                index: u32::try_from(i).ok()?,
                generation: s.generation,
            })
        })
    }

    /// The server session of `conn`, to read its state (client identifier, limits, queue).
    pub fn session(&self, conn: ConnId) -> Option<&ServerSession> {
        self.conn(conn).map(|c| &c.server)
    }

    /// Whether a session exists for `client_id` (connected or not).
    pub fn has_session(&self, client_id: &str) -> bool {
        self.by_client_id.contains_key(client_id)
    }
}
