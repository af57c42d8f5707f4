//! The broker core with real client sessions, in memory: routing, retained messages, wills,
//! sessions, takeover, shared subscriptions, the policy. Each test names the statements it
//! checks.

mod common;

use common::world::{World, connect, qos};
use mqtt_wire::broker::{BrokerConfig, BrokerEvent, ClientInfo, Policy};
use mqtt_wire::session::{ClientConfig, ClientEvent, ConnectionError};
use mqtt_wire::{
    ConnectProperties, Packet, QoS, ReasonCode, RetainHandling, SubscribeProperties,
    SubscriptionOptions, Version, Will, WillProperties,
};

fn world() -> World {
    World::new(BrokerConfig::default())
}

fn two(version: Version) -> World {
    let mut w = world();
    for (i, id) in ["a", "b"].into_iter().enumerate() {
        w.add_client(ClientConfig::default());
        w.join(i, version, id, true);
    }
    w
}

fn connected(w: &mut World, i: usize) -> bool {
    w.events(i)
        .iter()
        .any(|e| matches!(e, ClientEvent::Connected { .. }))
}

#[test]
fn publish_reaches_a_subscriber_at_each_qos_both_versions() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = two(version);
        assert!(connected(&mut w, 0) && connected(&mut w, 1));
        w.subscribe(1, "t/#", qos(QoS::ExactlyOnce));
        for (q, text) in [
            (QoS::AtMostOnce, "zero"),
            (QoS::AtLeastOnce, "one"),
            (QoS::ExactlyOnce, "two"),
        ] {
            w.publish(0, "t/x", text, q, false);
            let got = w.messages(1);
            assert_eq!(got.len(), 1, "{version:?} {q:?}");
            assert_eq!(got[0].qos.qos(), q);
            assert_eq!(&got[0].payload[..], text.as_bytes());
            assert!(!got[0].retain);
        }
        // The publisher's QoS 1 and 2 messages completed.
        let done = w
            .events(0)
            .into_iter()
            .filter(|e| matches!(e, ClientEvent::Published { .. }))
            .count();
        assert_eq!(done, 2);
    }
}

/// [MQTT-3.8.4-8] (5.0) / [MQTT-3.8.4-6] (3.1.1): delivered at min(published, granted).
#[test]
fn delivery_is_downgraded_to_the_granted_qos_mqtt_3_8_4_8() {
    let mut w = two(Version::V5);
    w.subscribe(1, "t", qos(QoS::AtLeastOnce));
    w.publish(0, "t", "x", QoS::ExactlyOnce, false);
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos.qos(), QoS::AtLeastOnce);
}

/// [MQTT-3.3.4-2] / [MQTT-3.3.4-3]: overlapping subscriptions of one client give one copy at
/// the highest granted QoS, with every matching Subscription Identifier.
#[test]
fn overlapping_subscriptions_give_one_copy_with_every_identifier_mqtt_3_3_4_2() {
    let mut w = two(Version::V5);
    for (filter, q, id) in [("a/+", QoS::AtMostOnce, 7), ("a/#", QoS::AtLeastOnce, 9)] {
        let mut props = SubscribeProperties::builder();
        props.subscription_identifier = Some(id);
        w.subscribe_with(1, filter, qos(q), props.build().unwrap());
    }
    w.publish(0, "a/b", "x", QoS::ExactlyOnce, false);
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos.qos(), QoS::AtLeastOnce);
    let ids: Vec<u32> = got[0].properties.subscription_identifiers().collect();
    assert_eq!(ids, [7, 9]);
}

/// [MQTT-4.7.2-1]: a leading wildcard does not match a `$` topic.
#[test]
fn leading_wildcards_do_not_match_dollar_topics_mqtt_4_7_2_1() {
    let mut w = two(Version::V5);
    w.subscribe(1, "#", qos(QoS::AtMostOnce));
    w.subscribe(1, "+/x", qos(QoS::AtMostOnce));
    w.publish(0, "$SYS/x", "hidden", QoS::AtMostOnce, false);
    assert!(w.messages(1).is_empty());
    w.subscribe(1, "$SYS/#", qos(QoS::AtMostOnce));
    w.publish(0, "$SYS/x", "seen", QoS::AtMostOnce, false);
    assert_eq!(w.payloads(1), ["seen"]);
}

/// [MQTT-3.8.3-3]: No Local keeps a client's own messages from it.
#[test]
fn no_local_skips_the_publisher_mqtt_3_8_3_3() {
    let mut w = two(Version::V5);
    let mut o = qos(QoS::AtMostOnce);
    o.no_local = true;
    w.subscribe(0, "t", o);
    w.subscribe(1, "t", qos(QoS::AtMostOnce));
    w.publish(0, "t", "x", QoS::AtMostOnce, false);
    assert!(w.messages(0).is_empty());
    assert_eq!(w.payloads(1), ["x"]);
    w.publish(1, "t", "y", QoS::AtMostOnce, false);
    assert_eq!(w.payloads(0), ["y"]);
}

/// [MQTT-3.3.1-5], [MQTT-3.3.1-6] (5.0), [MQTT-3.3.1-9] (5.0), [MQTT-3.3.1-12] /
/// [MQTT-3.3.1-13]: a retained message is stored, sent with RETAIN 1 to new subscriptions,
/// forwarded live with RETAIN 0 unless Retain As Published, and deleted by an empty payload.
#[test]
fn retained_messages_are_stored_replaced_and_deleted_mqtt_3_3_1_5() {
    let mut w = two(Version::V5);
    w.publish(0, "r/1", "old", QoS::AtLeastOnce, true);
    w.publish(0, "r/1", "new", QoS::AtLeastOnce, true);
    w.publish(0, "r/2", "other", QoS::AtMostOnce, true);
    w.subscribe(1, "r/#", qos(QoS::AtLeastOnce));
    let got = w.messages(1);
    let mut seen: Vec<(String, bool)> = got
        .iter()
        .map(|p| (String::from_utf8_lossy(&p.payload).into_owned(), p.retain))
        .collect();
    seen.sort();
    assert_eq!(seen, [("new".into(), true), ("other".into(), true)]);
    // Live: RETAIN 0 without Retain As Published.
    w.publish(0, "r/1", "live", QoS::AtMostOnce, true);
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert!(!got[0].retain);
    // Delete: an empty payload is delivered and removes the retained message.
    w.publish(0, "r/1", "", QoS::AtMostOnce, true);
    assert_eq!(w.messages(1).len(), 1);
    w.add_client(ClientConfig::default());
    w.join(2, Version::V5, "c", true);
    w.subscribe(2, "r/#", qos(QoS::AtMostOnce));
    assert_eq!(w.payloads(2), ["other"]);
    assert_eq!(w.broker.stats().retained, 1);
}

