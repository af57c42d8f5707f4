//! The client's session state as bytes, so a restarted process resumes where it stopped.
//!
//! Format (all integers big-endian), version 1:
//!
//! ```text
//! "MQWc" 0x01                         magic and format version
//! level:u8                            protocol level of the last CONNECT (3, 4 or 5)
//! next_publish:u64 cursor:u16         the next PublishId, the last packet identifier handed out
//! n:u32 { id:u64 stage:u8 len:u32 PUBLISH }*n     in-flight messages, in the order first sent;
//!                                     stage 0: PUBLISH sent, 1: PUBREL sent
//! n:u32 { id:u64 len:u32 PUBLISH }*n  pending messages, in order
//! n:u32 { pid:u16 }*n                 incoming QoS 2 identifiers awaiting PUBREL
//! ```
//!
//! Each PUBLISH is a whole MQTT 5.0 PUBLISH packet written by this crate's encoder (with its
//! packet identifier for in-flight messages), and is read back by its decoder: the message
//! format is the protocol's own, checked by the same code as the wire.

use alloc::collections::VecDeque;

use bytes::BufMut;

use super::{ClientConfig, ClientSession};
use crate::session::StateError;
use crate::session::flow::records::{
    count, get_u16, get_u32, get_u64, read_publish, take, write_publish,
};
use crate::session::flow::{Outgoing, Pending};
use crate::session::{PublishId, ids::PidSet};
use crate::{Bytes, BytesMut, PacketId, QoS, Side, Version};

const MAGIC: &[u8; 4] = b"MQWc";
const FORMAT: u8 = 1;

impl ClientSession {
    /// The session state as bytes: in-flight messages (and their stage), pending messages, the
    /// incoming QoS 2 identifiers awaiting PUBREL, the packet identifier cursor and the
    /// `PublishId` counter. What a restarted process needs to resume the session with
    /// [`from_state`](Self::from_state) and a CONNECT with Clean Start 0 (§4.1).
    ///
    /// The current connection is not part of it: events not polled, acknowledgements not sent,
    /// subscriptions in progress. Export after the connection ended, or accept that a message
    /// received but not acknowledged will be received again, and that a message `publish`
    /// encoded at once and `poll_transmit` did not hand out yet counts as in flight.
    pub fn export_state(&self) -> Bytes {
        let mut out = BytesMut::new();
        out.put_slice(MAGIC);
        out.put_u8(FORMAT);
        out.put_u8(self.version.level());
        out.put_u64(self.out.next_publish);
        out.put_u16(self.out.cursor.get());
        out.put_u32(count(self.out.outgoing.len()));
        for entry in &self.out.outgoing {
            out.put_u64(entry.id.0);
            out.put_u8(u8::from(entry.released));
            write_publish(&mut out, &entry.message.to_publish(Some(entry.pid), false));
        }
        out.put_u32(count(self.out.pending.len()));
        for entry in &self.out.pending {
            out.put_u64(entry.id.0);
            write_publish(
                &mut out,
                &entry.message.to_publish(Some(PacketId::MIN), false),
            );
        }
        out.put_u32(count(self.inb.qos2.len()));
        for pid in self.inb.qos2.iter() {
            out.put_u16(pid.get());
        }
        out.freeze()
    }

