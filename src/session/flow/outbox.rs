//! The sender's half of the QoS flows, the same for a client and a server: messages waiting to
//! be sent, packet identifiers, the send quota, messages in flight and their resends.

use alloc::collections::VecDeque;
use alloc::vec::Vec;

use super::alias::{AliasUndo, OutboundAliases};
use crate::session::ids::PidSet;
use crate::session::{Instant, Message, PublishFailure, PublishId};
use crate::{BytesMut, EncodeError, Encoder, Packet, PacketId, QoS, ReasonCode};

/// Messages this side sends, from `queue` to their completion. The first fields are session
/// state (they survive connections while the session lives); the rest belong to one network
/// connection and are reset by [`Outbox::start_connection`].
#[derive(Debug)]
pub(crate) struct Outbox {
    /// The id the next queued message gets.
    pub(crate) next_publish: u64,
    /// Identifiers in use: QoS 1/2 flows in flight, and (client) SUBSCRIBE/UNSUBSCRIBE
    /// awaiting their ack.
    pub(crate) ids: PidSet,
    /// The last identifier handed out; the next search starts after it.
    pub(crate) cursor: PacketId,
    /// QoS 1/2 messages sent and not completed, in the order first sent.
    pub(crate) outgoing: VecDeque<Outgoing>,
    /// Messages queued and not sent yet, in order.
    pub(crate) pending: VecDeque<Pending>,
    /// The sizes of the queued messages ([`queued_size`]), summed.
    pub(crate) pending_bytes: usize,

    /// QoS 1/2 PUBLISHes that may still be sent before an ack (the peer's Receive Maximum).
    send_quota: u16,
    /// The quota's ceiling on this connection.
    quota_max: u16,
    /// Outgoing flows not yet sent again on this connection (after a session was resumed).
    resend: usize,
    /// The last `staged` flows of `outgoing` were encoded by [`Outbox::send_now`] into the
    /// caller's staging buffer and not handed out yet: no acknowledgement finds them
    /// ([`Outbox::find`] stops before them).
    staged: usize,
    aliases: OutboundAliases,
}

/// A QoS 1/2 message in flight.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) id: PublishId,
    pub(crate) pid: PacketId,
    pub(crate) message: Message,
    /// PUBREC received and PUBREL sent (QoS 2).
    pub(crate) released: bool,
    /// Sent on the current connection.
    pub(crate) sent: bool,
    /// Its PUBLISH went out on the current connection and holds a unit of the send quota,
    /// returned when the flow completes. A flow resumed at the PUBREL stage holds none: its
    /// PUBLISH was counted on an earlier connection.
    pub(crate) holds_quota: bool,
}

/// A message queued and not sent yet.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) id: PublishId,
    pub(crate) message: Message,
    /// When it was queued: its Message Expiry Interval counts from here when the outbox
    /// enforces expiry.
    pub(crate) queued_at: Instant,
}

/// What a PUBREC asks of the sender.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PubRecOutcome {
    /// A PUBREC of 0x80 or more ended the flow of this message.
    Completed(PublishId),
    /// Send PUBREL with this reason code (a first PUBREC, a repeated one, or 0x92 for an
    /// identifier not in flight on 5.0).
    Release(ReasonCode),
    /// Nothing to do (an unknown identifier with a failure code).
    Ignore,
}

impl Default for Outbox {
    fn default() -> Outbox {
        Outbox {
            next_publish: 0,
            ids: PidSet::default(),
            cursor: PacketId::MAX,
            outgoing: VecDeque::new(),
            pending: VecDeque::new(),
            pending_bytes: 0,
            send_quota: 0,
            quota_max: 0,
            resend: 0,
            staged: 0,
            aliases: OutboundAliases::default(),
        }
    }
}