/// [MQTT-3.3.1-13]: Retain As Published keeps the RETAIN flag on live copies.
#[test]
fn retain_as_published_keeps_the_flag_mqtt_3_3_1_13() {
    let mut w = two(Version::V5);
    let mut o = qos(QoS::AtMostOnce);
    o.retain_as_published = true;
    w.subscribe(1, "t", o);
    w.publish(0, "t", "x", QoS::AtMostOnce, true);
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert!(got[0].retain);
}

/// [MQTT-3.3.1-10] / [MQTT-3.3.1-11] (5.0): Retain Handling 1 sends retained messages only for
/// a new subscription, 2 never.
#[test]
fn retain_handling_one_and_two_mqtt_3_3_1_10_11() {
    let mut w = two(Version::V5);
    w.publish(0, "r", "kept", QoS::AtMostOnce, true);
    let mut if_new = qos(QoS::AtMostOnce);
    if_new.retain_handling = RetainHandling::SendIfNew;
    w.subscribe(1, "r", if_new);
    assert_eq!(w.payloads(1), ["kept"]);
    w.subscribe(1, "r", if_new);
    assert!(w.messages(1).is_empty(), "the subscription existed");
    let mut never = qos(QoS::AtMostOnce);
    never.retain_handling = RetainHandling::DoNotSend;
    w.subscribe(1, "#", never);
    assert!(w.messages(1).is_empty());
}

fn with_will(
    version: Version,
    id: &str,
    delay: Option<u32>,
    expiry: Option<u32>,
) -> mqtt_wire::Connect {
    let mut c = connect(version, id, true, 0);
    let mut will = Will::new(
        "will/t".try_into().unwrap(),
        bytes::Bytes::from_static(b"gone"),
    );
    if version.is_v5() {
        let mut wp = WillProperties::builder();
        wp.will_delay_interval = delay;
        will.properties = wp.build().unwrap();
        let mut cp = ConnectProperties::builder();
        cp.session_expiry_interval = expiry;
        c.properties = cp.build().unwrap();
    }
    c.will = Some(will);
    c
}

fn watcher(w: &mut World, version: Version) -> usize {
    let i = w.add_client(ClientConfig::default());
    w.join(i, version, "watcher", true);
    w.subscribe(i, "will/#", qos(QoS::AtMostOnce));
    i
}

/// [MQTT-3.1.2-8]: the will is published when the connection is lost; §3.1.2.5 transport loss.
#[test]
fn will_is_published_when_the_connection_is_lost_mqtt_3_1_2_8() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = world();
        let watch = watcher(&mut w, version);
        let i = w.add_client(ClientConfig::default());
        w.connect(i, with_will(version, "dying", None, None));
        w.cut(i);
        assert_eq!(w.payloads(watch), ["gone"], "{version:?}");
        assert_eq!(w.broker.stats().wills_published, 1);
    }
}

/// [MQTT-3.14.4-3], [MQTT-3.1.2-10]: DISCONNECT (0x00) discards the will; 0x04 publishes it.
#[test]
fn normal_disconnect_discards_the_will_and_0x04_publishes_it_mqtt_3_14_4_3() {
    let mut w = world();
    let watch = watcher(&mut w, Version::V5);
    let i = w.add_client(ClientConfig::default());
    w.connect(i, with_will(Version::V5, "polite", None, None));
    let now = w.t();
    w.clients[i]
        .session
        .disconnect(now, mqtt_wire::Disconnect::default())
        .unwrap();
    w.run();
    assert!(w.messages(watch).is_empty());
    w.connect(i, with_will(Version::V5, "polite", None, None));
    let now = w.t();
    let d = mqtt_wire::Disconnect {
        reason_code: ReasonCode::DISCONNECT_WITH_WILL,
        properties: Default::default(),
    };
    w.clients[i].session.disconnect(now, d).unwrap();
    w.run();
    assert_eq!(w.payloads(watch), ["gone"]);
}

/// [MQTT-3.1.2-8] (5.0): with a Will Delay Interval the will waits; [MQTT-3.1.3-9]: a
/// reconnection to the session within the delay cancels it.
#[test]
fn will_delay_waits_and_a_resumption_cancels_it_mqtt_3_1_3_9() {
    let mut w = world();
    let watch = watcher(&mut w, Version::V5);
    let i = w.add_client(ClientConfig::default());
    w.connect(i, with_will(Version::V5, "slow", Some(10), Some(100)));
    w.cut(i);
    w.advance(9_000);
    assert!(w.messages(watch).is_empty(), "before the delay");
    w.advance(1_000);
    assert_eq!(w.payloads(watch), ["gone"], "at the delay");

    let mut c = with_will(Version::V5, "slow", Some(10), Some(100));
    c.clean_start = false;
    w.connect(i, c.clone());
    w.cut(i);
    w.advance(5_000);
    w.connect(i, c);
    w.advance(20_000);
    assert!(w.messages(watch).is_empty(), "resumed within the delay");
}

/// [MQTT-3.1.2-8] (5.0): the will goes when the session ends, if that is before its delay.
#[test]
fn will_goes_when_the_session_ends_before_the_delay_mqtt_3_1_2_8() {
    let mut w = world();
    let watch = watcher(&mut w, Version::V5);
    let i = w.add_client(ClientConfig::default());
    w.connect(i, with_will(Version::V5, "short", Some(60), Some(5)));
    w.cut(i);
    w.advance(4_000);
    assert!(w.messages(watch).is_empty());
    w.advance(1_000);
    assert_eq!(w.payloads(watch), ["gone"]);
    assert!(!w.broker.has_session("short"), "the session expired");
}

/// Persistent sessions: messages for an absent client are queued and delivered when it
/// resumes, with Session Present 1 ([MQTT-3.2.2-2]); 3.1.1 Clean Session 0 keeps the session.
#[test]
fn queued_messages_reach_a_client_that_resumes_mqtt_3_2_2_2() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = world();
        let publisher = w.add_client(ClientConfig::default());
        w.join(publisher, version, "pub", true);
        let sub = w.add_client(ClientConfig::default());
        let mut c = connect(version, "sub", false, 0);
        if version.is_v5() {
            let mut p = ConnectProperties::builder();
            p.session_expiry_interval = Some(300);
            c.properties = p.build().unwrap();
        }
        w.connect(sub, c.clone());
        w.subscribe(sub, "q/#", qos(QoS::AtLeastOnce));
        w.cut(sub);
        for n in 0..3 {
            w.publish(publisher, "q/x", &format!("m{n}"), QoS::AtLeastOnce, false);
        }
        w.publish(publisher, "q/x", "qos0 not queued", QoS::AtMostOnce, false);
        w.events(sub);
        w.connect(sub, c);
        let present = w.clients[sub].events.iter().find_map(|e| match e {
            ClientEvent::Connected {
                session_present, ..
            } => Some(*session_present),
            _ => None,
        });
        assert_eq!(present, Some(true), "{version:?}");
        assert_eq!(w.payloads(sub), ["m0", "m1", "m2"], "{version:?}");
        assert_eq!(w.broker.stats().dropped_offline_qos0, 1);
    }
}

