//! Bytes for the server: control packets, resends, then new messages.

use super::{ClientEvent, ClientSession, OutAlias, Outgoing, Pending, PublishFailure};
use crate::session::{Instant, Message, Status};
use crate::{
    AckProperties, BytesMut, EncodeError, Packet, Publish, PublishProperties, QoS, TopicName,
};

impl ClientSession {
    /// Appends to `tx` everything the server is owed now, and returns the number of bytes
    /// appended (0: nothing to send). Write them to the transport in order.
    ///
    /// Order: control packets (CONNECT, acknowledgements, SUBSCRIBE, PINGREQ, DISCONNECT, ...),
    /// then after a resumed session the in-flight messages again (PUBLISH with DUP 1, or
    /// PUBREL, in their original order, [MQTT-4.4.0-1], [MQTT-4.6.0-1]), then pending messages
    /// while the server's Receive Maximum allows ([MQTT-3.3.4-7]) and identifiers are free.
    /// A QoS 1/2 message gets its packet identifier here, at its first transmission.
    #[must_use = "the bytes appended to `tx` must be written to the transport"]
    pub fn poll_transmit(&mut self, now: Instant, tx: &mut BytesMut) -> usize {
        let now = self.advance(now);
        let start = tx.len();
        while let Some(packet) = self.conn.control.pop_front() {
            self.encode_control(&packet, tx);
        }
        if self.status == Status::Connected {
            self.transmit_resends(tx);
            self.transmit_pending(tx);
            if self.writable_owed && self.pending.len() < self.config.max_pending {
                self.writable_owed = false;
                self.push_event(ClientEvent::Writable);
            }
        }
        let written = tx.len() - start;
        if written > 0 {
            self.conn.last_sent = now;
        }
        written
    }

    /// Encodes a control packet; an acknowledgement whose properties would exceed the server's
    /// Maximum Packet Size goes without them ([MQTT-3.4.2-2/3], [MQTT-3.5.2-2/3],
    /// [MQTT-3.6.2-2/3], [MQTT-3.7.2-2/3], [MQTT-3.14.2-3/4], [MQTT-3.15.2-2/3]).
    fn encode_control(&mut self, packet: &Packet, tx: &mut BytesMut) {
        match self.encoder.encode(packet, tx) {
            Ok(_) => {}
            Err(EncodeError::PacketTooLarge { .. }) => {
                if let Some(trimmed) = without_diagnostics(packet) {
                    // The trimmed packet is the smallest it can be; if even that fails there is
                    // nothing to send.
                    let _ = self.encoder.encode(&trimmed, tx);
                }
            }
            // Commands validate their packets before queueing them, and the session builds the
            // rest: an error here means nothing can be sent for this packet.
            Err(_) => {}
        }
    }

    fn transmit_resends(&mut self, tx: &mut BytesMut) {
        if self.conn.resend == 0 {
            return;
        }
        let mut i = 0;
        while self.conn.resend > 0 {
            let Some(entry) = self.outgoing.get(i) else {
                self.conn.resend = 0;
                break;
            };
            if entry.sent {
                i += 1;
                continue;
            }
            let packet = if entry.released {
                Packet::pub_rel(entry.pid)
            } else {
                if self.conn.send_quota == 0 {
                    // [MQTT-3.3.4-7]: resent PUBLISHes count against the new quota; the rest
                    // wait for acks. PUBRELs after them wait too, keeping the original order.
                    break;
                }
                // [MQTT-3.3.1-1]: DUP 1 on a redelivery; [MQTT-2.3.1-3]: the same identifier.
                Packet::Publish(entry.message.to_publish(Some(entry.pid), true))
            };
            match self.encoder.encode(&packet, tx) {
                Ok(_) => {
                    if !entry.released {
                        self.conn.send_quota -= 1;
                    }
                    if let Some(entry) = self.outgoing.get_mut(i) {
                        entry.sent = true;
                    }
                    self.conn.resend -= 1;
                    i += 1;
                }
                Err(e) => {
                    // Too large for this connection's server (a smaller Maximum Packet Size
                    // than before): the message cannot be delivered.
                    self.conn.resend -= 1;
                    if let Some(entry) = self.outgoing.remove(i) {
                        self.ids.remove(entry.pid);
                        self.push_event(ClientEvent::PublishFailed {
                            id: entry.id,
                            reason: failure(e),
                        });
                    }
                }
            }
        }
    }

