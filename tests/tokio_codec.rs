//! `MqttCodec` over real TCP sockets on 127.0.0.1: a client and a fake broker, both written with
//! `tokio_util::codec::Framed`, exchange CONNECT, CONNACK, PUBLISH (QoS 1), PUBACK and
//! DISCONNECT; the `tokio_client` example runs against the same broker.

#![cfg(feature = "tokio-util")]

use futures_util::{SinkExt, StreamExt};
use mqtt_wire::{
    Ack, ByteString, Bytes, CodecError, ConnAck, Connect, DecodeError, Decoder, Disconnect,
    Encoder, MqttCodec, Packet, PacketId, Publish, QosPid, ReasonCode, Side, TopicName, Version,
};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

/// Accepts one connection and answers like a broker: CONNACK to CONNECT, PUBACK to a QoS 1
/// PUBLISH, until DISCONNECT. Returns every packet it received.
async fn fake_broker(listener: TcpListener) -> Vec<Packet> {
    let (socket, _) = listener.accept().await.unwrap();
    // Any starting version: the decoder adopts the one the CONNECT announces.
    let decoder = Decoder::new(Version::V3_1_1).receiving_from(Side::Client);
    let codec = MqttCodec::from_parts(decoder, Encoder::new(Version::V3_1_1));
    let mut framed = Framed::new(socket, codec);
    let mut received = Vec::new();
    while let Some(packet) = framed.next().await {
        let packet = packet.unwrap();
        let reply: Option<Packet> = match &packet {
            Packet::Connect(connect) => {
                // The encoder follows the version the client speaks.
                *framed.codec_mut().encoder_mut() = Encoder::new(connect.protocol);
                Some(Packet::ConnAck(Box::new(ConnAck::new(
                    false,
                    ReasonCode::SUCCESS,
                ))))
            }
            Packet::Publish(Publish {
                qos: QosPid::AtLeastOnce(pid),
                ..
            }) => Some(Packet::PubAck(Ack::new(*pid))),
            _ => None,
        };
        let done = matches!(packet, Packet::Disconnect(_));
        received.push(packet);
        if let Some(reply) = reply {
            framed.send(reply).await.unwrap();
        }
        if done {
            break;
        }
    }
    received
}

async fn listener() -> (TcpListener, u16) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (listener, port)
}

fn pid(n: u16) -> PacketId {
    PacketId::new(n).unwrap()
}

/// The packets a broker should have seen from a client that published `payload` to `topic`.
fn assert_one_publish(received: &[Packet], topic: &str, payload: &[u8]) {
    let types: Vec<_> = received.iter().map(|p| p.packet_type().name()).collect();
    assert_eq!(types, ["CONNECT", "PUBLISH", "DISCONNECT"]);
    let Packet::Connect(connect) = &received[0] else {
        unreachable!()
    };
    assert_eq!(connect.protocol, Version::V5);
    let Packet::Publish(publish) = &received[1] else {
        unreachable!()
    };
    assert_eq!(&publish.topic[..], topic);
    assert_eq!(&publish.payload[..], payload);
    assert_eq!(publish.qos, QosPid::AtLeastOnce(pid(1)));
}

#[tokio::test]
async fn client_and_broker_exchange_a_qos_1_publish() {
    let (listener, port) = listener().await;
    let broker = tokio::spawn(fake_broker(listener));

    let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut client = Framed::new(socket, MqttCodec::new(Version::V5, 1 << 16));
    let connect: Connect = Connect::new(Version::V5, ByteString::from_static("c1"), 10);
    client
        .send(Packet::Connect(Box::new(connect)))
        .await
        .unwrap();
    let connack = client.next().await.unwrap().unwrap();
    assert!(
        matches!(&connack, Packet::ConnAck(c) if c.reason_code == ReasonCode::SUCCESS),
        "{connack:?}"
    );

    let publish = Publish {
        qos: QosPid::AtLeastOnce(pid(1)),
        ..Publish::new(
            TopicName::from_static("a/b").unwrap(),
            Bytes::from_static(b"hi"),
        )
    };
    // By reference: the packet stays with the caller (for a resend, say).
    let publish = Packet::Publish(publish);
    client.send(&publish).await.unwrap();
    let puback = client.next().await.unwrap().unwrap();
    assert_eq!(puback, Packet::PubAck(Ack::new(pid(1))));

    client
        .send(Packet::<Bytes>::Disconnect(Disconnect::default()))
        .await
        .unwrap();
    let received = broker.await.unwrap();
    assert_one_publish(&received, "a/b", b"hi");
    assert_eq!(received[1], publish);
}

#[tokio::test]
async fn bad_bytes_from_the_peer_are_a_decode_error() {
    let (listener, port) = listener().await;
    let peer = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        // PUBLISH with QoS 3 ([MQTT-3.3.1-4]).
        socket.write_all(&[0x36, 0x00]).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut client = Framed::new(socket, MqttCodec::new(Version::V5, 1 << 16));
    let err = client.next().await.unwrap().unwrap_err();
    assert!(
        matches!(err, CodecError::Decode(DecodeError::InvalidQoS)),
        "{err:?}"
    );
    peer.await.unwrap();
}

#[tokio::test]
async fn a_stream_closed_inside_a_packet_is_an_io_error() {
    let (listener, port) = listener().await;
    let peer = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        socket.write_all(&[0x30, 0x05, 0x00]).await.unwrap();
        socket.shutdown().await.unwrap();
    });
    let socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut client = Framed::new(socket, MqttCodec::new(Version::V5, 1 << 16));
    let err = client.next().await.unwrap().unwrap_err();
    assert!(matches!(err, CodecError::Io(_)), "{err:?}");
    peer.await.unwrap();
}

/// The `tokio_client` example, built next to this test by `cargo test --features tokio-util`.
fn example_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test> -> target/<profile>/examples/tokio_client
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir
        .join("examples")
        .join(format!("tokio_client{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is missing: `cargo test --features tokio-util` builds it",
        path.display()
    );
    path
}

#[tokio::test]
async fn the_example_publishes_through_the_fake_broker() {
    let binary = example_binary();
    let (listener, port) = listener().await;
    let broker = tokio::spawn(fake_broker(listener));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(binary)
            .args(["127.0.0.1", &port.to_string(), "demo/t", "from the example"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{:?}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "CONNACK\nPUBACK\n");
    let received = broker.await.unwrap();
    assert_one_publish(&received, "demo/t", b"from the example");
}