/// [MQTT-3.1.4-3] (5.0) / [MQTT-3.1.4-2] (3.1.1): a second connection with the same client
/// identifier takes the session over; the old one gets DISCONNECT 0x8E (5.0) and is closed.
#[test]
fn a_second_connection_takes_the_session_over_mqtt_3_1_4_3() {
    let mut w = world();
    let old = w.add_client(ClientConfig::default());
    let mut c = connect(Version::V5, "same", false, 0);
    let mut p = ConnectProperties::builder();
    p.session_expiry_interval = Some(60);
    c.properties = p.build().unwrap();
    w.connect(old, c.clone());
    w.subscribe(old, "s", qos(QoS::AtLeastOnce));
    let new = w.add_client(ClientConfig::default());
    w.connect(new, c);
    let ended = w.events(old).into_iter().find_map(|e| match e {
        ClientEvent::Disconnected { error, .. } => Some(error),
        _ => None,
    });
    assert!(
        matches!(
            ended,
            Some(ConnectionError::PeerDisconnected { reason, .. }) if reason == ReasonCode::SESSION_TAKEN_OVER
        ),
        "{ended:?}"
    );
    let present = w.events(new).iter().find_map(|e| match e {
        ClientEvent::Connected {
            session_present, ..
        } => Some(*session_present),
        _ => None,
    });
    assert_eq!(present, Some(true));
    // The subscription moved with the session.
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    w.publish(p, "s", "to the new one", QoS::AtLeastOnce, false);
    assert_eq!(w.payloads(new), ["to the new one"]);
    assert!(w.messages(old).is_empty());
}

/// Shared subscriptions (§4.8.2): each message goes to one member, in turn.
#[test]
fn a_shared_group_delivers_each_message_to_one_member_mqtt_4_8_2_3() {
    let mut w = world();
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let members: Vec<usize> = (0..3)
        .map(|n| {
            let i = w.add_client(ClientConfig::default());
            w.join(i, Version::V5, &format!("m{n}"), true);
            w.subscribe(i, "$share/g/jobs/#", qos(QoS::AtLeastOnce));
            i
        })
        .collect();
    for n in 0..9 {
        w.publish(p, "jobs/x", &format!("{n}"), QoS::AtLeastOnce, false);
    }
    let counts: Vec<usize> = members.iter().map(|&m| w.messages(m).len()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 9);
    assert_eq!(counts, [3, 3, 3]);
}

/// [MQTT-3.1.2-22] (5.0) / [MQTT-3.1.2-24] (3.1.1): a client silent for 1.5 x its keep alive
/// is disconnected and its will published.
#[test]
fn a_silent_client_is_dropped_after_one_and_a_half_keep_alives_mqtt_3_1_2_22() {
    let mut w = world();
    let watch = watcher(&mut w, Version::V5);
    let i = w.add_client(ClientConfig::default());
    let mut c = with_will(Version::V5, "quiet", None, None);
    c.keep_alive = 10;
    w.connect(i, c);
    // The client's side dies without the broker seeing it.
    w.cut_client_side(i);
    w.advance(14_900);
    assert!(w.messages(watch).is_empty());
    w.advance(200);
    assert_eq!(w.payloads(watch), ["gone"]);
    assert!(w.broker_events.iter().any(|e| matches!(
        e,
        BrokerEvent::Disconnected {
            error: ConnectionError::KeepAliveTimeout,
            ..
        }
    )));
}

/// An empty client identifier gets one assigned ([MQTT-3.1.3-6], [MQTT-3.2.2-16]).
#[test]
fn an_empty_client_identifier_is_assigned_one_mqtt_3_2_2_16() {
    let mut w = world();
    let i = w.add_client(ClientConfig::default());
    w.join(i, Version::V5, "", true);
    let assigned = w.events(i).into_iter().find_map(|e| match e {
        ClientEvent::Connected { connack, .. } => connack
            .properties
            .assigned_client_identifier()
            .map(str::to_owned),
        _ => None,
    });
    let assigned = assigned.expect("an assigned identifier");
    assert!(assigned.starts_with("auto-"));
    assert!(w.broker.has_session(&assigned));
}

struct ReadOnly;

impl Policy for ReadOnly {
    fn may_publish(&mut self, client: &ClientInfo<'_>, _topic: &str) -> bool {
        client.client_id != "reader"
    }
    fn may_subscribe(&mut self, _client: &ClientInfo<'_>, filter: &str) -> bool {
        !filter.starts_with("secret")
    }
}

/// The policy: a refused PUBLISH gets PUBACK 0x87 on 5.0 and reaches nobody; a refused
/// filter gets SUBACK 0x87 (0x80 on 3.1.1).
#[test]
fn the_policy_refuses_publishes_and_subscriptions() {
    use mqtt_wire::broker::Broker;
    let mut w = world();
    w.broker = Broker::new(BrokerConfig::default());
    // Swap in a broker with the policy: the world's type is fixed, so drive it directly.
    let mut b = Broker::with_policy(BrokerConfig::default(), ReadOnly);
    let now = w.t();
    let mut tx = bytes::BytesMut::new();
    let conn = b.open(now, None);
    let mut client = mqtt_wire::session::ClientSession::new(ClientConfig::default());
    client
        .connect(now, connect(Version::V5, "reader", true, 0))
        .unwrap();
    let mut pump = |b: &mut Broker<ReadOnly>, client: &mut mqtt_wire::session::ClientSession| {
        for _ in 0..10 {
            let mut out = bytes::BytesMut::new();
            let _ = client.poll_transmit(now, &mut out);
            b.handle_input(now, conn, &mut out);
            tx.clear();
            while b.poll_transmit(now, &mut tx).is_some() {}
            client.handle_input(now, &mut tx);
        }
    };
    pump(&mut b, &mut client);
    let filters = mqtt_wire::SubscribeFilters::try_from_iter([
        (
            mqtt_wire::TopicFilter::from_static("open/#").unwrap(),
            SubscriptionOptions::qos(QoS::AtMostOnce),
        ),
        (
            mqtt_wire::TopicFilter::from_static("secret/#").unwrap(),
            SubscriptionOptions::qos(QoS::AtMostOnce),
        ),
    ])
    .unwrap();
    client.subscribe(now, filters, Default::default()).unwrap();
    let msg =
        mqtt_wire::session::Message::new("open/x".try_into().unwrap(), "x").qos(QoS::AtLeastOnce);
    client.publish(now, msg).unwrap();
    pump(&mut b, &mut client);
    let mut codes = None;
    let mut published = None;
    while let Some(e) = client.poll_event() {
        match e {
            ClientEvent::Subscribed { suback, .. } => codes = Some(suback.reason_codes),
            ClientEvent::Published { reason, .. } => published = Some(reason),
            _ => {}
        }
    }
    assert_eq!(
        codes.unwrap(),
        [ReasonCode::GRANTED_QOS_0, ReasonCode::NOT_AUTHORIZED]
    );
    assert_eq!(published, Some(ReasonCode::NOT_AUTHORIZED));
    assert_eq!(b.stats().denied_publish, 1);
    assert_eq!(b.stats().denied_subscribe, 1);
}

