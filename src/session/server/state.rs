//! A server-side session without a connection: what the broker keeps for a client that is away,
//! queues messages into, and hands to the next connection's [`Accept`](super::Accept).
//!
//! Byte format (all integers big-endian), version 1:
//!
//! ```text
//! "MQWs" 0x01                         magic and format version
//! next_publish:u64 cursor:u16         the next PublishId, the last packet identifier handed out
//! n:u32 { id:u64 stage:u8 len:u32 PUBLISH }*n     messages in flight, in the order first sent;
//!                                     stage 0: PUBLISH sent, 1: PUBREL sent
//! n:u32 { id:u64 waited:u64 len:u32 PUBLISH }*n   queued messages in order, with the
//!                                     milliseconds each had waited at export
//! n:u32 { pid:u16 }*n                 incoming QoS 2 identifiers awaiting PUBREL
//! ```
//!
//! Each PUBLISH is a whole MQTT 5.0 PUBLISH written and read back by this crate's codec.

use alloc::collections::VecDeque;

use bytes::BufMut;

use super::{ServerConfig, ServerSession};
use crate::session::flow::records::{
    count, get_u16, get_u32, get_u64, read_publish, take, write_publish,
};
use crate::session::flow::{Outbox, Outgoing, Pending, queued_size};
use crate::session::ids::PidSet;
use crate::session::{Instant, Message, PublishError, PublishId, StateError};
use crate::{Bytes, BytesMut, PacketId, PublishProperties, QoS, Side};

const MAGIC: &[u8; 4] = b"MQWs";
const FORMAT: u8 = 1;

/// The state of a server-side MQTT session while no connection carries it: messages in flight
/// to the client (resent when it comes back), messages queued for it, and the QoS 2 identifiers
/// it sent that await PUBREL. Subscriptions and the will are the broker's to keep.
///
/// Made empty with `default`, taken from a [`ServerSession`] whose connection ended
/// ([`ServerSession::take_state`]), stored as bytes ([`export`](Self::export) /
/// [`import`](Self::import)), and resumed by [`Accept::resume`](super::Accept::resume).
#[derive(Debug, Default)]
pub struct SessionState {
    pub(crate) out: Outbox,
    pub(crate) qos2: PidSet,
}

impl SessionState {
    /// Queues a message for the client while it is away, within `config`'s `max_queued` and
    /// `max_queued_bytes` (the oldest queued QoS 0 message makes room; with none, the message
    /// is refused as `Blocked`). Returns its id and how many QoS 0 messages were dropped for it.
    /// Whether QoS 0 messages are queued at all for an absent client
    /// (`queue_qos0_offline`) is the caller's choice.
    pub fn queue(
        &mut self,
        now: Instant,
        message: Message,
        config: &ServerConfig,
    ) -> Result<(PublishId, usize), PublishError> {
        if message.properties.topic_alias().is_some() {
            return Err(PublishError::Invalid(
                crate::EncodeError::InvalidPropertyValue(crate::PropertyId::TopicAlias),
            ));
        }
        let mut dropped = 0;
        let id = self
            .out
            .queue_bounded(
                now,
                message,
                config.max_queued,
                config.max_queued_bytes,
                |_| {
                    dropped += 1;
                },
            )
            .map_err(PublishError::Blocked)?;
        Ok((id, dropped))
    }

    /// Drops the queued messages whose Message Expiry Interval has passed by `now`
    /// ([MQTT-3.3.2-5]); returns how many.
    pub fn drop_expired(&mut self, now: Instant) -> usize {
        let before = self.out.pending.len();
        self.out.pending.retain(|p| {
            p.message
                .properties
                .message_expiry_interval()
                .is_none_or(|interval| {
                    now.saturating_duration_since(p.queued_at).as_secs() < u64::from(interval)
                })
        });
        self.out.pending_bytes = self
            .out
            .pending
            .iter()
            .map(|p| queued_size(&p.message))
            .sum();
        before - self.out.pending.len()
    }

    /// Messages sent and not completed.
    pub fn inflight(&self) -> usize {
        self.out.inflight()
    }

    /// Messages queued and not sent.
    pub fn queued(&self) -> usize {
        self.out.pending()
    }

    /// Bytes of queued messages (topic, payload and properties).
    pub fn queued_bytes(&self) -> usize {
        self.out.pending_bytes
    }

