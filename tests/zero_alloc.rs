//! Decoding PUBLISH (with every property, User Properties and Subscription Identifiers
//! included), the four PUBLISH acknowledgements in every short form, SUBSCRIBE and UNSUBSCRIBE
//! (several filters, shared subscriptions, properties), PINGREQ, PINGRESP, DISCONNECT and AUTH
//! performs no heap allocation, borrowed (`decode_slice`) or shared
//! (`Decoder` over a `BytesMut`).
//!
//! A counting global allocator wraps `System` and counts, per thread, every `alloc`,
//! `alloc_zeroed` and `realloc` (and, for the report, every `dealloc`). The crate forbids
//! `unsafe`; implementing `GlobalAlloc` needs it, so it lives in this test file only.
//!
//! Run with `cargo test --test zero_alloc -- --nocapture` to see the measured counts.

use bytes::{Bytes, BytesMut};
use mqtt_wire::{
    Ack, AckPropertiesBuilder, Auth, AuthPropertiesBuilder, ByteString, Decoder, Disconnect,
    DisconnectPropertiesBuilder, Packet, PacketId, PacketType, Publish, PublishProperties,
    PublishPropertiesBuilder, QoS, QosPid, ReasonCode, RetainHandling, Subscribe, SubscribeFilters,
    SubscribePropertiesBuilder, SubscriptionOptions, TopicFilter, TopicName, Unsubscribe,
    UnsubscribeFilters, UnsubscribePropertiesBuilder, Version, decode_slice,
};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

struct CountingAllocator;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static DEALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = counter.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards its arguments unchanged to `System`, which implements the
// `GlobalAlloc` contract; the only other work is bumping a thread-local counter, which neither
// allocates nor unwinds.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: the caller's guarantees for `alloc` are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump(&ALLOCATIONS);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        bump(&DEALLOCATIONS);
        // SAFETY: `ptr` was allocated by `System` through this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Heap traffic of the current thread during one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Traffic {
    allocations: u64,
    deallocations: u64,
}

impl core::ops::AddAssign for Traffic {
    fn add_assign(&mut self, other: Traffic) {
        self.allocations += other.allocations;
        self.deallocations += other.deallocations;
    }
}

/// Runs `f` and counts the allocations and deallocations it makes on this thread.
fn measure<T>(f: impl FnOnce() -> T) -> (Traffic, T) {
    let allocations = ALLOCATIONS.with(Cell::get);
    let deallocations = DEALLOCATIONS.with(Cell::get);
    let value = f();
    let traffic = Traffic {
        allocations: ALLOCATIONS.with(Cell::get) - allocations,
        deallocations: DEALLOCATIONS.with(Cell::get) - deallocations,
    };
    (traffic, value)
}

/// One encoded packet to decode.
struct Case {
    name: String,
    version: Version,
    bytes: Vec<u8>,
}

fn encode(version: Version, packet: &Packet) -> Vec<u8> {
    let mut buf = BytesMut::new();
    packet.encode(version, &mut buf).expect("valid packet");
    buf.to_vec()
}

fn pid() -> PacketId {
    PacketId::new(0x1234).expect("non-zero")
}

fn publish(qos: QoS, properties: PublishProperties, topic: &'static str) -> Publish {
    let qos = match qos {
        QoS::AtMostOnce => QosPid::AtMostOnce,
        QoS::AtLeastOnce => QosPid::AtLeastOnce(pid()),
        QoS::ExactlyOnce => QosPid::ExactlyOnce(pid()),
    };
    Publish {
        dup: qos != QosPid::AtMostOnce,
        qos,
        retain: true,
        topic: if topic.is_empty() {
            TopicName::empty_for_alias()
        } else {
            TopicName::from_static(topic).unwrap()
        },
        properties,
        payload: Bytes::from(vec![0xA5; 200]),
    }
}