impl Outbox {
    /// Releases the memory of the empty queues and sets.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.ids.shrink_to_fit();
        if self.outgoing.is_empty() {
            self.outgoing = VecDeque::new();
        }
        if self.pending.is_empty() {
            self.pending = VecDeque::new();
        }
    }

    /// Queues a message to send; returns its id.
    pub(crate) fn queue(&mut self, now: Instant, message: Message) -> PublishId {
        let id = PublishId(self.next_publish);
        self.next_publish += 1;
        self.pending_bytes += queued_size(&message);
        self.pending.push_back(Pending {
            id,
            message,
            queued_at: now,
        });
        id
    }

    /// Queues a message within `max` messages and `max_bytes` bytes of queued messages: when
    /// full, the oldest queued QoS 0 message makes room (`dropped` is told its id); when none
    /// is queued, the message is handed back.
    pub(crate) fn queue_bounded(
        &mut self,
        now: Instant,
        message: Message,
        max: usize,
        max_bytes: usize,
        mut dropped: impl FnMut(PublishId),
    ) -> Result<PublishId, Message> {
        let size = queued_size(&message);
        let full = |len: usize, bytes: usize| len >= max || bytes.saturating_add(size) > max_bytes;
        if full(self.pending.len(), self.pending_bytes) {
            // Room is made only when dropping QoS 0 messages can make enough: otherwise they
            // would be lost and the message refused all the same.
            let (count, bytes) = self
                .pending
                .iter()
                .filter(|p| p.message.qos == QoS::AtMostOnce)
                .fold((0, 0), |(n, b), p| (n + 1, b + queued_size(&p.message)));
            if full(self.pending.len() - count, self.pending_bytes - bytes) {
                return Err(message);
            }
        }
        while full(self.pending.len(), self.pending_bytes) {
            let Some(i) = self
                .pending
                .iter()
                .position(|p| p.message.qos == QoS::AtMostOnce)
            else {
                return Err(message);
            };
            if let Some(old) = self.pending.remove(i) {
                self.pending_bytes -= queued_size(&old.message);
                dropped(old.id);
            }
        }
        Ok(self.queue(now, message))
    }

    /// The packet identifier a new message of `qos` gets when [`Outbox::send_now`] may send
    /// it at once: QoS 1 or 2, nothing waiting before it (no message queued, no resend owed),
    /// no topic aliases, send quota and a free identifier. `None`: it has to be queued.
    #[inline]
    pub(crate) fn send_now_pid(&self, qos: QoS) -> Option<PacketId> {
        if qos == QoS::AtMostOnce
            || self.has_work()
            || self.aliases.enabled()
            // [MQTT-3.3.4-7] / [MQTT-3.3.4-9], as `transmit_pending`.
            || self.send_quota == 0
            || self.outgoing.len() >= usize::from(self.quota_max)
        {
            return None;
        }
        // [MQTT-2.2.1-3] / [MQTT-4.3.2-1] / [MQTT-4.3.3-1]: an identifier not in use.
        self.allocate_pid()
    }

    /// Sends a new QoS 1/2 message at once with `pid` (from [`Outbox::send_now_pid`]): its
    /// PUBLISH (DUP 0, [MQTT-4.3.2-2] / [MQTT-4.3.3-2]) is appended to `staging`, and the flow is
    /// in flight, though no acknowledgement finds it until [`Outbox::staged_out`] says the bytes
    /// left. An error:
    /// it does not encode (nothing written, the message dropped, as a refused `publish` drops
    /// it).
    #[inline]
    pub(crate) fn send_now(
        &mut self,
        encoder: &Encoder,
        staging: &mut BytesMut,
        message: Message,
        pid: PacketId,
    ) -> Result<PublishId, EncodeError> {
        encoder.encode_publish_fields(&message.fields(Some(pid), false), staging)?;
        let id = PublishId(self.next_publish);
        self.next_publish += 1;
        self.reserve_pid(pid);
        self.send_quota -= 1;
        self.staged += 1;
        self.outgoing.push_back(Outgoing {
            id,
            pid,
            message,
            released: false,
            sent: true,
            holds_quota: true,
        });
        Ok(id)
    }

    /// The staged PUBLISHes were handed out: their flows are sent.
    #[inline]
    pub(crate) fn staged_out(&mut self) {
        self.staged = 0;
    }

    /// The staged PUBLISHes were dropped before they left (the connection ended): their flows
    /// go back to the front of the queue, in order, as never sent, with their identifiers and
    /// quota units returned.
    pub(crate) fn unstage(&mut self, now: Instant) {
        for _ in 0..core::mem::take(&mut self.staged) {
            let Some(entry) = self.outgoing.pop_back() else {
                break;
            };
            self.ids.remove(entry.pid);
            if entry.holds_quota {
                self.send_quota = self.send_quota.saturating_add(1).min(self.quota_max);
            }
            self.pending_bytes += queued_size(&entry.message);
            self.pending.push_front(Pending {
                id: entry.id,
                message: entry.message,
                queued_at: now,
            });
        }
    }

    /// Whether [`transmit`](Self::transmit) may have something to send: messages queued, or
    /// resends owed. False is the usual answer after a PUBLISH went out, and costs two loads.
    #[inline]
    pub(crate) fn has_work(&self) -> bool {
        !self.pending.is_empty() || self.resend > 0
    }

    /// Messages in flight.
    pub(crate) fn inflight(&self) -> usize {
        self.outgoing.len()
    }

    /// Messages queued and not sent.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }

    pub(crate) fn send_quota(&self) -> u16 {
        self.send_quota
    }

    /// An identifier not in use ([MQTT-2.2.1-3] 5.0 / [MQTT-2.3.1-2] 3.1.1), `None` when all
    /// 65,535 are.
    pub(crate) fn allocate_pid(&self) -> Option<PacketId> {
        self.ids.first_free_after(self.cursor)
    }

    /// Marks `pid` (from [`allocate_pid`](Self::allocate_pid)) in use.
    pub(crate) fn reserve_pid(&mut self, pid: PacketId) {
        self.ids.insert(pid);
        self.cursor = pid;
    }

    /// Frees an identifier reserved for a request.
    pub(crate) fn release_pid(&mut self, pid: PacketId) {
        self.ids.remove(pid);
    }

    /// A new network connection: the send quota starts at `quota` ([MQTT-4.9.0-1]: the peer's
    /// Receive Maximum, on every connection), aliases up to `alias_max`, and every message in
    /// flight counts as not sent on it.
    pub(crate) fn start_connection(&mut self, quota: u16, alias_max: u16) {
        self.send_quota = quota;
        self.quota_max = quota;
        self.resend = 0;
        self.staged = 0;
        self.aliases = OutboundAliases::new(alias_max);
        for entry in &mut self.outgoing {
            entry.sent = false;
            entry.holds_quota = false;
        }
    }

    /// The peer resumed the session: every message in flight is sent again, first
    /// ([MQTT-4.4.0-1]).
    pub(crate) fn resume(&mut self) {
        self.resend = self.outgoing.len();
    }

    /// Whether any message is in flight.
    pub(crate) fn holds_state(&self) -> bool {
        !self.outgoing.is_empty()
    }

    /// Drops the messages in flight: the peer no longer has the session. With `requeue_qos1`,
    /// QoS 1 messages go back to the front of the queue in order (at least once allows sending
    /// them again) and `lost` is called for each QoS 2 message (it may have reached the peer:
    /// sending it again could deliver it twice); without, `lost` is called for every one.
    pub(crate) fn discard(
        &mut self,
        requeue_qos1: bool,
        now: Instant,
        mut lost: impl FnMut(PublishId),
    ) {
        let mut requeue = Vec::new();
        for entry in self.outgoing.drain(..) {
            self.ids.remove(entry.pid);
            if requeue_qos1 && entry.message.qos == QoS::AtLeastOnce {
                requeue.push(Pending {
                    id: entry.id,
                    message: entry.message,
                    queued_at: now,
                });
            } else {
                lost(entry.id);
            }
        }
        for pending in requeue.into_iter().rev() {
            self.pending_bytes += queued_size(&pending.message);
            self.pending.push_front(pending);
        }
        self.resend = 0;
        self.staged = 0;
    }

    // ---------------------------------------------------------------- acknowledgements

    /// PUBACK: the QoS 1 flow of `pid` is done.
    #[inline(always)]
    pub(crate) fn on_puback(&mut self, pid: PacketId) -> Option<PublishId> {
        let i = self.find(pid, QoS::AtLeastOnce, false)?;
        // In order, the usual case: the oldest flow, completed inline.
        if i == 0 {
            let entry = self.outgoing.pop_front()?;
            return Some(self.finish(entry));
        }
        self.complete(i)
    }

    /// PUBREC for `pid` with `reason`.
    pub(crate) fn on_pubrec(
        &mut self,
        pid: PacketId,
        reason: ReasonCode,
        v5: bool,
    ) -> PubRecOutcome {
        match self.find(pid, QoS::ExactlyOnce, false) {
            // §4.3.3: a PUBREC of 0x80 or more ends the exchange; no PUBREL.
            Some(i) if !reason.is_success() => match self.complete(i) {
                Some(id) => PubRecOutcome::Completed(id),
                None => PubRecOutcome::Ignore,
            },
            Some(i) => {
                if let Some(entry) = self.outgoing.get_mut(i) {
                    entry.released = true;
                }
                // [MQTT-4.3.3-4]: PUBREL with the same identifier.
                PubRecOutcome::Release(ReasonCode::SUCCESS)
            }
            // A repeated PUBREC: the PUBREL may have been lost.
            None if self.find(pid, QoS::ExactlyOnce, true).is_some() => {
                PubRecOutcome::Release(ReasonCode::SUCCESS)
            }
            // Unknown: PUBREL 0x92 on 5.0 lets the peer finish (§4.3.3).
            None if reason.is_success() => PubRecOutcome::Release(if v5 {
                ReasonCode::PACKET_IDENTIFIER_NOT_FOUND
            } else {
                ReasonCode::SUCCESS
            }),
            None => PubRecOutcome::Ignore,
        }
    }

    /// PUBCOMP: the QoS 2 flow of `pid` is done.
    pub(crate) fn on_pubcomp(&mut self, pid: PacketId) -> Option<PublishId> {
        let i = self.find(pid, QoS::ExactlyOnce, true)?;
        self.complete(i)
    }

    /// The flow of `pid` at that stage, sent on this connection; the staged flows at the back
    /// were not handed out yet and are not looked at.
    #[inline(always)]
    fn find(&self, pid: PacketId, qos: QoS, released: bool) -> Option<usize> {
        let (front, back) = self.outgoing.as_slices();
        let matches =
            |o: &Outgoing| o.pid == pid && o.message.qos == qos && o.released == released && o.sent;
        let i = match front.iter().position(matches) {
            Some(i) => i,
            None => front.len() + back.iter().position(matches)?,
        };
        // Identifiers are unique among the flows: a staged match is the only one.
        (i < self.outgoing.len().saturating_sub(self.staged)).then_some(i)
    }

    /// A QoS 1/2 flow is done: identifier free, one more unit of send quota ([MQTT-4.9.0-1]
    /// §4.9).
    fn complete(&mut self, index: usize) -> Option<PublishId> {
        // Acks mostly come in order: the oldest flow is the usual one, and popping it moves
        // nothing else.
        let entry = if index == 0 {
            self.outgoing.pop_front()
        } else {
            self.outgoing.remove(index)
        }?;
        Some(self.finish(entry))
    }

    /// The completed flow `entry`, taken out of the in-flight queue: its identifier freed and
    /// its quota unit returned.
    #[inline(always)]
    fn finish(&mut self, entry: Outgoing) -> PublishId {
        self.ids.remove(entry.pid);
        // [MQTT-3.3.4-9] / [MQTT-3.3.4-7]: only a unit this connection took comes back, so a
        // PUBCOMP for a flow resumed at the PUBREL stage does not open room for one PUBLISH
        // more than the peer's Receive Maximum.
        if entry.holds_quota {
            self.send_quota = self.send_quota.saturating_add(1).min(self.quota_max);
        }
        entry.id
    }

    // ---------------------------------------------------------------- transmission

    /// Appends the resends, then queued messages, while the quota and identifiers allow.
    /// A message that cannot be sent on this connection (larger than the peer's Maximum Packet
    /// Size; with `expiry`, its Message Expiry Interval passed while queued) is reported to
    /// `failed` and dropped.
    pub(crate) fn transmit(
        &mut self,
        encoder: &Encoder,
        tx: &mut BytesMut,
        expiry: Option<Instant>,
        mut failed: impl FnMut(PublishId, PublishFailure),
    ) {
        self.transmit_resends(encoder, tx, &mut failed);
        self.transmit_pending(encoder, tx, expiry, &mut failed);
    }

    fn transmit_resends(
        &mut self,
        encoder: &Encoder,
        tx: &mut BytesMut,
        failed: &mut impl FnMut(PublishId, PublishFailure),
    ) {
        let mut i = 0;
        while self.resend > 0 {
            let Some(entry) = self.outgoing.get(i) else {
                self.resend = 0;
                break;
            };
            if entry.sent {
                i += 1;
                continue;
            }
            let result = if entry.released {
                encoder.encode(&Packet::pub_rel(entry.pid), tx)
            } else {
                if self.send_quota == 0 {
                    // [MQTT-3.3.4-7] / [MQTT-3.3.4-9]: resent PUBLISHes count against the new
                    // quota; the rest wait for acks. PUBRELs after them wait too, keeping the
                    // original order.
                    break;
                }
                // [MQTT-3.3.1-1]: DUP 1 on a redelivery; [MQTT-2.3.1-3]: the same identifier.
                encoder.encode_publish_fields(&entry.message.fields(Some(entry.pid), true), tx)
            };
            match result {
                Ok(_) => {
                    if !entry.released {
                        self.send_quota -= 1;
                    }
                    if let Some(entry) = self.outgoing.get_mut(i) {
                        entry.sent = true;
                        entry.holds_quota = !entry.released;
                    }
                    self.resend -= 1;
                    i += 1;
                }
                Err(e) => {
                    // Too large for this connection's peer (a smaller Maximum Packet Size than
                    // before): the message cannot be delivered.
                    self.resend -= 1;
                    if let Some(entry) = self.outgoing.remove(i) {
                        self.ids.remove(entry.pid);
                        failed(entry.id, failure(e));
                    }
                }
            }
        }
    }

    fn transmit_pending(
        &mut self,
        encoder: &Encoder,
        tx: &mut BytesMut,
        expiry: Option<Instant>,
        failed: &mut impl FnMut(PublishId, PublishFailure),
    ) {
        // Resends come first: new messages wait until every resend is out.
        if self.resend > 0 {
            return;
        }
        while let Some(front) = self.pending.front() {
            let qos = front.message.qos;
            let pid = if qos == QoS::AtMostOnce {
                None
            } else {
                // [MQTT-3.3.4-7] / [MQTT-3.3.4-9]. Flows resumed at the PUBREL stage hold no
                // quota but still count here: a peer that leaves them uncompleted across
                // connections cannot make the messages in flight grow past the window.
                if self.send_quota == 0 || self.outgoing.len() >= usize::from(self.quota_max) {
                    break;
                }
                // [MQTT-2.2.1-3] / [MQTT-4.3.2-1] / [MQTT-4.3.3-1]: an identifier not in use.
                match self.allocate_pid() {
                    Some(pid) => Some(pid),
                    None => break, // all 65,535 in flight: wait for an ack
                }
            };
            let Some(Pending {
                id,
                mut message,
                queued_at,
            }) = self.pending.pop_front()
            else {
                break;
            };
            self.pending_bytes -= queued_size(&message);
            if let Some(now) = expiry
                && !forward_expiry(&mut message, now, queued_at)
            {
                failed(id, PublishFailure::Expired);
                continue;
            }
            // [MQTT-4.3.2-2] / [MQTT-4.3.3-2]: the first transmission has DUP 0.
            let (message, result, undo) = if !self.aliases.enabled() {
                // Without aliases the PUBLISH is the message's own fields, encoded where they
                // lie: nothing is moved and no reference count is touched.
                let result = encoder.encode_publish_fields(&message.fields(pid, false), tx);
                (message, result, AliasUndo::Nothing)
            } else {
                let publish = message.to_publish(pid, false);
                let (publish, undo) = self.aliases.apply(publish);
                let result = encoder.encode(&Packet::Publish(publish), tx);
                (message, result, undo)
            };
            match (result, pid) {
                (Ok(_), Some(pid)) => {
                    self.reserve_pid(pid);
                    self.send_quota -= 1;
                    self.outgoing.push_back(Outgoing {
                        id,
                        pid,
                        message,
                        released: false,
                        sent: true,
                        holds_quota: true,
                    });
                }
                (Ok(_), None) => {}
                (Err(e), _) => {
                    self.aliases.undo(undo);
                    failed(id, failure(e));
                }
            }
        }
    }
}

/// [MQTT-3.3.2-6]: the Message Expiry Interval forwarded is the received value minus the time
/// the message waited; false when it has expired ([MQTT-3.3.2-5]).
fn forward_expiry(message: &mut Message, now: Instant, queued_at: Instant) -> bool {
    let Some(interval) = message.properties.message_expiry_interval() else {
        return true;
    };
    let waited = now.saturating_duration_since(queued_at).as_secs();
    let waited = u32::try_from(waited).unwrap_or(u32::MAX);
    if waited >= interval {
        return false;
    }
    if waited > 0
        && let Ok(properties) = message
            .properties
            .edit()
            .message_expiry_interval(Some(interval - waited))
            .build()
    {
        message.properties = properties;
    }
    true
}

/// What a queued message counts for against a byte limit: its topic, payload and properties.
pub(crate) fn queued_size(message: &Message) -> usize {
    message.topic.len() + message.payload.len() + message.properties.as_bytes().len()
}

fn failure(e: EncodeError) -> PublishFailure {
    match e {
        EncodeError::PacketTooLarge { size, max } => PublishFailure::TooLarge { size, max },
        other => PublishFailure::Invalid(other),
    }
}