    /// A session resumed from [`export_state`](Self::export_state) bytes, with no connection.
    /// The next [`connect`](Self::connect) should have Clean Start 0 and the protocol version
    /// of the state; on Session Present 1 the in-flight messages are sent again.
    ///
    /// Any byte sequence is either a session or an error: the message records are checked by
    /// the codec's decoder, and the identifiers for duplicates.
    pub fn from_state(config: ClientConfig, state: &[u8]) -> Result<ClientSession, StateError> {
        let mut src = state;
        let magic = take(&mut src, 4)?;
        if magic != MAGIC || take(&mut src, 1)? != [FORMAT] {
            return Err(StateError::UnknownFormat);
        }
        let version = match take(&mut src, 1)? {
            [3] => Version::V3_1,
            [4] => Version::V3_1_1,
            [5] => Version::V5,
            _ => return Err(StateError::Invalid("protocol level")),
        };
        let next_publish = get_u64(&mut src)?;
        let cursor =
            PacketId::new(get_u16(&mut src)?).ok_or(StateError::Invalid("packet id cursor 0"))?;
        // One copy of the records: the messages then share it.
        let mut session = ClientSession::new(config);
        session.version = version;
        session.out.next_publish = next_publish;
        session.out.cursor = cursor;

        let n = get_u32(&mut src)?;
        for _ in 0..n {
            let id = PublishId(get_u64(&mut src)?);
            if id.0 >= next_publish {
                return Err(StateError::Invalid("PublishId not below the counter"));
            }
            let released = match take(&mut src, 1)? {
                [0] => false,
                [1] => true,
                _ => return Err(StateError::Invalid("stage")),
            };
            let publish = read_publish(&mut src, Side::Client)?;
            let Some(pid) = publish.qos.pid() else {
                return Err(StateError::Invalid("in-flight QoS 0 message"));
            };
            if released && publish.qos.qos() != QoS::ExactlyOnce {
                return Err(StateError::Invalid("PUBREL stage of a QoS 1 message"));
            }
            if !session.out.ids.insert(pid) {
                return Err(StateError::Invalid("packet identifier in use twice"));
            }
            session.out.outgoing.push_back(Outgoing {
                id,
                pid,
                message: crate::session::Message::from_publish(publish),
                released,
                sent: false,
                holds_quota: false,
            });
        }
        let n = get_u32(&mut src)?;
        let mut pending = VecDeque::new();
        for _ in 0..n {
            let id = PublishId(get_u64(&mut src)?);
            if id.0 >= next_publish {
                return Err(StateError::Invalid("PublishId not below the counter"));
            }
            let publish = read_publish(&mut src, Side::Client)?;
            pending.push_back(Pending {
                id,
                message: crate::session::Message::from_publish(publish),
                queued_at: crate::session::Instant::ZERO,
            });
        }
        session.out.pending_bytes = pending
            .iter()
            .map(|p| crate::session::flow::queued_size(&p.message))
            .sum();
        session.out.pending = pending;
        let n = get_u32(&mut src)?;
        let mut incoming = PidSet::default();
        for _ in 0..n {
            let pid = PacketId::new(get_u16(&mut src)?)
                .ok_or(StateError::Invalid("packet identifier 0"))?;
            if !incoming.insert(pid) {
                return Err(StateError::Invalid("incoming identifier twice"));
            }
        }
        session.inb.qos2 = incoming;
        if !src.is_empty() {
            return Err(StateError::Truncated);
        }
        Ok(session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{ClientEvent, Instant, Message};
    use crate::{
        Ack, ConnAck, ConnAckProperties, Connect, Decoder, Packet, Publish, QosPid, ReasonCode,
    };

    fn t(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    /// A 5.0 session with two QoS 1 and one QoS 2 message in flight (the QoS 2 one released),
    /// one pending message and two incoming QoS 2 identifiers.
    fn busy_session() -> ClientSession {
        let mut s = ClientSession::new(ClientConfig::default());
        let mut connect = Connect::new(Version::V5, "c".into(), 0);
        connect.clean_start = false;
        s.connect(t(0), connect).unwrap();
        let props = ConnAckProperties::builder();
        let mut props = props;
        props.receive_maximum = Some(3);
        s.handle_packet(
            t(1),
            Packet::ConnAck(alloc::boxed::Box::new(ConnAck {
                session_present: false,
                reason_code: ReasonCode::SUCCESS,
                properties: props.build().unwrap(),
            })),
        );
        for (i, qos) in [
            QoS::AtLeastOnce,
            QoS::ExactlyOnce,
            QoS::AtLeastOnce,
            QoS::ExactlyOnce,
        ]
        .into_iter()
        .enumerate()
        {
            let topic = alloc::format!("t/{i}");
            let msg = Message::new(topic.as_str().try_into().unwrap(), "payload").qos(qos);
            s.publish(t(2), msg).unwrap();
        }
        let _ = s.poll_transmit(t(3), &mut BytesMut::new());
        s.handle_packet(t(4), Packet::pub_rec(PacketId::new(2).unwrap()));
        for pid in [7u16, 9] {
            let mut p = Publish::new("in".try_into().unwrap(), Bytes::from_static(b"x"));
            p.qos = QosPid::ExactlyOnce(PacketId::new(pid).unwrap());
            s.handle_packet(t(5), Packet::Publish(p));
        }
        while s.poll_event().is_some() {}
        s
    }

    #[test]
    fn export_import_export_is_identical_and_keeps_every_part() {
        let s = busy_session();
        assert_eq!(s.inflight(), 3);
        assert_eq!(s.pending(), 1);
        let bytes = s.export_state();
        let restored = ClientSession::from_state(ClientConfig::default(), &bytes).unwrap();
        assert_eq!(restored.export_state(), bytes);
        assert_eq!(restored.inflight(), 3);
        assert_eq!(restored.pending(), 1);
        assert_eq!(restored.version(), Version::V5);
        assert!(restored.inb.qos2.contains(PacketId::new(9).unwrap()));
        assert!(restored.out.outgoing.get(1).is_some_and(|o| o.released));
    }

    #[test]
    fn a_restored_session_resends_in_flight_messages_on_session_present() {
        // §4.1 / [MQTT-4.4.0-1]: the restarted process resumes: PUBLISH with DUP 1 and PUBREL.
        let bytes = busy_session().export_state();
        let mut s = ClientSession::from_state(ClientConfig::default(), &bytes).unwrap();
        let mut connect = Connect::new(Version::V5, "c".into(), 0);
        connect.clean_start = false;
        s.connect(t(10), connect).unwrap();
        let _ = s.poll_transmit(t(10), &mut BytesMut::new());
        s.handle_packet(
            t(11),
            Packet::ConnAck(alloc::boxed::Box::new(ConnAck {
                session_present: true,
                reason_code: ReasonCode::SUCCESS,
                properties: ConnAckProperties::default(),
            })),
        );
        assert!(matches!(
            s.poll_event(),
            Some(ClientEvent::Connected {
                session_present: true,
                ..
            })
        ));
        let mut tx = BytesMut::new();
        let _ = s.poll_transmit(t(12), &mut tx);
        let mut decoder = Decoder::new(Version::V5).receiving_from(Side::Client);
        let mut sent = alloc::vec::Vec::new();
        while let Some(p) = decoder.decode(&mut tx).unwrap() {
            sent.push(p);
        }
        let kinds: alloc::vec::Vec<_> = sent
            .iter()
            .map(|p| match p {
                Packet::Publish(p) => (p.qos.pid().unwrap().get(), p.dup, "PUBLISH"),
                Packet::PubRel(Ack { pid, .. }) => (pid.get(), false, "PUBREL"),
                _ => (0, false, "other"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                (1, true, "PUBLISH"),
                (2, false, "PUBREL"),
                (3, true, "PUBLISH"),
                // The pending message, new: the next free identifier, DUP 0.
                (4, false, "PUBLISH"),
            ]
        );
        // The restored incoming QoS 2 identifier: a repeat is not delivered again
        // ([MQTT-4.3.3-10]).
        let mut p = Publish::new("in".try_into().unwrap(), Bytes::from_static(b"x"));
        p.qos = QosPid::ExactlyOnce(PacketId::new(7).unwrap());
        p.dup = true;
        s.handle_packet(t(13), Packet::Publish(p));
        assert_eq!(s.poll_event(), None);
    }

    #[test]
    fn every_truncation_and_extension_is_an_error() {
        let bytes = busy_session().export_state();
        for n in 0..bytes.len() {
            assert!(
                ClientSession::from_state(ClientConfig::default(), &bytes[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
        let mut longer = alloc::vec::Vec::from(&bytes[..]);
        longer.push(0);
        assert_eq!(
            ClientSession::from_state(ClientConfig::default(), &longer).unwrap_err(),
            StateError::Truncated
        );
    }

    #[test]
    fn wrong_magic_format_and_values_are_refused() {
        let bytes = busy_session().export_state();
        let mut bad = alloc::vec::Vec::from(&bytes[..]);
        bad[0] = b'X';
        assert_eq!(
            ClientSession::from_state(ClientConfig::default(), &bad).unwrap_err(),
            StateError::UnknownFormat
        );
        let mut bad = alloc::vec::Vec::from(&bytes[..]);
        bad[4] = 2;
        assert_eq!(
            ClientSession::from_state(ClientConfig::default(), &bad).unwrap_err(),
            StateError::UnknownFormat
        );
        let mut bad = alloc::vec::Vec::from(&bytes[..]);
        bad[5] = 6;
        assert_eq!(
            ClientSession::from_state(ClientConfig::default(), &bad).unwrap_err(),
            StateError::Invalid("protocol level")
        );
        // Flipping every byte once never panics.
        for i in 0..bytes.len() {
            let mut flipped = alloc::vec::Vec::from(&bytes[..]);
            flipped[i] ^= 0xFF;
            let _ = ClientSession::from_state(ClientConfig::default(), &flipped);
        }
    }

    #[test]
    fn a_packet_identifier_twice_is_refused() {
        let s = busy_session();
        let mut bytes = alloc::vec::Vec::from(&s.export_state()[..]);
        // Give the second in-flight message the first one's identifier: find "t/1"'s PUBLISH
        // packet identifier (2) right after its topic.
        let at = bytes.windows(3).position(|w| w == b"t/1").unwrap() + 3;
        assert_eq!(&bytes[at..at + 2], &[0, 2]);
        bytes[at + 1] = 1;
        assert_eq!(
            ClientSession::from_state(ClientConfig::default(), &bytes).unwrap_err(),
            StateError::Invalid("packet identifier in use twice")
        );
    }
}