/// Every property of PUBLISH.
fn publish_properties() -> PublishProperties {
    PublishPropertiesBuilder {
        payload_format_indicator: Some(true),
        message_expiry_interval: Some(3600),
        topic_alias: Some(7),
        response_topic: Some(ByteString::from_static("reply/here")),
        correlation_data: Some(Bytes::from_static(b"correlation")),
        content_type: Some(ByteString::from_static("application/json")),
        user_properties: vec![
            (
                ByteString::from_static("trace"),
                ByteString::from_static("0af7651916cd43dd"),
            ),
            (
                ByteString::from_static("unit"),
                ByteString::from_static("celsius"),
            ),
        ],
        subscription_identifiers: vec![1, 268_435_455],
    }
    .build()
    .unwrap()
}

/// The packets whose decoding must not allocate, for 3.1.1 and 5.0.
fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |name: String, version: Version, bytes: Vec<u8>| {
        cases.push(Case {
            name: format!("{name} ({version})"),
            version,
            bytes,
        });
    };
    for version in [Version::V3_1_1, Version::V5] {
        let v5 = version.is_v5();
        for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
            let plain = publish(qos, PublishProperties::default(), "sensors/kitchen/temp");
            add(
                format!("PUBLISH QoS {}", qos as u8),
                version,
                encode(version, &Packet::Publish(plain)),
            );
            if v5 {
                let with_props = publish(qos, publish_properties(), "sensors/kitchen/temp");
                add(
                    format!("PUBLISH QoS {} with properties", qos as u8),
                    version,
                    encode(version, &Packet::Publish(with_props)),
                );
                let aliased = publish(qos, publish_properties(), "");
                add(
                    format!("PUBLISH QoS {} empty topic + alias", qos as u8),
                    version,
                    encode(version, &Packet::Publish(aliased)),
                );
            }
        }
        for kind in [
            PacketType::PubAck,
            PacketType::PubRec,
            PacketType::PubRel,
            PacketType::PubComp,
        ] {
            let wrap = |ack: Ack| match kind {
                PacketType::PubAck => Packet::PubAck(ack),
                PacketType::PubRec => Packet::PubRec(ack),
                PacketType::PubRel => Packet::PubRel(ack),
                _ => Packet::PubComp(ack),
            };
            add(
                format!("{kind} pid only"),
                version,
                encode(version, &wrap(Ack::new(pid()))),
            );
            if v5 {
                let code = match kind {
                    PacketType::PubAck | PacketType::PubRec => ReasonCode::NO_MATCHING_SUBSCRIBERS,
                    _ => ReasonCode::PACKET_IDENTIFIER_NOT_FOUND,
                };
                let coded = Ack {
                    reason_code: code,
                    ..Ack::new(pid())
                };
                add(
                    format!("{kind} reason code"),
                    version,
                    encode(version, &wrap(coded.clone())),
                );
                // Reason code and a Property Length of 0: valid, though the encoder writes the
                // shorter form.
                let first = (kind as u8) << 4 | if kind == PacketType::PubRel { 2 } else { 0 };
                add(
                    format!("{kind} reason code, empty properties"),
                    version,
                    vec![first, 4, 0x12, 0x34, code.0, 0],
                );
                let with_reason = Ack {
                    properties: AckPropertiesBuilder {
                        reason_string: Some(ByteString::from_static("no one listening")),
                        ..Default::default()
                    }
                    .build()
                    .unwrap(),
                    ..coded
                };
                add(
                    format!("{kind} reason code and Reason String"),
                    version,
                    encode(version, &wrap(with_reason)),
                );
            }
        }
        let filters = || {
            ["sensors/+/temp", "$share/group/alerts/#", "a", "#"]
                .map(|f| TopicFilter::from_static(f).unwrap())
        };
        let options = |qos| SubscriptionOptions {
            retain_as_published: v5,
            retain_handling: if v5 {
                RetainHandling::DoNotSend
            } else {
                RetainHandling::SendAtSubscribe
            },
            ..SubscriptionOptions::qos(qos)
        };
        let subscribe = Subscribe {
            filters: SubscribeFilters::try_from_iter(
                filters()
                    .into_iter()
                    .zip([
                        QoS::AtMostOnce,
                        QoS::AtLeastOnce,
                        QoS::ExactlyOnce,
                        QoS::AtMostOnce,
                    ])
                    .map(|(f, q)| (f, options(q))),
            )
            .unwrap(),
            ..Subscribe::new(pid(), filters()[0].clone(), options(QoS::AtMostOnce))
        };
        add(
            "SUBSCRIBE 4 filters".into(),
            version,
            encode(version, &Packet::Subscribe(subscribe.clone())),
        );
        let unsubscribe = Unsubscribe {
            filters: UnsubscribeFilters::try_from_iter(filters()).unwrap(),
            ..Unsubscribe::new(pid(), filters()[0].clone())
        };
        add(
            "UNSUBSCRIBE 4 filters".into(),
            version,
            encode(version, &Packet::Unsubscribe(unsubscribe.clone())),
        );
        if v5 {
            let user = vec![(
                ByteString::from_static("trace"),
                ByteString::from_static("0af7"),
            )];
            let subscribe = Subscribe {
                properties: SubscribePropertiesBuilder {
                    subscription_identifier: Some(42),
                    user_properties: user.clone(),
                }
                .build()
                .unwrap(),
                ..subscribe
            };
            add(
                "SUBSCRIBE with properties".into(),
                version,
                encode(version, &Packet::Subscribe(subscribe)),
            );
            let unsubscribe = Unsubscribe {
                properties: UnsubscribePropertiesBuilder {
                    user_properties: user,
                }
                .build()
                .unwrap(),
                ..unsubscribe
            };
            add(
                "UNSUBSCRIBE with properties".into(),
                version,
                encode(version, &Packet::Unsubscribe(unsubscribe)),
            );
        }
        add("PINGREQ".into(), version, encode(version, &Packet::PingReq));
        add(
            "PINGRESP".into(),
            version,
            encode(version, &Packet::PingResp),
        );
        add(
            "DISCONNECT".into(),
            version,
            encode(version, &Packet::Disconnect(Disconnect::default())),
        );
        if v5 {
            let coded = Disconnect {
                reason_code: ReasonCode::DISCONNECT_WITH_WILL,
                ..Disconnect::default()
            };
            add(
                "DISCONNECT reason code".into(),
                version,
                encode(version, &Packet::Disconnect(coded)),
            );
            add(
                "DISCONNECT reason code, empty properties".into(),
                version,
                vec![0xE0, 2, ReasonCode::SESSION_TAKEN_OVER.0, 0],
            );
            let with_props = Disconnect {
                reason_code: ReasonCode::SERVER_MOVED,
                properties: DisconnectPropertiesBuilder {
                    session_expiry_interval: Some(0),
                    reason_string: Some(ByteString::from_static("moving")),
                    server_reference: Some(ByteString::from_static("other.example:1883")),
                    ..Default::default()
                }
                .build()
                .unwrap(),
            };
            add(
                "DISCONNECT with properties".into(),
                version,
                encode(version, &Packet::Disconnect(with_props)),
            );
        }
        // Beyond the packets the crate documents as allocation-free: AUTH has no list fields
        // either. (CONNECT and CONNACK are boxed, one allocation each, once per connection.)
        if v5 {
            let auth = Auth {
                reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: AuthPropertiesBuilder {
                    authentication_method: Some(ByteString::from_static("SCRAM-SHA-256")),
                    authentication_data: Some(Bytes::from_static(b"client-first-message")),
                    ..Default::default()
                }
                .build()
                .unwrap(),
            };
            add("AUTH".into(), version, encode(version, &Packet::Auth(auth)));
        }
    }
    cases
}

