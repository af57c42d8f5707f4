//! Workloads shared by the decode and encode benches: encoded packets of every kind, and a
//! realistic mixed stream.

#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use mqtt_wire::{
    Ack, AckProperties, ByteString, Connect, Disconnect, Packet, PacketId, Publish,
    PublishPropertiesBuilder, QoS, QosPid, ReasonCode, SubAck, Subscribe, SubscribeFilters,
    SubscriptionOptions, TopicFilter, TopicName, Version, Will,
};

pub const TOPIC: &str = "sensors/building-7/temp01"; // 25 bytes

pub fn pid(n: u16) -> PacketId {
    PacketId::new(n).expect("non-zero")
}

pub fn encode(packet: &Packet, version: Version) -> Bytes {
    let mut buf = BytesMut::new();
    packet
        .encode(version, &mut buf)
        .expect("bench packet encodes");
    buf.freeze()
}

pub fn publish(qos: u8, payload_len: usize) -> Packet {
    let qos = match qos {
        0 => QosPid::AtMostOnce,
        1 => QosPid::AtLeastOnce(pid(1)),
        _ => QosPid::ExactlyOnce(pid(1)),
    };
    Packet::Publish(Publish {
        qos,
        ..Publish::new(
            TopicName::from_static(TOPIC).unwrap(),
            Bytes::from(vec![0x5A; payload_len]),
        )
    })
}

/// A 5.0 PUBLISH with the properties a typical application sets.
pub fn publish_v5_props() -> Packet {
    let properties = PublishPropertiesBuilder {
        content_type: Some(ByteString::from_static("application/json")),
        user_properties: vec![(
            ByteString::from_static("unit"),
            ByteString::from_static("celsius"),
        )],
        message_expiry_interval: Some(3600),
        topic_alias: Some(3),
        ..Default::default()
    }
    .build()
    .unwrap();
    Packet::Publish(Publish {
        qos: QosPid::AtLeastOnce(pid(1)),
        properties,
        ..Publish::new(
            TopicName::from_static(TOPIC).unwrap(),
            Bytes::from(vec![0x5A; 64]),
        )
    })
}

/// A 5.0 PUBLISH with four properties and no user property (allocation-free to decode).
pub fn publish_v5_props_no_user() -> Packet {
    let properties = PublishPropertiesBuilder {
        content_type: Some(ByteString::from_static("application/json")),
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(3600),
        topic_alias: Some(3),
        ..Default::default()
    }
    .build()
    .unwrap();
    Packet::Publish(Publish {
        qos: QosPid::AtLeastOnce(pid(1)),
        properties,
        ..Publish::new(
            TopicName::from_static(TOPIC).unwrap(),
            Bytes::from(vec![0x5A; 64]),
        )
    })
}

pub fn connect(version: Version) -> Packet {
    Packet::from(Connect {
        will: Some(Will {
            qos: QoS::AtLeastOnce,
            retain: false,
            properties: Default::default(),
            topic: TopicName::from_static("clients/sensor-17/status").unwrap(),
            payload: Bytes::from_static(b"offline"),
        }),
        username: Some(ByteString::from_static("sensor-17")),
        password: Some(Bytes::from_static(b"correct horse battery staple")),
        ..Connect::new(version, ByteString::from_static("sensor-17"), 60)
    })
}

pub fn subscribe_10() -> Packet {
    Packet::Subscribe(Subscribe {
        pid: pid(2),
        properties: Default::default(),
        filters: SubscribeFilters::try_from_iter((0..10).map(|i| {
            (
                TopicFilter::try_from(format!("sensors/building-{i}/+/temp")).unwrap(),
                SubscriptionOptions::qos(QoS::AtLeastOnce),
            )
        }))
        .unwrap(),
    })
}

pub fn ack(code: ReasonCode) -> Ack {
    Ack {
        pid: pid(1),
        reason_code: code,
        properties: AckProperties::default(),
    }
}

/// Every ack for `version`: name and packet.
pub fn acks(version: Version) -> Vec<(&'static str, Packet)> {
    let mut v = vec![
        ("puback", Packet::PubAck(ack(ReasonCode::SUCCESS))),
        ("pubrec", Packet::PubRec(ack(ReasonCode::SUCCESS))),
        ("pubrel", Packet::PubRel(ack(ReasonCode::SUCCESS))),
        ("pubcomp", Packet::PubComp(ack(ReasonCode::SUCCESS))),
        (
            "suback",
            Packet::SubAck(SubAck {
                pid: pid(2),
                properties: AckProperties::default(),
                reason_codes: vec![ReasonCode::GRANTED_QOS_1; 3],
            }),
        ),
        ("pingreq", Packet::PingReq),
        ("pingresp", Packet::PingResp),
        ("disconnect", Packet::Disconnect(Disconnect::default())),
    ];
    if version == Version::V5 {
        v.push((
            "puback_reason",
            Packet::PubAck(ack(ReasonCode::NO_MATCHING_SUBSCRIBERS)),
        ));
    }
    v
}

/// A session-like stream: CONNECT, SUBSCRIBE, then mostly QoS 1 PUBLISH + PUBACK with some QoS 0
/// and QoS 2 traffic and pings around them. Returns the bytes and the packet count.
pub fn mixed_stream(version: Version, publishes: usize) -> (Bytes, usize) {
    let mut buf = BytesMut::new();
    let mut count = 0;
    let mut put = |p: &Packet, buf: &mut BytesMut| {
        p.encode(version, buf).expect("stream packet encodes");
        count += 1;
    };
    put(&connect(version), &mut buf);
    put(&subscribe_10(), &mut buf);
    for i in 0..publishes {
        let id = pid((i % 65_535) as u16 + 1);
        let payload = Bytes::from(vec![b'x'; 32 + (i * 37) % 200]);
        let topic = format!("sensors/building-{}/temp{:02}", i % 10, i % 97);
        let topic = TopicName::try_from(topic).unwrap();
        let qos = match i % 10 {
            0..=1 => QosPid::AtMostOnce,
            9 => QosPid::ExactlyOnce(id),
            _ => QosPid::AtLeastOnce(id),
        };
        put(
            &Packet::Publish(Publish {
                qos,
                ..Publish::new(topic, payload)
            }),
            &mut buf,
        );
        let a = Ack {
            pid: id,
            ..ack(ReasonCode::SUCCESS)
        };
        match qos {
            QosPid::AtLeastOnce(_) => put(&Packet::PubAck(a), &mut buf),
            QosPid::ExactlyOnce(_) => {
                put(&Packet::PubRec(a.clone()), &mut buf);
                put(&Packet::PubRel(a.clone()), &mut buf);
                put(&Packet::PubComp(a), &mut buf);
            }
            QosPid::AtMostOnce => {}
        }
        if i % 100 == 99 {
            put(&Packet::PingReq, &mut buf);
        }
    }
    put(&Packet::Disconnect(Disconnect::default()), &mut buf);
    (buf.freeze(), count)
}

/// The header-only floor: read each fixed header's remaining length and skip the packet.
#[inline(never)]
pub fn walk_headers(mut bytes: &[u8]) -> usize {
    let mut count = 0;
    while bytes.len() >= 2 {
        let mut len = 0usize;
        let mut i = 1;
        loop {
            let b = bytes[i];
            len |= usize::from(b & 0x7F) << (7 * (i - 1));
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        bytes = &bytes[i + len..];
        count += 1;
    }
    count
}