    fn transmit_pending(&mut self, tx: &mut BytesMut) {
        // Resends come first: new messages wait until every resend is out.
        if self.conn.resend > 0 {
            return;
        }
        while let Some(front) = self.pending.front() {
            let qos = front.message.qos;
            let pid = if qos == QoS::AtMostOnce {
                None
            } else {
                if self.conn.send_quota == 0 {
                    break; // [MQTT-3.3.4-7]
                }
                // [MQTT-2.2.1-3] / [MQTT-4.3.2-1] / [MQTT-4.3.3-1]: an identifier not in use.
                match self.allocate_pid() {
                    Some(pid) => Some(pid),
                    None => break, // all 65,535 in flight: wait for an ack
                }
            };
            let Some(pending) = self.pending.pop_front() else {
                break;
            };
            if let Some(pid) = pid {
                let Pending { id, message } = pending;
                // [MQTT-4.3.2-2] / [MQTT-4.3.3-2]: the first transmission has DUP 0.
                let (message, result, undo) = if self.conn.out_alias_max == 0 {
                    // Without aliases the PUBLISH is the message's own fields, moved in and taken
                    // back after encoding: no reference count is touched.
                    let packet = Packet::Publish(message.into_publish(Some(pid)));
                    let result = self.encoder.encode(&packet, tx);
                    let Packet::Publish(publish) = packet else {
                        break; // not reached: the packet was made a PUBLISH just above
                    };
                    (Message::from_publish(publish), result, AliasUndo::Nothing)
                } else {
                    let publish = message.to_publish(Some(pid), false);
                    let (publish, undo) = self.with_alias(publish);
                    let result = self.encoder.encode(&Packet::Publish(publish), tx);
                    (message, result, undo)
                };
                match result {
                    Ok(_) => {
                        self.ids.insert(pid);
                        self.cursor = pid;
                        self.conn.send_quota -= 1;
                        self.outgoing.push_back(Outgoing {
                            id,
                            pid,
                            message,
                            released: false,
                            sent: true,
                        });
                    }
                    Err(e) => {
                        self.undo_alias(undo);
                        self.push_event(ClientEvent::PublishFailed {
                            id,
                            reason: failure(e),
                        });
                    }
                }
            } else {
                let id = pending.id;
                let publish = pending.message.into_publish(None);
                let (publish, undo) = self.with_alias(publish);
                if let Err(e) = self.encoder.encode(&Packet::Publish(publish), tx) {
                    self.undo_alias(undo);
                    self.push_event(ClientEvent::PublishFailed {
                        id,
                        reason: failure(e),
                    });
                }
            }
        }
    }
}

impl ClientSession {
    /// `publish` with a topic alias when the policy gives one (§3.3.2.3.4): the topic's alias
    /// alone when it has one on this connection, else the topic and a new (or the least
    /// recently used) alias. Resends never come here: they carry the full topic.
    fn with_alias(&mut self, publish: Publish) -> (Publish, AliasUndo) {
        let max = self.conn.out_alias_max;
        if max == 0 {
            return (publish, AliasUndo::Nothing);
        }
        self.assign_alias(publish, max)
    }

    /// A PUBLISH that was given an alias could not be sent: the server never saw the mapping,
    /// so the table goes back to what the server knows.
    fn undo_alias(&mut self, undo: AliasUndo) {
        let table = &mut self.conn.out_aliases;
        match undo {
            AliasUndo::Nothing => {}
            AliasUndo::Pushed => {
                table.pop();
            }
            AliasUndo::Replaced { index, topic } => {
                if let Some(slot) = table.get_mut(index) {
                    slot.topic = topic;
                }
            }
        }
    }