#[test]
fn decode_slice_does_not_allocate() {
    let cases = cases();
    let mut results = Vec::with_capacity(cases.len());
    for case in &cases {
        let (traffic, used) = measure(|| {
            let decoded = decode_slice(black_box(&case.bytes), case.version, u32::MAX);
            let used = match &decoded {
                Ok(Some((packet, used))) => {
                    black_box(packet);
                    *used
                }
                _ => 0,
            };
            drop(decoded);
            used
        });
        assert_eq!(used, case.bytes.len(), "{}: not decoded whole", case.name);
        results.push(traffic);
    }
    println!("decode_slice, allocations / deallocations per packet:");
    for (case, traffic) in cases.iter().zip(&results) {
        println!(
            "  {:<52} {:>3} bytes: {} / {}",
            case.name,
            case.bytes.len(),
            traffic.allocations,
            traffic.deallocations
        );
    }
    for (case, traffic) in cases.iter().zip(&results) {
        assert_eq!(
            traffic.allocations, 0,
            "decode_slice of {} allocated",
            case.name
        );
    }
}

#[test]
fn streaming_decoder_does_not_allocate_after_the_first_packet() {
    const ROUNDS: usize = 50;
    let cases = cases();
    for version in [Version::V3_1_1, Version::V5] {
        let mine: Vec<&Case> = cases.iter().filter(|c| c.version == version).collect();
        // Many packets in one buffer, in a different order each round, after a first packet
        // whose decode may promote the buffer to shared storage.
        let mut order = Vec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[0xC0, 0x00]);
        for round in 0..ROUNDS {
            for i in 0..mine.len() {
                let index = (i * 7 + round) % mine.len();
                buf.extend_from_slice(&mine[index].bytes);
                order.push(index);
            }
        }
        let mut decoder = Decoder::new(version);
        let (first, packet) = measure(|| decoder.decode(&mut buf));
        assert_eq!(packet, Ok(Some(Packet::PingReq)));
        drop(packet);

        let mut per_case = vec![Traffic::default(); mine.len()];
        let mut decoded = 0;
        for &index in &order {
            let (traffic, ok) = measure(|| {
                let packet = decoder.decode(&mut buf);
                let ok = matches!(black_box(&packet), Ok(Some(_)));
                drop(packet);
                ok
            });
            assert!(ok, "{} did not decode", mine[index].name);
            per_case[index] += traffic;
            decoded += 1;
        }
        let (end, rest) = measure(|| decoder.decode(&mut buf));
        assert_eq!(rest, Ok(None));
        assert!(buf.is_empty());

        let total = per_case.iter().fold(end, |mut sum, &t| {
            sum += t;
            sum
        });
        println!(
            "Decoder ({version}): first packet {} / {}; next {decoded} packets and the final \
             Ok(None): {} / {} (allocations / deallocations)",
            first.allocations, first.deallocations, total.allocations, total.deallocations
        );
        for (case, traffic) in mine.iter().zip(&per_case) {
            println!(
                "  {:<52} x{ROUNDS}: {} / {}",
                case.name, traffic.allocations, traffic.deallocations
            );
        }
        for (case, traffic) in mine.iter().zip(&per_case) {
            assert_eq!(traffic.allocations, 0, "Decoder on {} allocated", case.name);
        }
        assert_eq!(total.allocations, 0);
    }
}

