//! [`MqttCodec`]: the crate's [`Decoder`] and [`Encoder`] as a `tokio_util::codec` pair, so a
//! socket wrapped in `tokio_util::codec::Framed` reads and writes [`Packet`]s (feature
//! `tokio-util`).

use super::{Decoder, Encoder};
use crate::buffer::Buffer;
use crate::error::{DecodeError, EncodeError};
use crate::packet::Packet;
use crate::types::Version;
use bytes::{Bytes, BytesMut};

/// A [`Decoder`] and an [`Encoder`] for one connection, implementing
/// `tokio_util::codec::Decoder` (items are `Packet<Bytes>`) and `tokio_util::codec::Encoder`
/// for `Packet<B>` and `&Packet<B>`.
///
/// When the decoder adopts the version of the first CONNECT (see [`Decoder::connect_version`]),
/// the encoder switches to it too, so a server answers in the client's version. Limits learned
/// during the session (the peer's Maximum Packet Size) are set through
/// [`MqttCodec::encoder_mut`] and [`MqttCodec::decoder_mut`].
///
/// ```
/// use mqtt_wire::{MqttCodec, Packet, Version};
/// use mqtt_wire::bytes::BytesMut;
/// use tokio_util::codec::{Decoder as _, Encoder as _};
///
/// let mut codec = MqttCodec::new(Version::V5, 64 * 1024);
/// let mut buf = BytesMut::new();
/// codec.encode(Packet::<mqtt_wire::Bytes>::PingReq, &mut buf)?;
/// assert_eq!(codec.decode(&mut buf)?, Some(Packet::PingReq));
/// # Ok::<(), mqtt_wire::CodecError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MqttCodec {
    decoder: Decoder,
    encoder: Encoder,
}

impl MqttCodec {
    /// A codec for `version` that refuses incoming packets larger than `max_packet_size` bytes
    /// (the limit a client announces in CONNECT, a server in CONNACK). The encoder starts with
    /// the protocol's own limit, until the peer announces a smaller one.
    pub fn new(version: Version, max_packet_size: u32) -> MqttCodec {
        MqttCodec {
            decoder: Decoder::new(version).with_max_packet_size(max_packet_size),
            encoder: Encoder::new(version),
        }
    }

    /// A codec over a decoder and an encoder configured by the caller (for example a decoder
    /// made with [`Decoder::receiving_from`]).
    pub fn from_parts(decoder: Decoder, encoder: Encoder) -> MqttCodec {
        MqttCodec { decoder, encoder }
    }

    /// The decoder.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The decoder, to change its version or limits between packets.
    pub fn decoder_mut(&mut self) -> &mut Decoder {
        &mut self.decoder
    }

    /// The encoder.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The encoder, to change its version or limits between packets.
    pub fn encoder_mut(&mut self) -> &mut Encoder {
        &mut self.encoder
    }
}

/// What can go wrong on a framed MQTT connection: the peer's bytes, a packet that cannot be
/// encoded, or the transport.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The peer sent bytes that are not a valid packet; close the connection (after telling the
    /// peer [`DecodeError::reason_code`] on 5.0).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A packet could not be encoded; nothing was written.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The transport failed, or closed inside a packet.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl tokio_util::codec::Decoder for MqttCodec {
    type Item = Packet<Bytes>;
    type Error = CodecError;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet<Bytes>>, CodecError> {
        let before = self.decoder.connect_version();
        let packet = self.decoder.decode(src)?;
        // A server learns the version from the first CONNECT: answer in it.
        if let (None, Some(version)) = (before, self.decoder.connect_version()) {
            self.encoder.set_version(version);
        }
        Ok(packet)
    }
}

impl<B: Buffer> tokio_util::codec::Encoder<Packet<B>> for MqttCodec {
    type Error = CodecError;

    #[inline]
    fn encode(&mut self, packet: Packet<B>, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encoder.encode(&packet, dst)?;
        Ok(())
    }
}

impl<B: Buffer> tokio_util::codec::Encoder<&Packet<B>> for MqttCodec {
    type Error = CodecError;

    #[inline]
    fn encode(&mut self, packet: &Packet<B>, dst: &mut BytesMut) -> Result<(), CodecError> {
        self.encoder.encode(packet, dst)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::ReasonCode;
    use tokio_util::codec::{Decoder as _, Encoder as _};

    #[test]
    fn a_packet_too_large_for_the_decoder_is_a_decode_error() {
        let mut codec = MqttCodec::new(Version::V3_1_1, 4);
        let mut buf = BytesMut::from(&[0x30, 0x03, 0x00, 0x01, b'a'][..]);
        let err = codec.decode(&mut buf).unwrap_err();
        let CodecError::Decode(e) = err else {
            panic!("{err:?}")
        };
        assert_eq!(e.reason_code(), ReasonCode::PACKET_TOO_LARGE);
    }

    #[test]
    fn an_unencodable_packet_is_an_encode_error_and_writes_nothing() {
        let mut codec = MqttCodec::new(Version::V3_1_1, u32::MAX);
        let mut buf = BytesMut::new();
        let err = codec.encode(&Packet::<Bytes>::Auth(Default::default()), &mut buf);
        assert!(matches!(err, Err(CodecError::Encode(_))), "{err:?}");
        assert!(buf.is_empty());
    }

    #[test]
    fn bytes_left_at_the_end_of_the_stream_are_an_io_error() {
        let mut codec = MqttCodec::new(Version::V5, u32::MAX);
        let mut buf = BytesMut::from(&[0xC0][..]);
        let err = codec.decode_eof(&mut buf).unwrap_err();
        assert!(matches!(err, CodecError::Io(_)), "{err:?}");
    }

    #[test]
    fn the_encoder_can_be_replaced_mid_connection() {
        let mut codec = MqttCodec::new(Version::V3_1_1, u32::MAX);
        *codec.encoder_mut() = Encoder::new(Version::V5).with_max_packet_size(2);
        assert_eq!(codec.encoder().version(), Version::V5);
        let mut buf = BytesMut::new();
        codec.encode(Packet::<&[u8]>::PingReq, &mut buf).unwrap();
        let err = codec.encode(Packet::<&[u8]>::Disconnect(Default::default()), &mut buf);
        assert!(err.is_ok(), "a 2-byte DISCONNECT fits: {err:?}");
        codec.decoder_mut().set_version(Version::V5);
        assert_eq!(codec.decoder().version(), Version::V5);
    }

    #[test]
    fn a_server_answers_in_the_version_of_the_first_connect() {
        let mut codec = MqttCodec::new(Version::V3_1_1, u32::MAX);
        let connect: crate::packet::Connect =
            crate::packet::Connect::new(Version::V5, "c".into(), 30);
        let mut wire = BytesMut::new();
        Encoder::new(Version::V5)
            .encode(&Packet::from(connect), &mut wire)
            .unwrap();
        assert!(matches!(
            codec.decode(&mut wire),
            Ok(Some(Packet::Connect(_)))
        ));
        assert_eq!(codec.encoder().version(), Version::V5);
        let mut out = BytesMut::new();
        codec
            .encode(Packet::conn_ack(false, ReasonCode::SUCCESS), &mut out)
            .unwrap();
        // 5.0 CONNACK: flags, reason code, Property Length.
        assert_eq!(&out[..], &[0x20, 0x03, 0x00, 0x00, 0x00]);
    }
}
