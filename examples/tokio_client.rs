//! Publishes one QoS 1 message to an MQTT 5.0 broker over tokio, with `MqttCodec` and
//! `tokio_util::codec::Framed`.
//!
//! ```text
//! cargo run --features tokio-util --example tokio_client -- HOST PORT TOPIC [MESSAGE]
//! cargo run --features tokio-util --example tokio_client -- localhost 1883 demo/hello
//! ```
//!
//! Sends CONNECT, waits for CONNACK, publishes the message with QoS 1, waits for its PUBACK and
//! disconnects. Prints one line per packet received; exits with status 1 on any failure.

use futures_util::{SinkExt, StreamExt};
use mqtt_wire::{
    ByteString, Bytes, Connect, Disconnect, MqttCodec, Packet, PacketId, Publish, QosPid,
    ReasonCode, TopicName, Version,
};
use std::process::ExitCode;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

type Error = Box<dyn std::error::Error>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [host, port, topic, rest @ ..] = &args[..] else {
        eprintln!("usage: tokio_client HOST PORT TOPIC [MESSAGE]");
        return ExitCode::from(2);
    };
    let message = rest.first().map_or("hello from mqtt-wire", String::as_str);
    match run(host, port, topic, message).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tokio_client: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(host: &str, port: &str, topic: &str, message: &str) -> Result<(), Error> {
    let port: u16 = port.parse().map_err(|_| format!("not a port: {port:?}"))?;
    let stream = TcpStream::connect((host, port)).await?;
    let mut framed = Framed::new(stream, MqttCodec::new(Version::V5, 1 << 20));

    let connect: Connect = Connect::new(
        Version::V5,
        ByteString::from_static("mqtt-wire-example"),
        30,
    );
    framed.send(Packet::Connect(Box::new(connect))).await?;
    match next(&mut framed).await? {
        Packet::ConnAck(connack) if connack.reason_code == ReasonCode::SUCCESS => {}
        Packet::ConnAck(connack) => return Err(format!("refused: {}", connack.reason_code).into()),
        other => return Err(format!("expected CONNACK, got {}", other.packet_type()).into()),
    }

    let pid = PacketId::new(1).ok_or("packet identifier 0")?;
    let publish = Publish {
        qos: QosPid::AtLeastOnce(pid),
        ..Publish::new(TopicName::try_from(topic)?, Bytes::from(message.to_owned()))
    };
    framed.send(Packet::Publish(publish)).await?;
    match next(&mut framed).await? {
        Packet::PubAck(ack) if ack.pid == pid && ack.reason_code.is_success() => {}
        Packet::PubAck(ack) => {
            return Err(format!("PUBACK {}: {}", ack.pid, ack.reason_code).into());
        }
        other => return Err(format!("expected PUBACK, got {}", other.packet_type()).into()),
    }

    framed
        .send(Packet::<Bytes>::Disconnect(Disconnect::default()))
        .await?;
    Ok(())
}

/// The next packet from the broker, printed as it arrives.
async fn next(framed: &mut Framed<TcpStream, MqttCodec>) -> Result<Packet, Error> {
    let packet = framed
        .next()
        .await
        .ok_or("the broker closed the connection")??;
    println!("{}", packet.packet_type());
    Ok(packet)
}
