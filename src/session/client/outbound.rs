//! Bytes for the server: control packets, resends, then new messages.

use super::{ClientEvent, ClientSession};
use crate::BytesMut;
use crate::session::flow::encode_control;
use crate::session::{Instant, Status};

impl ClientSession {
    /// Appends to `tx` everything the server is owed now, and returns the number of bytes
    /// appended (0: nothing to send). Write them to the transport in order.
    ///
    /// Order: the QoS 1/2 PUBLISHes [`publish`](Self::publish) encoded at once (it does so only
    /// when no control packet waits), then control packets (CONNECT, acknowledgements,
    /// SUBSCRIBE, PINGREQ, DISCONNECT, ...), then after a resumed session the in-flight messages
    /// again (PUBLISH with DUP 1, or PUBREL, in their original order, [MQTT-4.4.0-1],
    /// [MQTT-4.6.0-1]), then pending messages while the server's Receive Maximum allows
    /// ([MQTT-3.3.4-7]) and identifiers are free. A queued QoS 1/2 message gets its packet
    /// identifier here, at its first transmission.
    /// Acknowledgements whose properties would exceed the server's Maximum Packet Size go
    /// without them ([MQTT-3.4.2-2/3], [MQTT-3.5.2-2/3], [MQTT-3.6.2-2/3], [MQTT-3.7.2-2/3],
    /// [MQTT-3.14.2-3/4], [MQTT-3.15.2-2/3]).
    #[must_use = "the bytes appended to `tx` must be written to the transport"]
    #[inline]
    pub fn poll_transmit(&mut self, now: Instant, tx: &mut BytesMut) -> usize {
        let now = self.advance(now);
        // The usual calls, checked where they are made: nothing owed (after an input that
        // needs no answer), or only what `publish` encoded.
        if self.conn.control.is_empty()
            && !self.writable_owed
            && !(self.status == Status::Connected && self.out.has_work())
        {
            if self.staged.is_empty() {
                return 0;
            }
            return self.hand_out_staged(now, tx);
        }
        self.transmit_all(now, tx)
    }

    /// The PUBLISHes `publish` encoded, appended to `tx`: their flows are sent.
    #[inline(never)]
    fn hand_out_staged(&mut self, now: Instant, tx: &mut BytesMut) -> usize {
        let written = self.staged.len();
        if tx.is_empty() {
            // Nothing to append to: the buffers trade places, no byte is copied. Each keeps
            // its capacity, so neither allocates once both are large enough.
            core::mem::swap(tx, &mut self.staged);
        } else {
            tx.extend_from_slice(&self.staged);
            self.staged.clear();
        }
        self.out.staged_out();
        self.conn.last_sent = now;
        written
    }

    /// [`poll_transmit`](Self::poll_transmit) when control packets, resends, queued messages
    /// or a `Writable` event are owed.
    #[inline(never)]
    fn transmit_all(&mut self, now: Instant, tx: &mut BytesMut) -> usize {
        let start = tx.len();
        if !self.staged.is_empty() {
            // Encoded by `publish` before anything now in `control` was queued.
            tx.extend_from_slice(&self.staged);
            self.staged.clear();
            self.out.staged_out();
        }
        while let Some(packet) = self.conn.control.pop_front() {
            encode_control(&self.encoder, &packet, tx, false);
        }
        if self.status == Status::Connected && self.out.has_work() {
            let events = &mut self.events;
            self.out.transmit(&self.encoder, tx, None, |id, reason| {
                events.push_back(ClientEvent::PublishFailed { id, reason });
            });
        }
        if self.writable_owed
            && self.status == Status::Connected
            && self.out.pending() < self.config.max_pending
        {
            self.writable_owed = false;
            self.push_event(ClientEvent::Writable);
        }
        let written = tx.len() - start;
        if written > 0 {
            self.conn.last_sent = now;
        }
        written
    }
}