/// Every CONNACK and SUBACK the broker sent in these exchanges was decoded on the way (the
/// world checks each byte); a 5.0 publish with no subscriber is acknowledged 0x10.
#[test]
fn a_message_nobody_wants_is_acknowledged_no_matching_subscribers() {
    let mut w = two(Version::V5);
    w.publish(0, "nobody", "x", QoS::AtLeastOnce, false);
    let reason = w.events(0).into_iter().find_map(|e| match e {
        ClientEvent::Published { reason, .. } => Some(reason),
        _ => None,
    });
    assert_eq!(reason, Some(ReasonCode::NO_MATCHING_SUBSCRIBERS));
    assert!(w.clients[0].received.iter().any(
        |p| matches!(p, Packet::PubAck(a) if a.reason_code == ReasonCode::NO_MATCHING_SUBSCRIBERS)
    ));
    assert_eq!(w.broker.stats().unrouted, 1);
}

fn member(w: &mut World, id: &str, config: ClientConfig) -> usize {
    let i = w.add_client(config);
    w.join(i, Version::V5, id, true);
    w.subscribe(i, "$share/g/jobs", qos(QoS::ExactlyOnce));
    w.events(i);
    i
}

/// §4.8.2: a QoS 1 message given to a member whose session ends before it acknowledged it goes
/// to another member; a QoS 2 message whose delivery had started does not ([MQTT-4.8.2-5]).
#[test]
fn a_member_that_leaves_hands_its_qos1_messages_to_another_mqtt_4_8_2_5() {
    let manual = ClientConfig::default().ack_mode(mqtt_wire::session::AckMode::Manual);
    let mut w = world();
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let slow = member(&mut w, "slow", manual.clone());
    w.publish(p, "jobs", "first", QoS::AtLeastOnce, false);
    w.publish(p, "jobs", "second", QoS::ExactlyOnce, false);
    // Only one member: it got both and acknowledged neither (manual mode, never acked).
    assert_eq!(w.payloads(slow), ["first", "second"]);
    let other = member(&mut w, "other", ClientConfig::default());
    // The slow member's session ends with its connection (Session Expiry 0).
    w.cut(slow);
    assert_eq!(
        w.payloads(other),
        ["first"],
        "QoS 1 moves; QoS 2 in flight does not"
    );
}

/// [MQTT-3.3.2-5] / [MQTT-3.3.2-6]: a queued message whose Message Expiry Interval passed is not
/// sent; one still alive carries the interval left.
#[test]
fn queued_messages_expire_and_carry_the_time_left_mqtt_3_3_2_5() {
    let mut w = world();
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let sub = w.add_client(ClientConfig::default());
    let mut c = connect(Version::V5, "away", false, 0);
    let mut cp = ConnectProperties::builder();
    cp.session_expiry_interval = Some(3600);
    c.properties = cp.build().unwrap();
    w.connect(sub, c.clone());
    w.subscribe(sub, "e/#", qos(QoS::AtLeastOnce));
    w.cut(sub);
    for (topic, expiry) in [("e/short", 5), ("e/long", 100)] {
        let mut props = mqtt_wire::PublishProperties::builder();
        props.message_expiry_interval = Some(expiry);
        let msg = mqtt_wire::session::Message::new(topic.try_into().unwrap(), "x")
            .qos(QoS::AtLeastOnce)
            .properties(props.build().unwrap());
        let now = w.t();
        w.clients[p].session.publish(now, msg).unwrap();
        w.run();
    }
    w.advance(30_000);
    w.connect(sub, c);
    let got = w.messages(sub);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].topic, "e/long");
    assert_eq!(got[0].properties.message_expiry_interval(), Some(70));
    assert_eq!(w.broker.stats().dropped_expired, 1);
}

/// Session expiry: a session not resumed within its Session Expiry Interval ends; the next
/// CONNECT gets Session Present 0 ([MQTT-3.2.2-3]) and no old subscription.
#[test]
fn an_expired_session_is_gone_mqtt_3_2_2_3() {
    let mut w = world();
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let sub = w.add_client(ClientConfig::default());
    let mut c = connect(Version::V5, "brief", false, 0);
    let mut cp = ConnectProperties::builder();
    cp.session_expiry_interval = Some(10);
    c.properties = cp.build().unwrap();
    w.connect(sub, c.clone());
    w.subscribe(sub, "x", qos(QoS::AtLeastOnce));
    w.cut(sub);
    w.advance(10_000);
    assert!(!w.broker.has_session("brief"));
    assert_eq!(w.broker.stats().sessions_expired, 1);
    w.events(sub);
    w.connect(sub, c);
    let present = w.clients[sub].events.iter().find_map(|e| match e {
        ClientEvent::Connected {
            session_present, ..
        } => Some(*session_present),
        _ => None,
    });
    assert_eq!(present, Some(false));
    w.publish(p, "x", "lost", QoS::AtLeastOnce, false);
    assert!(w.messages(sub).is_empty());
}

/// [MQTT-3.1.2-4] (5.0) / [MQTT-3.1.2-6] (3.1.1): Clean Start discards the stored session.
#[test]
fn clean_start_discards_the_stored_session_mqtt_3_1_2_4() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = world();
        let p = w.add_client(ClientConfig::default());
        w.join(p, version, "p", true);
        let sub = w.add_client(ClientConfig::default());
        let mut keep = connect(version, "s", false, 0);
        if version.is_v5() {
            let mut cp = ConnectProperties::builder();
            cp.session_expiry_interval = Some(60);
            keep.properties = cp.build().unwrap();
        }
        w.connect(sub, keep);
        w.subscribe(sub, "x", qos(QoS::AtLeastOnce));
        w.cut(sub);
        w.publish(p, "x", "queued", QoS::AtLeastOnce, false);
        w.events(sub);
        w.connect(sub, connect(version, "s", true, 0));
        let present = w.clients[sub].events.iter().find_map(|e| match e {
            ClientEvent::Connected {
                session_present, ..
            } => Some(*session_present),
            _ => None,
        });
        assert_eq!(present, Some(false), "{version:?}");
        assert!(
            w.messages(sub).is_empty(),
            "{version:?}: the queue went with the session"
        );
        w.publish(p, "x", "later", QoS::AtLeastOnce, false);
        assert!(
            w.messages(sub).is_empty(),
            "{version:?}: so did the subscription"
        );
    }
}