    /// The messages of a session that ends, each with whether another client may get it
    /// instead: queued ones and QoS 1 ones in flight may; a QoS 2 message in flight may not
    /// ([MQTT-4.8.2-5]: its delivery had started). Used by the broker core's shared groups.
    #[cfg(feature = "broker")]
    pub(crate) fn into_messages(self) -> impl Iterator<Item = (PublishId, Message, bool)> {
        let inflight = self
            .out
            .outgoing
            .into_iter()
            .map(|o| (o.id, o.message.qos != QoS::ExactlyOnce, o.message));
        let queued = self
            .out
            .pending
            .into_iter()
            .map(|p| (p.id, true, p.message));
        inflight
            .chain(queued)
            .map(|(id, again, message)| (id, message, again))
    }

    /// The outbox and QoS 2 identifiers for a connection of `v5` or not: 3.1.1 carries no
    /// properties, so the messages lose theirs.
    pub(super) fn into_parts(mut self, v5: bool) -> (Outbox, PidSet) {
        if !v5 {
            for entry in &mut self.out.outgoing {
                entry.message.properties = PublishProperties::default();
            }
            for entry in &mut self.out.pending {
                entry.message.properties = PublishProperties::default();
            }
            self.out.pending_bytes = self
                .out
                .pending
                .iter()
                .map(|p| queued_size(&p.message))
                .sum();
        }
        (self.out, self.qos2)
    }

    /// The state as bytes (see the module documentation for the format); `now` fixes how long
    /// each queued message has waited, so its Message Expiry keeps counting across a restart.
    pub fn export(&self, now: Instant) -> Bytes {
        export_parts(&self.out, &self.qos2, now)
    }

    /// A state from [`export`](Self::export) bytes, at `now`. Any byte sequence is either a
    /// state or an error, never a panic: the message records are checked by the codec's decoder,
    /// the identifiers for duplicates.
    pub fn import(state: &[u8], now: Instant) -> Result<SessionState, StateError> {
        let mut src = state;
        if take(&mut src, 4)? != MAGIC || take(&mut src, 1)? != [FORMAT] {
            return Err(StateError::UnknownFormat);
        }
        let mut s = SessionState::default();
        s.out.next_publish = get_u64(&mut src)?;
        s.out.cursor =
            PacketId::new(get_u16(&mut src)?).ok_or(StateError::Invalid("packet id cursor 0"))?;
        let id = |src: &mut &[u8], next: u64| -> Result<PublishId, StateError> {
            let id = get_u64(src)?;
            if id >= next {
                return Err(StateError::Invalid("PublishId not below the counter"));
            }
            Ok(PublishId(id))
        };
        for _ in 0..get_u32(&mut src)? {
            let id = id(&mut src, s.out.next_publish)?;
            let released = match take(&mut src, 1)? {
                [0] => false,
                [1] => true,
                _ => return Err(StateError::Invalid("stage")),
            };
            let publish = stored_publish(&mut src)?;
            let Some(pid) = publish.qos.pid() else {
                return Err(StateError::Invalid("in-flight QoS 0 message"));
            };
            if released && publish.qos.qos() != QoS::ExactlyOnce {
                return Err(StateError::Invalid("PUBREL stage of a QoS 1 message"));
            }
            if !s.out.ids.insert(pid) {
                return Err(StateError::Invalid("packet identifier in use twice"));
            }
            s.out.outgoing.push_back(Outgoing {
                id,
                pid,
                message: Message::from_publish(publish),
                released,
                sent: false,
                holds_quota: false,
            });
        }
        let mut pending = VecDeque::new();
        for _ in 0..get_u32(&mut src)? {
            let id = id(&mut src, s.out.next_publish)?;
            let waited = get_u64(&mut src)?;
            let mut message = Message::from_publish(stored_publish(&mut src)?);
            let queued_at = match now.as_millis().checked_sub(waited) {
                Some(at) => Instant::from_millis(at),
                None => waited_before_the_clock(&mut message, waited, now),
            };
            s.out.pending_bytes += queued_size(&message);
            pending.push_back(Pending {
                id,
                message,
                queued_at,
            });
        }
        s.out.pending = pending;
        for _ in 0..get_u32(&mut src)? {
            let pid = PacketId::new(get_u16(&mut src)?)
                .ok_or(StateError::Invalid("packet identifier 0"))?;
            if !s.qos2.insert(pid) {
                return Err(StateError::Invalid("incoming identifier twice"));
            }
        }
        if !src.is_empty() {
            return Err(StateError::Truncated);
        }
        Ok(s)
    }
}

