//! Control packets on their way out: acknowledgements and the like, trimmed of their
//! diagnostics when the peer's limits say so.

use crate::{AckProperties, BytesMut, EncodeError, Encoder, Packet};

/// Encodes a control packet. Reason String and User Properties are left out when `strip` is set
/// (a 5.0 client asked for no problem information: [MQTT-3.1.2-29]) or when they would make the
/// packet larger than the peer's Maximum Packet Size ([MQTT-3.4.2-2/3], [MQTT-3.5.2-2/3],
/// [MQTT-3.6.2-2/3], [MQTT-3.7.2-2/3], [MQTT-3.9.2-1/2], [MQTT-3.11.2-1/2], [MQTT-3.14.2-3/4],
/// [MQTT-3.15.2-2/3], and for CONNACK [MQTT-3.2.2-19/20]).
pub(crate) fn encode_control(encoder: &Encoder, packet: &Packet, tx: &mut BytesMut, strip: bool) {
    if strip && let Some(trimmed) = without_diagnostics(packet, true) {
        let _ = encoder.encode(&trimmed, tx);
        return;
    }
    match encoder.encode(packet, tx) {
        Ok(_) => {}
        Err(EncodeError::PacketTooLarge { .. }) => {
            if let Some(trimmed) = without_diagnostics(packet, false) {
                // The trimmed packet is the smallest it can be; if even that fails there is
                // nothing to send.
                let _ = encoder.encode(&trimmed, tx);
            }
        }
        // Commands validate their packets before queueing them, and the sessions build the
        // rest: an error here means nothing can be sent for this packet.
        Err(_) => {}
    }
}

/// `packet` without its Reason String and User Properties, for the packets that may drop them;
/// `None` for others. With `problem_information`, only the packets [MQTT-3.1.2-29] covers
/// (not DISCONNECT).
fn without_diagnostics(packet: &Packet, problem_information: bool) -> Option<Packet> {
    let strip = |ack: &crate::Ack| crate::Ack {
        pid: ack.pid,
        reason_code: ack.reason_code,
        properties: AckProperties::default(),
    };
    let has =
        |p: &AckProperties| p.reason_string().is_some() || p.user_properties().next().is_some();
    Some(match packet {
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a)
            if problem_information && !has(&a.properties) =>
        {
            return None;
        }
        Packet::PubAck(a) => Packet::PubAck(strip(a)),
        Packet::PubRec(a) => Packet::PubRec(strip(a)),
        Packet::PubRel(a) => Packet::PubRel(strip(a)),
        Packet::PubComp(a) => Packet::PubComp(strip(a)),
        Packet::SubAck(s) if !problem_information || has(&s.properties) => {
            Packet::SubAck(crate::SubAck {
                pid: s.pid,
                properties: AckProperties::default(),
                reason_codes: s.reason_codes.clone(),
            })
        }
        Packet::UnsubAck(u) if !problem_information || has(&u.properties) => {
            Packet::UnsubAck(crate::UnsubAck {
                pid: u.pid,
                properties: AckProperties::default(),
                reason_codes: u.reason_codes.clone(),
            })
        }
        // [MQTT-3.2.2-19] / [MQTT-3.2.2-20]: a CONNACK drops them only to fit the client's
        // Maximum Packet Size ([MQTT-3.1.2-29] allows them on CONNACK).
        Packet::ConnAck(c) if !problem_information => {
            let mut props = c.properties.to_builder();
            props.reason_string = None;
            props.user_properties = alloc::vec::Vec::new();
            Packet::ConnAck(alloc::boxed::Box::new(crate::ConnAck {
                session_present: c.session_present,
                reason_code: c.reason_code,
                properties: props.build().ok()?,
            }))
        }
        Packet::Disconnect(d) if !problem_information => {
            let mut props = crate::DisconnectProperties::builder();
            if let Some(expiry) = d.properties.session_expiry_interval() {
                props.session_expiry_interval = Some(expiry);
            }
            if let Some(reference) = d.properties.server_reference() {
                props.server_reference = Some(crate::ByteString::from(reference));
            }
            Packet::Disconnect(crate::Disconnect {
                reason_code: d.reason_code,
                properties: props.build().ok()?,
            })
        }
        Packet::Auth(a)
            if !problem_information
                || a.properties.reason_string().is_some()
                || a.properties.user_properties().next().is_some() =>
        {
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