/// A client that stops reading: its queue fills (QoS 0 dropped first), then the broker closes
/// it with 0x97 instead of holding more; the publisher is not affected.
#[test]
fn a_client_that_stops_reading_is_disconnected_when_its_queue_is_full() {
    let server = mqtt_wire::session::ServerConfig::default().max_queued(4);
    let mut w = World::new(BrokerConfig::default().server(server));
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let slow = w.add_client(ClientConfig::default().max_events(1));
    // Receive Maximum 1: one message in flight, the rest queue at the broker.
    let mut c = connect(Version::V5, "slow", true, 0);
    let mut cp = ConnectProperties::builder();
    cp.receive_maximum = Some(1);
    c.properties = cp.build().unwrap();
    w.connect(slow, c);
    w.subscribe(slow, "f", qos(QoS::AtLeastOnce));
    w.clients[slow].session = mqtt_wire::session::ClientSession::new(
        ClientConfig::default().ack_mode(mqtt_wire::session::AckMode::Manual),
    );
    for n in 0..8 {
        w.publish(p, "f", &format!("{n}"), QoS::AtLeastOnce, false);
    }
    assert!(w.broker.stats().dropped_queue_full >= 1);
    assert!(w.broker_events.iter().any(|e| matches!(
        e,
        BrokerEvent::Disconnected {
            error: ConnectionError::LocallyClosed,
            ..
        }
    )));
    // The publisher still works.
    let done = w
        .events(p)
        .iter()
        .filter(|e| matches!(e, ClientEvent::Published { .. }))
        .count();
    assert_eq!(done, 8);
}

/// A restart (export, every link dropped, import) loses nothing the broker had accepted:
/// sessions with their subscriptions and queued messages, retained messages, and the will of a
/// client that was connected (due after its delay, as for a lost connection).
#[test]
fn a_restarted_broker_keeps_sessions_queues_retained_messages_and_wills() {
    let mut w = world();
    let watch = w.add_client(ClientConfig::default());
    let mut wc = connect(Version::V5, "watcher", false, 0);
    let mut cp = ConnectProperties::builder();
    cp.session_expiry_interval = Some(3600);
    wc.properties = cp.build().unwrap();
    w.connect(watch, wc.clone());
    w.subscribe(watch, "will/#", qos(QoS::AtLeastOnce));
    let mut sc = connect(Version::V5, "sub", false, 0);
    sc.properties = wc.properties.clone();
    let sub = w.add_client(ClientConfig::default());
    w.connect(sub, sc.clone());
    let mut ids = SubscribeProperties::builder();
    ids.subscription_identifier = Some(42);
    w.subscribe_with(sub, "q/#", qos(QoS::AtLeastOnce), ids.build().unwrap());
    w.cut(sub);
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    w.publish(p, "q/1", "queued", QoS::AtLeastOnce, false);
    w.publish(p, "r", "retained", QoS::AtLeastOnce, true);
    let dying = w.add_client(ClientConfig::default());
    w.connect(dying, with_will(Version::V5, "dying", Some(5), Some(60)));

    w.restart_broker(BrokerConfig::default());
    assert_eq!(
        w.broker.stats().sessions,
        3,
        "watcher, sub, dying (p had Clean Start)"
    );
    assert_eq!(w.broker.stats().retained, 1);

    w.connect(watch, wc);
    w.advance(4_000);
    assert!(w.messages(watch).is_empty(), "the will waits for its delay");
    w.advance(1_000);
    assert_eq!(w.payloads(watch), ["gone"]);

    w.connect(sub, sc);
    let got = w.messages(sub);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].payload[..], b"queued");
    assert_eq!(
        got[0]
            .properties
            .subscription_identifiers()
            .collect::<Vec<_>>(),
        [42]
    );
    w.subscribe(sub, "r", qos(QoS::AtMostOnce));
    assert_eq!(w.payloads(sub), ["retained"]);
    // The subscription itself survived: a new message is routed to it.
    w.join(p, Version::V5, "p", true);
    w.publish(p, "q/2", "after", QoS::AtLeastOnce, false);
    assert_eq!(w.payloads(sub), ["after"]);
}

/// Importing bytes that are not a broker's state is an error, never a panic: every truncation
/// and every single-byte change of a real state.
#[test]
fn importing_damaged_state_is_an_error_not_a_panic() {
    use mqtt_wire::broker::Broker;
    use mqtt_wire::session::Instant;
    let mut w = world();
    let i = w.add_client(ClientConfig::default());
    let mut c = connect(Version::V5, "s", false, 0);
    let mut cp = ConnectProperties::builder();
    cp.session_expiry_interval = Some(60);
    c.properties = cp.build().unwrap();
    w.connect(i, c);
    w.subscribe(i, "a/+", qos(QoS::AtLeastOnce));
    w.publish(i, "a/b", "x", QoS::AtLeastOnce, true);
    let state = w.broker.export(w.t());
    assert!(Broker::import(BrokerConfig::default(), &state, Instant::ZERO).is_ok());
    for n in 0..state.len() {
        assert!(
            Broker::import(BrokerConfig::default(), &state[..n], Instant::ZERO).is_err(),
            "{n}"
        );
    }
    for n in 0..state.len() {
        let mut bad = state.to_vec();
        bad[n] ^= 0xFF;
        let _ = Broker::import(BrokerConfig::default(), &bad, Instant::ZERO);
    }
    assert!(Broker::import(BrokerConfig::default(), b"not a state", Instant::ZERO).is_err());
}

/// A minimal pump between one client session and a broker with any policy.
fn pump<P: Policy>(
    b: &mut mqtt_wire::broker::Broker<P>,
    conn: mqtt_wire::broker::ConnId,
    client: &mut mqtt_wire::session::ClientSession,
    now: mqtt_wire::session::Instant,
) -> Vec<ClientEvent> {
    let mut events = Vec::new();
    for _ in 0..16 {
        let mut out = bytes::BytesMut::new();
        let _ = client.poll_transmit(now, &mut out);
        b.handle_input(now, conn, &mut out);
        let mut tx = bytes::BytesMut::new();
        while b.poll_transmit(now, &mut tx).is_some() {}
        client.handle_input(now, &mut tx);
        while let Some(e) = client.poll_event() {
            events.push(e);
        }
    }
    events
}

/// A challenge-response policy: "hello" earns the challenge "prove", "proof" earns acceptance.
struct Challenge;

impl Policy for Challenge {
    fn connect(
        &mut self,
        request: &mqtt_wire::broker::ConnectRequest<'_>,
    ) -> mqtt_wire::broker::ConnectDecision {
        use mqtt_wire::broker::ConnectDecision;
        match (request.authentication_method, request.authentication_data) {
            (Some("demo"), Some(b"hello")) => ConnectDecision::Continue {
                authentication_data: Some(bytes::Bytes::from_static(b"prove")),
            },
            (Some("demo"), Some(b"proof")) => ConnectDecision::Accept {
                authentication_data: Some(bytes::Bytes::from_static(b"welcome")),
            },
            _ => ConnectDecision::Reject(ReasonCode::NOT_AUTHORIZED),
        }
    }
}

fn auth_connect(data: &'static [u8]) -> mqtt_wire::Connect {
    let mut c = connect(Version::V5, "authed", true, 0);
    let mut p = ConnectProperties::builder();
    p.authentication_method = Some("demo".into());
    p.authentication_data = Some(bytes::Bytes::from_static(data));
    c.properties = p.build().unwrap();
    c
}