/// The counter sees the allocations decoding does make: CONNECT is boxed in `Packet`.
#[test]
fn counter_sees_the_box_of_connect() {
    let bytes = [
        0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, b'c',
    ];
    let (slice, decoded) = measure(|| {
        matches!(
            black_box(decode_slice(&bytes, Version::V3_1_1, u32::MAX)),
            Ok(Some((Packet::Connect(_), 15)))
        )
    });
    assert!(decoded);
    assert!(slice.allocations > 0, "the counter missed the CONNECT box");
}

/// `to_owned_packet` copies a borrowed packet into one buffer: two allocations (the buffer and
/// its shared reference count), whatever the number of fields, where a field-by-field copy makes
/// one per string.
#[test]
fn to_owned_packet_allocates_one_buffer() {
    for case in cases() {
        let (packet, _) = decode_slice(&case.bytes, case.version, u32::MAX)
            .unwrap()
            .unwrap();
        let (traffic, owned) = measure(|| packet.to_owned_packet(case.version));
        let owned = owned.unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let mut borrowed = BytesMut::new();
        packet.encode(case.version, &mut borrowed).unwrap();
        assert_eq!(encode(case.version, &owned), borrowed);
        assert!(
            traffic.allocations <= 2,
            "{}: {} allocations",
            case.name,
            traffic.allocations
        );
    }
}

