//! Copies a borrowed `Packet<&[u8]>` (from `decode_slice`) into an owned `Packet<Bytes>`, field
//! by field, so it can be compared with the packet that was encoded. Struct literals are
//! exhaustive: a field added to the library breaks this file instead of being skipped.

use mqtt_wire::{
    Ack, AckProperties, Auth, AuthProperties, ByteString, Bytes, ConnAck, ConnAckProperties,
    Connect, ConnectProperties, Disconnect, DisconnectProperties, Packet, Publish,
    PublishProperties, SubAck, Subscribe, SubscribeProperties, UnsubAck, Unsubscribe,
    UnsubscribeProperties, Will, WillProperties,
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
            properties: SubscribeProperties {
                subscription_identifier: sub.properties.subscription_identifier,
                user_properties: pairs(&sub.properties.user_properties),
            },
            filters: sub.filters.iter().map(|&(f, o)| (s(f), o)).collect(),
        }),
        Packet::SubAck(a) => Packet::SubAck(SubAck {
            pid: a.pid,
            properties: ack_properties(&a.properties),
            reason_codes: a.reason_codes.clone(),
        }),
        Packet::Unsubscribe(u) => Packet::Unsubscribe(Unsubscribe {
            pid: u.pid,
            properties: UnsubscribeProperties {
                user_properties: pairs(&u.properties.user_properties),
            },
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
            properties: DisconnectProperties {
                session_expiry_interval: d.properties.session_expiry_interval,
                reason_string: os(d.properties.reason_string),
                user_properties: pairs(&d.properties.user_properties),
                server_reference: os(d.properties.server_reference),
            },
        }),
        Packet::Auth(a) => Packet::Auth(Auth {
            reason_code: a.reason_code,
            properties: AuthProperties {
                authentication_method: os(a.properties.authentication_method),
                authentication_data: ob(a.properties.authentication_data),
                reason_string: os(a.properties.reason_string),
                user_properties: pairs(&a.properties.user_properties),
            },
        }),
    }
}

fn connect(c: &Connect<&[u8]>) -> Connect {
    let p = &c.properties;
    Connect {
        protocol: c.protocol,
        clean_start: c.clean_start,
        keep_alive: c.keep_alive,
        properties: ConnectProperties {
            session_expiry_interval: p.session_expiry_interval,
            receive_maximum: p.receive_maximum,
            maximum_packet_size: p.maximum_packet_size,
            topic_alias_maximum: p.topic_alias_maximum,
            request_response_information: p.request_response_information,
            request_problem_information: p.request_problem_information,
            user_properties: pairs(&p.user_properties),
            authentication_method: os(p.authentication_method),
            authentication_data: ob(p.authentication_data),
        },
        client_id: s(c.client_id),
        will: c.will.as_ref().map(|w| {
            let p = &w.properties;
            Will {
                qos: w.qos,
                retain: w.retain,
                properties: WillProperties {
                    will_delay_interval: p.will_delay_interval,
                    payload_format_indicator: p.payload_format_indicator,
                    message_expiry_interval: p.message_expiry_interval,
                    content_type: os(p.content_type),
                    response_topic: os(p.response_topic),
                    correlation_data: ob(p.correlation_data),
                    user_properties: pairs(&p.user_properties),
                },
                topic: s(w.topic),
                payload: b(w.payload),
            }
        }),
        username: os(c.username),
        password: ob(c.password),
    }
}

fn connack_properties(p: &ConnAckProperties<&[u8]>) -> ConnAckProperties {
    ConnAckProperties {
        session_expiry_interval: p.session_expiry_interval,
        receive_maximum: p.receive_maximum,
        maximum_qos: p.maximum_qos,
        retain_available: p.retain_available,
        maximum_packet_size: p.maximum_packet_size,
        assigned_client_identifier: os(p.assigned_client_identifier),
        topic_alias_maximum: p.topic_alias_maximum,
        reason_string: os(p.reason_string),
        user_properties: pairs(&p.user_properties),
        wildcard_subscription_available: p.wildcard_subscription_available,
        subscription_identifier_available: p.subscription_identifier_available,
        shared_subscription_available: p.shared_subscription_available,
        server_keep_alive: p.server_keep_alive,
        response_information: os(p.response_information),
        server_reference: os(p.server_reference),
        authentication_method: os(p.authentication_method),
        authentication_data: ob(p.authentication_data),
    }
}

fn publish(p: &Publish<&[u8]>) -> Publish {
    let props = &p.properties;
    Publish {
        dup: p.dup,
        qos: p.qos,
        retain: p.retain,
        topic: s(p.topic),
        properties: PublishProperties {
            payload_format_indicator: props.payload_format_indicator,
            message_expiry_interval: props.message_expiry_interval,
            topic_alias: props.topic_alias,
            response_topic: os(props.response_topic),
            correlation_data: ob(props.correlation_data),
            user_properties: pairs(&props.user_properties),
            subscription_identifiers: props.subscription_identifiers.clone(),
            content_type: os(props.content_type),
        },
        payload: b(p.payload),
    }
}

fn ack_properties(p: &AckProperties<&[u8]>) -> AckProperties {
    AckProperties {
        reason_string: os(p.reason_string),
        user_properties: pairs(&p.user_properties),
    }
}

fn ack(a: &Ack<&[u8]>) -> Ack {
    Ack {
        pid: a.pid,
        reason_code: a.reason_code,
        properties: ack_properties(&a.properties),
    }
}