fn auth_answer(data: &'static [u8]) -> mqtt_wire::Auth {
    let mut p = mqtt_wire::AuthProperties::builder();
    p.authentication_method = Some("demo".into());
    p.authentication_data = Some(bytes::Bytes::from_static(data));
    mqtt_wire::Auth {
        reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
        properties: p.build().unwrap(),
    }
}

/// §4.12 enhanced authentication through the policy: CONNECT, AUTH 0x18 challenge, AUTH 0x18
/// answer, CONNACK with the final data; a wrong answer is refused with CONNACK 0x87.
#[test]
fn enhanced_authentication_runs_through_the_policy_mqtt_4_12_0_2() {
    use mqtt_wire::broker::Broker;
    use mqtt_wire::session::{ClientSession, Instant};
    let now = Instant::ZERO;
    for accepted in [true, false] {
        let mut b = Broker::with_policy(BrokerConfig::default(), Challenge);
        let conn = b.open(now, None);
        let mut client = ClientSession::new(ClientConfig::default());
        client.connect(now, auth_connect(b"hello")).unwrap();
        let events = pump(&mut b, conn, &mut client, now);
        let challenge = events.iter().find_map(|e| match e {
            ClientEvent::Auth { auth } => auth.properties.authentication_data().map(<[u8]>::to_vec),
            _ => None,
        });
        assert_eq!(challenge.as_deref(), Some(&b"prove"[..]));
        client
            .auth(now, auth_answer(if accepted { b"proof" } else { b"guess" }))
            .unwrap();
        let events = pump(&mut b, conn, &mut client, now);
        if accepted {
            let data = events.iter().find_map(|e| match e {
                ClientEvent::Connected { connack, .. } => {
                    connack.properties.authentication_data().map(<[u8]>::to_vec)
                }
                _ => None,
            });
            assert_eq!(data.as_deref(), Some(&b"welcome"[..]));
        } else {
            assert!(
                events.iter().any(|e| matches!(
                    e,
                    ClientEvent::Disconnected { error: ConnectionError::Refused { reason, .. }, .. }
                        if *reason == ReasonCode::NOT_AUTHORIZED
                )),
                "{events:?}"
            );
        }
    }
}

/// The default policy refuses a CONNECT asking for enhanced authentication it does not know
/// ([MQTT-4.12.0-1]: 0x8C Bad authentication method).
#[test]
fn the_default_policy_refuses_unknown_authentication_methods_mqtt_4_12_0_1() {
    let mut w = world();
    let i = w.add_client(ClientConfig::default());
    w.connect(i, auth_connect(b"hello"));
    assert!(w.events(i).iter().any(|e| matches!(
        e,
        ClientEvent::Disconnected { error: ConnectionError::Refused { reason, .. }, .. }
            if *reason == ReasonCode::BAD_AUTHENTICATION_METHOD
    )));
    assert_eq!(w.broker.stats().refused_connections, 1);
}

/// [MQTT-3.3.1-7] (3.1.1): a QoS 0 retained message replaces the retained one; [MQTT-3.3.1-8]
/// (3.1.1): a new subscription gets it with RETAIN 1.
#[test]
fn a_qos0_retained_message_replaces_the_old_one_mqtt_3_3_1_7() {
    let mut w = two(Version::V3_1_1);
    w.publish(0, "r", "first", QoS::AtLeastOnce, true);
    w.publish(0, "r", "second", QoS::AtMostOnce, true);
    w.subscribe(1, "r", qos(QoS::AtLeastOnce));
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert_eq!(&got[0].payload[..], b"second");
    assert!(got[0].retain);
    assert_eq!(got[0].qos.qos(), QoS::AtMostOnce);
}

/// [MQTT-3.8.4-3]: a SUBSCRIBE for a filter already subscribed replaces the subscription (its
/// QoS changes, one copy still).
#[test]
fn subscribing_again_replaces_the_subscription_mqtt_3_8_4_3() {
    let mut w = two(Version::V5);
    w.subscribe(1, "t", qos(QoS::ExactlyOnce));
    w.subscribe(1, "t", qos(QoS::AtMostOnce));
    assert_eq!(w.broker.stats().subscriptions, 1);
    w.publish(0, "t", "x", QoS::ExactlyOnce, false);
    let got = w.messages(1);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos.qos(), QoS::AtMostOnce);
}

/// [MQTT-3.10.4-1] .. [MQTT-3.10.4-5]: UNSUBSCRIBE stops delivery; UNSUBACK 0x00, or 0x11 No
/// subscription existed (5.0).
#[test]
fn unsubscribe_stops_delivery_and_reports_unknown_filters_mqtt_3_11_3_1() {
    let mut w = two(Version::V5);
    w.subscribe(1, "t", qos(QoS::AtMostOnce));
    let now = w.t();
    let filters = mqtt_wire::UnsubscribeFilters::try_from_iter([
        mqtt_wire::TopicFilter::from_static("t").unwrap(),
        mqtt_wire::TopicFilter::from_static("never").unwrap(),
    ])
    .unwrap();
    w.clients[1]
        .session
        .unsubscribe(now, filters, Default::default())
        .unwrap();
    w.run();
    let codes = w.events(1).into_iter().find_map(|e| match e {
        ClientEvent::Unsubscribed { unsuback, .. } => Some(unsuback.reason_codes),
        _ => None,
    });
    assert_eq!(
        codes.unwrap(),
        [ReasonCode::SUCCESS, ReasonCode::NO_SUBSCRIPTION_EXISTED]
    );
    w.publish(0, "t", "x", QoS::AtMostOnce, false);
    assert!(w.messages(1).is_empty());
    assert_eq!(w.broker.stats().subscriptions, 0);
}

/// MQTT 3.1 clients (CONNECT `MQIsdp`, level 3) on the same broker as 3.1.1 and 5.0 clients.
#[test]
fn clients_of_every_version_talk_through_one_broker() {
    let mut w = world();
    let versions = [Version::V3_1, Version::V3_1_1, Version::V5];
    for (i, v) in versions.into_iter().enumerate() {
        w.add_client(ClientConfig::default());
        w.join(i, v, &format!("c{i}"), true);
        w.subscribe(i, "all", qos(QoS::ExactlyOnce));
    }
    for i in 0..3 {
        w.publish(i, "all", &format!("from {i}"), QoS::ExactlyOnce, false);
    }
    for (i, v) in versions.into_iter().enumerate() {
        let mut got = w.payloads(i);
        got.sort();
        assert_eq!(got, ["from 0", "from 1", "from 2"], "{v:?}");
    }
}