/// Forwarding a received PUBLISH to a subscriber changes its Topic Alias, Subscription
/// Identifiers and Message Expiry Interval: the edit copies the block once, one allocation,
/// whatever else the set holds (User Properties included).
#[test]
fn editing_forwarded_properties_allocates_once() {
    let publish = publish(QoS::AtLeastOnce, publish_properties(), "a/b");
    let bytes = encode(Version::V5, &Packet::Publish(publish));
    let (Packet::Publish(received), _) = decode_slice(&bytes, Version::V5, u32::MAX)
        .unwrap()
        .unwrap()
    else {
        panic!("a PUBLISH")
    };
    let ids = [9];
    let (traffic, forwarded) = measure(|| {
        received
            .properties
            .edit()
            .topic_alias(None)
            .message_expiry_interval(Some(3000))
            .subscription_identifiers(&ids)
            .build()
    });
    let forwarded = forwarded.unwrap();
    assert_eq!(traffic.allocations, 1, "{traffic:?}");
    assert_eq!(forwarded.message_expiry_interval(), Some(3000));
    assert_eq!(forwarded.user_properties().count(), 2);
    // The builder route, for comparison: every value becomes an owned string first.
    let (traffic, _) = measure(|| {
        let mut builder = received.properties.to_builder();
        builder.message_expiry_interval = Some(3000);
        builder.build()
    });
    assert!(traffic.allocations > 1, "{traffic:?}");
}

/// The client session's QoS 0 paths allocate nothing once warm: `publish` of a message with a
/// static topic and payload and the `poll_transmit` that writes it into a reused buffer, and a
/// received QoS 0 PUBLISH through `handle_input` (a reused `BytesMut`) and `poll_event`.
#[test]
fn client_session_qos0_publish_and_receive_do_not_allocate_after_warm_up() {
    use mqtt_wire::Connect;
    use mqtt_wire::session::{ClientConfig, ClientEvent, ClientSession, Instant, Message};

    const WARM_UP: usize = 8;
    const ROUNDS: usize = 200;
    for version in [Version::V3_1_1, Version::V5] {
        let t = Instant::from_millis(0);
        let mut client = ClientSession::new(ClientConfig::default());
        client
            .connect(t, Connect::new(version, "c".into(), 0))
            .unwrap();
        let mut tx = BytesMut::with_capacity(1024);
        let _ = client.poll_transmit(t, &mut tx);
        let mut rx = BytesMut::with_capacity(1024);
        rx.extend_from_slice(&encode(
            version,
            &Packet::conn_ack(false, ReasonCode::SUCCESS),
        ));
        client.handle_input(t, &mut rx);
        assert!(matches!(
            client.poll_event(),
            Some(ClientEvent::Connected { .. })
        ));

        let topic = TopicName::from_static("sensors/1/temp").unwrap();
        let incoming = encode(
            version,
            &Packet::Publish(Publish {
                dup: false,
                qos: QosPid::AtMostOnce,
                retain: false,
                topic: TopicName::from_static("commands/1").unwrap(),
                properties: PublishProperties::default(),
                payload: Bytes::from_static(b"set 22.0"),
            }),
        );
        let mut send = Traffic::default();
        let mut receive = Traffic::default();
        for round in 0..WARM_UP + ROUNDS {
            let (out, sent) = measure(|| {
                tx.clear();
                let message = Message::new(topic.clone(), Bytes::from_static(b"21.5"));
                let published = client.publish(t, message).is_ok();
                published && client.poll_transmit(t, &mut tx) > 0
            });
            assert!(sent, "{version}: the PUBLISH went out");
            let (inc, received) = measure(|| {
                rx.extend_from_slice(&incoming);
                client.handle_input(t, &mut rx);
                let event = client.poll_event();
                let received = matches!(&event, Some(ClientEvent::Message { ack: None, .. }));
                drop(event);
                received && rx.is_empty()
            });
            assert!(received, "{version}: the PUBLISH came in");
            if round >= WARM_UP {
                send += out;
                receive += inc;
            }
        }
        println!(
            "ClientSession ({version}), {ROUNDS} rounds after warm-up: publish + poll_transmit \
             {} / {}, handle_input + poll_event {} / {} (allocations / deallocations)",
            send.allocations, send.deallocations, receive.allocations, receive.deallocations
        );
        assert_eq!(send.allocations, 0, "{version}: publish + poll_transmit");
        assert_eq!(
            receive.allocations, 0,
            "{version}: handle_input + poll_event"
        );
    }
}
