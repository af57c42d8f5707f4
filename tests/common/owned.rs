//! Copies a borrowed `Packet<&[u8]>` (from `decode_slice`) into an owned `Packet<Bytes>`, field
//! by field, so it can be compared with the packet that was encoded. Struct literals are
//! exhaustive: a field added to the library breaks this file instead of being skipped. Property
//! sets are read back through their accessors (`to_builder`) and built again, so a value an
//! accessor loses makes the comparison fail.

use mqtt_wire::{
    Ack, AckProperties, Auth, ByteString, Bytes, ConnAck, ConnAckProperties, Connect, Disconnect,
    Packet, Publish, SubAck, Subscribe, UnsubAck, Unsubscribe, Will,
};

fn s(v: &str) -> ByteString {
    ByteString::from(v)
}

fn b(v: &[u8]) -> Bytes {
    Bytes::copy_from_slice(v)
}

fn os(v: Option<&str>) -> Option<ByteString> {
    v.map(s)
}

fn ob(v: Option<&[u8]>) -> Option<Bytes> {
    v.map(b)
}

fn pairs(v: &[(&str, &str)]) -> Vec<(ByteString, ByteString)> {
    v.iter().map(|&(k, v)| (s(k), s(v))).collect()
}

/// The owned copy of a borrowed packet.
pub fn packet(p: &Packet<&[u8]>) -> Packet {
    match p {
        Packet::Connect(c) => Packet::from(connect(c)),
        Packet::ConnAck(c) => Packet::from(ConnAck {
            session_present: c.session_present,
            reason_code: c.reason_code,
            properties: connack_properties(&c.properties),
        }),
        Packet::Publish(p) => Packet::Publish(publish(p)),
        Packet::PubAck(a) => Packet::PubAck(ack(a)),
        Packet::PubRec(a) => Packet::PubRec(ack(a)),
        Packet::PubRel(a) => Packet::PubRel(ack(a)),
        Packet::PubComp(a) => Packet::PubComp(ack(a)),
        Packet::Subscribe(sub) => Packet::Subscribe(Subscribe {
            pid: sub.pid,
            properties: sub.properties.to_builder().build().unwrap(),
            filters: sub.filters.iter().map(|&(f, o)| (s(f), o)).collect(),
        }),
        Packet::SubAck(a) => Packet::SubAck(SubAck {
            pid: a.pid,
            properties: ack_properties(&a.properties),
            reason_codes: a.reason_codes.clone(),
        }),
        Packet::Unsubscribe(u) => Packet::Unsubscribe(Unsubscribe {
            pid: u.pid,
            properties: u.properties.to_builder().build().unwrap(),
            filters: u.filters.iter().map(|&f| s(f)).collect(),
        }),
        Packet::UnsubAck(a) => Packet::UnsubAck(UnsubAck {
            pid: a.pid,
            properties: ack_properties(&a.properties),
            reason_codes: a.reason_codes.clone(),
        }),
        Packet::PingReq => Packet::PingReq,
        Packet::PingResp => Packet::PingResp,
        Packet::Disconnect(d) => Packet::Disconnect(Disconnect {
            reason_code: d.reason_code,
            properties: d.properties.to_builder().build().unwrap(),
        }),
        Packet::Auth(a) => Packet::Auth(Auth {
            reason_code: a.reason_code,
            properties: a.properties.to_builder().build().unwrap(),
        }),
    }
}

fn connect(c: &Connect<&[u8]>) -> Connect {
    let p = &c.properties;
    Connect {
        protocol: c.protocol,
        clean_start: c.clean_start,
        keep_alive: c.keep_alive,
        properties: p.to_builder().build().unwrap(),
        client_id: s(c.client_id),
        will: c.will.as_ref().map(|w| {
            let p = &w.properties;
            Will {
                qos: w.qos,
                retain: w.retain,
                properties: p.to_builder().build().unwrap(),
                topic: s(w.topic),
                payload: b(w.payload),
            }
        }),
        username: os(c.username),
        password: ob(c.password),
    }
}

fn connack_properties(p: &ConnAckProperties<&[u8]>) -> ConnAckProperties {
    p.to_builder().build().unwrap()
}

fn publish(p: &Publish<&[u8]>) -> Publish {
    let props = &p.properties;
    Publish {
        dup: p.dup,
        qos: p.qos,
        retain: p.retain,
        topic: s(p.topic),
        properties: props.to_builder().build().unwrap(),
        payload: b(p.payload),
    }
}

fn ack_properties(p: &AckProperties<&[u8]>) -> AckProperties {
    p.to_builder().build().unwrap()
}

fn ack(a: &Ack<&[u8]>) -> Ack {
    Ack {
        pid: a.pid,
        reason_code: a.reason_code,
        properties: ack_properties(&a.properties),
    }
}