/// [MQTT-4.6.0-5] / [MQTT-4.6.0-6]: one publisher's messages on a topic reach each subscriber
/// in the order published, QoS 1 and 2 alike, also across an offline queue.
#[test]
fn messages_keep_their_order_per_publisher_mqtt_4_6_0_5() {
    let mut w = two(Version::V5);
    w.subscribe(1, "o", qos(QoS::ExactlyOnce));
    for n in 0..50 {
        let q = if n % 2 == 0 {
            QoS::AtLeastOnce
        } else {
            QoS::ExactlyOnce
        };
        w.publish(0, "o", &format!("{n:02}"), q, false);
    }
    let got = w.payloads(1);
    let expected: Vec<String> = (0..50).map(|n| format!("{n:02}")).collect();
    assert_eq!(got, expected);
}

/// [MQTT-3.2.2-10] / [MQTT-3.8.4-7]: a server with Maximum QoS 1 grants at most QoS 1.
#[test]
fn the_granted_qos_is_at_most_the_servers_maximum_mqtt_3_2_2_10() {
    let server = mqtt_wire::session::ServerConfig::default().maximum_qos(QoS::AtLeastOnce);
    let mut w = World::new(BrokerConfig::default().server(server));
    w.add_client(ClientConfig::default());
    w.join(0, Version::V5, "a", true);
    w.subscribe(0, "t", qos(QoS::ExactlyOnce));
    let codes = w.events(0).into_iter().find_map(|e| match e {
        ClientEvent::Subscribed { suback, .. } => Some(suback.reason_codes),
        _ => None,
    });
    assert_eq!(codes.unwrap(), [ReasonCode::GRANTED_QOS_1]);
}

/// Server-originated messages (`Broker::publish`) are routed like a client's and retained per
/// their RETAIN flag.
#[test]
fn server_messages_are_routed_and_retained() {
    let mut w = two(Version::V5);
    w.subscribe(1, "$SYS/#", qos(QoS::AtMostOnce));
    let now = w.t();
    let msg = mqtt_wire::session::Message::new("$SYS/broker/uptime".try_into().unwrap(), "5")
        .retain(true);
    assert_eq!(w.broker.publish(now, msg), 1);
    w.run();
    assert_eq!(w.payloads(1), ["5"]);
    w.subscribe(0, "$SYS/broker/+", qos(QoS::AtMostOnce));
    assert_eq!(w.payloads(0), ["5"]);
}

/// `max_retained` bounds the store: a new topic beyond it is not retained, while replacing and
/// deleting existing ones still work.
#[test]
fn the_retained_store_is_bounded() {
    let mut w = World::new(BrokerConfig::default().max_retained(2));
    w.add_client(ClientConfig::default());
    w.join(0, Version::V5, "a", true);
    for t in ["r/1", "r/2", "r/3"] {
        w.publish(0, t, "x", QoS::AtMostOnce, true);
    }
    assert_eq!(w.broker.stats().retained, 2);
    w.publish(0, "r/1", "", QoS::AtMostOnce, true);
    w.publish(0, "r/3", "y", QoS::AtMostOnce, true);
    assert_eq!(w.broker.stats().retained, 2);
}

/// [MQTT-4.8.2-6]: a member refusing a shared message (PUBACK 0x80 or more) ends it there; it
/// is not sent to another member.
#[test]
fn a_refused_shared_message_is_not_retried_on_another_member_mqtt_4_8_2_6() {
    let manual = ClientConfig::default().ack_mode(mqtt_wire::session::AckMode::Manual);
    let mut w = world();
    let p = w.add_client(ClientConfig::default());
    w.join(p, Version::V5, "p", true);
    let refuser = member(&mut w, "refuser", manual);
    let other = member(&mut w, "other", ClientConfig::default());
    w.publish(p, "jobs", "one", QoS::AtLeastOnce, false);
    // The group's turn may start with either member: send until the refuser holds one.
    let mut token = None;
    for n in 0..2 {
        if token.is_some() {
            break;
        }
        if n > 0 {
            w.publish(p, "jobs", "two", QoS::AtLeastOnce, false);
        }
        token = w.events(refuser).into_iter().find_map(|e| match e {
            ClientEvent::Message { ack, .. } => ack,
            _ => None,
        });
    }
    let token = token.expect("the refuser got a message");
    let before = w.messages(other).len();
    let now = w.t();
    w.clients[refuser]
        .session
        .ack(
            now,
            token,
            ReasonCode::UNSPECIFIED_ERROR,
            Default::default(),
        )
        .unwrap();
    w.run();
    w.cut(refuser);
    assert_eq!(
        w.messages(other).len(),
        0,
        "nothing more for the other member ({before} before)"
    );
}

/// A will is published at its Will QoS ([MQTT-3.1.2-14] / [MQTT-3.1.2-16] carry its RETAIN, the
/// QoS rides along): a QoS 2 will reaches a persistent subscriber that is away, queued at QoS 2
/// and delivered when it comes back. (Found by the simulation: wills were routed at QoS 0, and
/// so dropped for subscribers that were away.)
#[test]
fn a_will_keeps_its_qos_for_a_subscriber_that_is_away() {
    for version in [Version::V3_1_1, Version::V5] {
        let mut w = world();
        let watch = w.add_client(ClientConfig::default());
        let mut wc = connect(version, "watcher", false, 0);
        if version.is_v5() {
            let mut p = ConnectProperties::builder();
            p.session_expiry_interval = Some(600);
            wc.properties = p.build().unwrap();
        }
        w.connect(watch, wc.clone());
        w.subscribe(watch, "will/#", qos(QoS::ExactlyOnce));
        w.cut(watch);
        let i = w.add_client(ClientConfig::default());
        let mut c = with_will(version, "dying", None, None);
        if let Some(will) = &mut c.will {
            will.qos = QoS::ExactlyOnce;
        }
        w.connect(i, c);
        w.cut(i);
        w.connect(watch, wc);
        let got = w.messages(watch);
        assert_eq!(got.len(), 1, "{version:?}");
        assert_eq!(got[0].qos.qos(), QoS::ExactlyOnce, "{version:?}");
    }
}

/// `Broker::publish` keeps the message's QoS (a QoS 1 server message is queued for a
/// subscriber that is away).
#[test]
fn a_server_message_keeps_its_qos() {
    let mut w = world();
    let i = w.add_client(ClientConfig::default());
    let mut c = connect(Version::V5, "away", false, 0);
    let mut p = ConnectProperties::builder();
    p.session_expiry_interval = Some(600);
    c.properties = p.build().unwrap();
    w.connect(i, c.clone());
    w.subscribe(i, "s", qos(QoS::AtLeastOnce));
    w.cut(i);
    let now = w.t();
    let msg =
        mqtt_wire::session::Message::new("s".try_into().unwrap(), "kept").qos(QoS::AtLeastOnce);
    assert_eq!(w.broker.publish(now, msg), 1);
    w.connect(i, c);
    let got = w.messages(i);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].qos.qos(), QoS::AtLeastOnce);
}