    fn assign_alias(&mut self, mut publish: Publish, max: u16) -> (Publish, AliasUndo) {
        self.conn.alias_clock += 1;
        let clock = self.conn.alias_clock;
        let table = &mut self.conn.out_aliases;
        let (index, undo) = match table.iter().position(|a| a.topic == publish.topic) {
            Some(i) => (i, AliasUndo::Nothing),
            None if table.len() < usize::from(max) => {
                let alias = u16::try_from(table.len() + 1).unwrap_or(max);
                let Ok(properties) = PublishProperties::<crate::Bytes>::default()
                    .edit()
                    .topic_alias(Some(alias))
                    .build()
                else {
                    return (publish, AliasUndo::Nothing);
                };
                table.push(OutAlias {
                    topic: publish.topic.clone(),
                    properties,
                    last_used: clock,
                });
                (table.len() - 1, AliasUndo::Pushed)
            }
            None => {
                let Some(i) = table
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, a)| a.last_used)
                    .map(|(i, _)| i)
                else {
                    return (publish, AliasUndo::Nothing);
                };
                let Some(slot) = table.get_mut(i) else {
                    return (publish, AliasUndo::Nothing);
                };
                let topic = core::mem::replace(&mut slot.topic, publish.topic.clone());
                (i, AliasUndo::Replaced { index: i, topic })
            }
        };
        let known = matches!(undo, AliasUndo::Nothing);
        let Some(slot) = table.get_mut(index) else {
            return (publish, AliasUndo::Nothing);
        };
        slot.last_used = clock;
        let alias = u16::try_from(index + 1).unwrap_or(max);
        // A message without properties shares the alias-only block (no allocation); one with
        // its own gets a new block with the alias added.
        let properties = if publish.properties.is_empty() {
            slot.properties.clone()
        } else {
            match publish.properties.edit().topic_alias(Some(alias)).build() {
                Ok(p) => p,
                Err(_) => {
                    self.undo_alias(undo);
                    return (publish, AliasUndo::Nothing);
                }
            }
        };
        publish.properties = properties;
        if known {
            publish.topic = TopicName::empty_for_alias();
        }
        (publish, undo)
    }
}

/// How to take back an alias assignment whose PUBLISH was not sent.
#[derive(Debug)]
enum AliasUndo {
    /// The topic had its alias already, or none was given.
    Nothing,
    /// A new alias was added at the end of the table.
    Pushed,
    /// The alias at `index` belonged to `topic`.
    Replaced { index: usize, topic: TopicName },
}

fn failure(e: EncodeError) -> PublishFailure {
    match e {
        EncodeError::PacketTooLarge { size, max } => PublishFailure::TooLarge { size, max },
        other => PublishFailure::Invalid(other),
    }
}

/// `packet` without its Reason String and User Properties, for the packets that may drop them;
/// `None` for others.
fn without_diagnostics(packet: &Packet) -> Option<Packet> {
    let strip = |ack: &crate::Ack| crate::Ack {
        pid: ack.pid,
        reason_code: ack.reason_code,
        properties: AckProperties::default(),
    };
    Some(match packet {
        Packet::PubAck(a) => Packet::PubAck(strip(a)),
        Packet::PubRec(a) => Packet::PubRec(strip(a)),
        Packet::PubRel(a) => Packet::PubRel(strip(a)),
        Packet::PubComp(a) => Packet::PubComp(strip(a)),
        Packet::Disconnect(d) => {
            let mut props = crate::DisconnectProperties::builder();
            if let Some(expiry) = d.properties.session_expiry_interval() {
                props.session_expiry_interval = Some(expiry);
            }
            Packet::Disconnect(crate::Disconnect {
                reason_code: d.reason_code,
                properties: props.build().ok()?,
            })
        }
        Packet::Auth(a) => {
            let mut props = crate::AuthProperties::builder();
            props.authentication_method = a
                .properties
                .authentication_method()
                .map(crate::ByteString::from);
            props.authentication_data = a
                .properties
                .authentication_data()
                .map(crate::Bytes::copy_from_slice);
            Packet::Auth(crate::Auth {
                reason_code: a.reason_code,
                properties: props.build().ok()?,
            })
        }
        _ => return None,
    })
}