/// The byte format of [`SessionState::export`], from the parts a live session holds too.
pub(crate) fn export_parts(outbox: &Outbox, qos2: &PidSet, now: Instant) -> Bytes {
    let mut out = BytesMut::new();
    out.put_slice(MAGIC);
    out.put_u8(FORMAT);
    out.put_u64(outbox.next_publish);
    out.put_u16(outbox.cursor.get());
    out.put_u32(count(outbox.outgoing.len()));
    for entry in &outbox.outgoing {
        out.put_u64(entry.id.get());
        out.put_u8(u8::from(entry.released));
        write_publish(&mut out, &entry.message.to_publish(Some(entry.pid), false));
    }
    out.put_u32(count(outbox.pending.len()));
    for entry in &outbox.pending {
        out.put_u64(entry.id.get());
        let waited = now.saturating_duration_since(entry.queued_at).as_millis();
        out.put_u64(u64::try_from(waited).unwrap_or(u64::MAX));
        write_publish(
            &mut out,
            &entry.message.to_publish(Some(PacketId::MIN), false),
        );
    }
    out.put_u32(count(qos2.len()));
    for pid in qos2.iter() {
        out.put_u16(pid.get());
    }
    out.freeze()
}

/// A PUBLISH record of the state. A Topic Alias is refused: the session assigns aliases per
/// connection, and a stored one would name a mapping the client never saw ([MQTT-3.3.2-7]).
fn stored_publish(src: &mut &[u8]) -> Result<crate::Publish, StateError> {
    let publish = read_publish(src, Side::Server)?;
    if publish.properties.topic_alias().is_some() {
        return Err(StateError::Invalid("stored message with a Topic Alias"));
    }
    Ok(publish)
}

/// A message that had waited `waited` milliseconds at export, imported at `now` on a clock that
/// has not run that long (it restarted with the program): the part of the wait before the
/// clock's epoch comes off its Message Expiry Interval in whole seconds, the rest is kept in
/// the returned queue time, so that the interval forwarded later is the one it would have been
/// ([MQTT-3.3.2-6]) and an expired message is still dropped ([MQTT-3.3.2-5]).
fn waited_before_the_clock(message: &mut Message, waited: u64, now: Instant) -> Instant {
    let Some(interval) = message.properties.message_expiry_interval() else {
        return Instant::ZERO;
    };
    // `before` ms of the wait precede the epoch: take `secs` whole seconds (rounded up) off
    // the interval and count the difference as waited after it.
    let before = waited - now.as_millis();
    let secs = before.div_ceil(1000);
    let queued_at = Instant::from_millis((secs * 1000 - before).min(now.as_millis()));
    let left = u32::try_from(secs).map_or(0, |s| interval.saturating_sub(s));
    if let Ok(properties) = message
        .properties
        .edit()
        .message_expiry_interval(Some(left))
        .build()
    {
        message.properties = properties;
    }
    queued_at
}

impl ServerSession {
    /// A copy of the session state as [`SessionState::export`] bytes, without ending the
    /// connection (for a snapshot of a running broker): the state a restarted process resumes.
    pub fn export_state(&self, now: Instant) -> Bytes {
        export_parts(&self.out, &self.inb.qos2, now)
    }

    /// The will of the accepted CONNECT, while the connection lasts.
    pub fn will(&self) -> Option<&crate::Will> {
        self.conn.will.as_deref()
    }

    /// The session state, once the connection ended (after [`ServerEvent::Closed`](
    /// super::ServerEvent::Closed)), to keep for the client's return as the `session_expiry`
    /// of that event says; `None` before the end, for a connection never accepted, or when
    /// already taken. Messages not yet acknowledged stay in flight and are sent again on the
    /// next connection that resumes the session.
    pub fn take_state(&mut self) -> Option<SessionState> {
        if !self.conn.ended || self.conn.limits.is_none() || self.state_taken {
            return None;
        }
        self.state_taken = true;
        Some(SessionState {
            out: core::mem::take(&mut self.out),
            qos2: core::mem::take(&mut self.inb.qos2),
        })
    }
}