/// `poll_ready` names the connections with output without taking their bytes, once each until
/// they have more; `transmit` takes them when the I/O layer can write them. A connection whose
/// bytes are left where they are keeps receiving (its session queues), and another one is not
/// held up by it.
#[test]
fn poll_ready_names_connections_and_leaves_their_bytes_to_transmit() {
    use mqtt_wire::BytesMut;
    use mqtt_wire::broker::Broker;
    use mqtt_wire::session::Instant;

    let now = Instant::ZERO;
    let mut b = Broker::new(BrokerConfig::default());
    let ready = |b: &mut Broker| {
        let mut ids = Vec::new();
        while let Some(id) = b.poll_ready() {
            ids.push(id);
        }
        ids.sort();
        ids
    };
    // Two 3.1.1 clients, "c1" and "c2".
    let pubr = b.open(now, None);
    b.handle_input(
        now,
        pubr,
        &mut BytesMut::from(&b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1"[..]),
    );
    let sub = b.open(now, None);
    b.handle_input(
        now,
        sub,
        &mut BytesMut::from(&b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c2"[..]),
    );
    assert_eq!(ready(&mut b), vec![pubr, sub]);
    assert_eq!(ready(&mut b), vec![], "each once");
    // The bytes are still there: poll_transmit has nothing queued, transmit takes them.
    let mut tx = BytesMut::new();
    assert_eq!(b.poll_transmit(now, &mut tx), None);
    assert_eq!(b.transmit(now, pubr, &mut tx), 4);
    assert_eq!(&tx[..], b"\x20\x02\x00\x00");
    // c2 subscribes to "t" at QoS 0 without its CONNACK taken yet.
    b.handle_input(
        now,
        sub,
        &mut BytesMut::from(&b"\x82\x06\x00\x01\x00\x01t\x00"[..]),
    );
    assert_eq!(ready(&mut b), vec![sub]);
    // c1 publishes "x" to "t" twice: only c2 has new output.
    for _ in 0..2 {
        b.handle_input(now, pubr, &mut BytesMut::from(&b"\x30\x04\x00\x01tx"[..]));
    }
    assert_eq!(ready(&mut b), vec![pubr, sub]);
    tx.clear();
    assert_eq!(
        b.transmit(now, pubr, &mut tx),
        0,
        "a QoS 0 publisher gets nothing"
    );
    assert_eq!(b.transmit(now, sub, &mut tx), 4 + 5 + 2 * 6);
    assert_eq!(
        &tx[..],
        b"\x20\x02\x00\x00\x90\x03\x00\x01\x00\x30\x04\x00\x01tx\x30\x04\x00\x01tx"
    );
    // Transmitted directly, its stale place in the ready list is skipped.
    assert_eq!(ready(&mut b), vec![]);
}

/// §3.1.4: a client need not wait for CONNACK. A CONNECT and a SUBSCRIBE in one read are both
/// answered, without more bytes to come.
#[test]
fn packets_behind_the_connect_in_one_read_are_handled_at_once() {
    use mqtt_wire::BytesMut;
    use mqtt_wire::broker::Broker;
    use mqtt_wire::session::Instant;

    for (connect, suback) in [
        (
            &b"\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02c1"[..],
            &b"\x90\x03\x00\x01\x00"[..],
        ),
        (
            &b"\x10\x0f\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x02c1"[..],
            &b"\x90\x04\x00\x01\x00\x00"[..],
        ),
    ] {
        let now = Instant::ZERO;
        let mut b = Broker::new(BrokerConfig::default());
        let conn = b.open(now, None);
        let mut rx = BytesMut::from(connect);
        let subscribe: &[u8] = if connect[8] == 5 {
            b"\x82\x07\x00\x01\x00\x00\x01t\x00"
        } else {
            b"\x82\x06\x00\x01\x00\x01t\x00"
        };
        rx.extend_from_slice(subscribe);
        b.handle_input(now, conn, &mut rx);
        assert!(rx.is_empty());
        let mut tx = BytesMut::new();
        assert_eq!(b.poll_transmit(now, &mut tx), Some(conn));
        assert!(tx.ends_with(suback), "{:x?}", &tx[..]);
    }
}

/// One `poll_timeout` for every connection's timers: the earliest actual deadline, kept exact
/// as deadlines move later (a packet received), earlier (keep alive replacing the connect
/// timeout) or go (a closed transport); `handle_timeout` ends exactly the connections due.
#[test]
fn poll_timeout_is_the_earliest_connection_deadline_mqtt_3_1_2_22() {
    use bytes::BytesMut;
    use mqtt_wire::broker::{Broker, ConnId};
    use mqtt_wire::session::Instant;
    let ms = Instant::from_millis;
    let mut b = Broker::new(BrokerConfig::default());
    let send = |b: &mut Broker, now: u64, conn: ConnId, packet: Packet| {
        let mut rx = BytesMut::new();
        packet.encode(Version::V5, &mut rx).expect("encodes");
        b.handle_input(ms(now), conn, &mut rx);
        let mut tx = BytesMut::new();
        while b.poll_transmit(ms(now), &mut tx).is_some() {}
        let events: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
        events
    };
    // Three connections; the connect timeout (10 s) is the only deadline.
    let conns: Vec<ConnId> = (0..3).map(|_| b.open(ms(0), None)).collect();
    assert_eq!(b.poll_timeout(), Some(ms(10_000)));
    // Keep alive 20 s, 30 s, 2 s: 1.5 x each from the CONNECT; the last moves earlier.
    for (conn, (id, keep_alive)) in conns.iter().zip([("a", 20), ("b", 30), ("c", 2)]) {
        let c = Packet::Connect(Box::new(connect(Version::V5, id, true, keep_alive)));
        send(&mut b, 1_000, *conn, c);
    }
    assert_eq!(b.poll_timeout(), Some(ms(4_000)));
    // c's PINGREQ moves its deadline later; then its transport closes: a's deadline is next.
    send(&mut b, 3_000, conns[2], Packet::PingReq);
    assert_eq!(b.poll_timeout(), Some(ms(6_000)));
    b.handle_transport_closed(ms(3_500), conns[2]);
    let _: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
    assert_eq!(b.poll_timeout(), Some(ms(31_000)));
    // a speaks at 30 s (deadline 60 s); b is due at 46 s and is the only one closed then.
    send(&mut b, 30_000, conns[0], Packet::PingReq);
    assert_eq!(b.poll_timeout(), Some(ms(46_000)));
    b.handle_timeout(ms(46_000));
    let events: Vec<_> = std::iter::from_fn(|| b.poll_event()).collect();
    let closed: Vec<ConnId> = events
        .iter()
        .filter_map(|e| match e {
            BrokerEvent::Disconnected {
                conn,
                error: ConnectionError::KeepAliveTimeout,
                ..
            } => Some(*conn),
            _ => None,
        })
        .collect();
    assert_eq!(closed, [conns[1]], "{events:?}");
    b.handle_transport_closed(ms(46_000), conns[1]);
    assert_eq!(b.poll_timeout(), Some(ms(60_000)));
}
