//! The decoding and encoding entry points: a streaming [`Decoder`] over `BytesMut`, a slice
//! decoder that reports the bytes consumed, and an [`Encoder`] with a packet size limit.

pub(crate) mod header;
pub(crate) mod read;
pub mod varint;
pub(crate) mod write;

use crate::buffer::Buffer;
use crate::error::{DecodeError, EncodeError};
use crate::packet::Packet;
use crate::types::{Side, Version};
use bytes::{Bytes, BytesMut};
use header::FixedHeader;

/// The largest packet MQTT can carry: a 5-byte fixed header and a remaining length of
/// 268,435,455 bytes.
pub const MAX_PACKET_SIZE: u32 = 1 + 4 + varint::MAX;

/// A decoded packet and the number of bytes it took, or `None` when the input does not yet
/// hold a whole packet.
pub type Decoded<B> = Option<(Packet<B>, usize)>;

/// Decodes one packet from the start of `src`, sharing `src`'s storage.
///
/// Returns `Ok(None)` when `src` does not yet hold a whole packet, otherwise the packet and the
/// number of bytes it took. Works for `&[u8]` (borrowed, allocation-free) and [`Bytes`]
/// (reference-counted); see also [`decode_slice`]. Packets larger than `max_packet_size` are
/// refused as soon as their fixed header is readable.
///
/// A CONNECT is decoded in the version it announces, whatever `version` says.
#[inline(always)]
pub fn decode<B: Buffer>(
    src: &B,
    version: Version,
    max_packet_size: u32,
) -> Result<Decoded<B>, DecodeError> {
    let Some(header) = FixedHeader::parse(src.as_ref(), version, max_packet_size)? else {
        return Ok(None);
    };
    let frame_len = header.frame_len();
    if src.as_ref().len() < frame_len {
        return Ok(None);
    }
    let packet = Packet::read(src, &header, version)?;
    Ok(Some((packet, frame_len)))
}

/// Decodes one packet from the start of a byte slice, borrowing from it: no allocation but the
/// box of a CONNECT or CONNACK and the reason code list of a SUBACK or UNSUBACK.
///
/// ```
/// use mqtt_wire::{decode_slice, Packet, Version};
///
/// let bytes = [0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'];
/// let (packet, used) = decode_slice(&bytes, Version::V3_1_1, u32::MAX)?.unwrap();
/// assert_eq!(used, bytes.len());
/// let Packet::Publish(publish) = packet else { panic!() };
/// assert_eq!(publish.topic, "a/b");
/// assert_eq!(publish.payload, b"hi");
/// # Ok::<(), mqtt_wire::DecodeError>(())
/// ```
#[inline(always)]
pub fn decode_slice(
    src: &[u8],
    version: Version,
    max_packet_size: u32,
) -> Result<Decoded<&[u8]>, DecodeError> {
    decode(&src, version, max_packet_size)
}

/// A streaming decoder: feed it the bytes read from the network, get whole packets back.
///
/// [`Decoder::decode`] has the shape of `tokio_util::codec::Decoder::decode`, so an adapter for
/// framed transports is a few lines and no dependency.
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::{Decoder, Packet, Version};
///
/// let mut decoder = Decoder::new(Version::V5).with_max_packet_size(64 * 1024);
/// let mut buf = BytesMut::from(&[0xC0u8][..]); // half a PINGREQ
/// assert!(decoder.decode(&mut buf)?.is_none()); // need more bytes; buf untouched
/// buf.extend_from_slice(&[0x00, 0xD0]); // the rest of it, and half a PINGRESP
/// assert_eq!(decoder.decode(&mut buf)?, Some(Packet::PingReq));
/// assert_eq!(&buf[..], &[0xD0]);
/// # Ok::<(), mqtt_wire::DecodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Decoder {
    version: Version,
    max_packet_size: u32,
    from: Option<Side>,
}

impl Decoder {
    /// A decoder for `version` accepting packets up to the protocol limit
    /// ([`MAX_PACKET_SIZE`]). Set a smaller limit with [`Decoder::with_max_packet_size`].
    pub const fn new(version: Version) -> Decoder {
        Decoder {
            version,
            max_packet_size: MAX_PACKET_SIZE,
            from: None,
        }
    }

    /// Also check the rules that depend on who sends: the packets come from `side`. A server
    /// decodes with `receiving_from(Side::Client)`, a client with `receiving_from(Side::Server)`.
    /// Refuses packets that side never sends (CONNACK from a client, ...), a Subscription
    /// Identifier in a client's PUBLISH ([MQTT-3.3.4-6]) and a Session Expiry Interval in a
    /// server's DISCONNECT ([MQTT-3.14.2-2]), all with [`DecodeError::reason_code`] `0x82`.
    pub const fn receiving_from(mut self, side: Side) -> Decoder {
        self.from = Some(side);
        self
    }

    /// Refuse packets larger than `max` bytes (whole packet, fixed header included). The limit is
    /// checked as soon as a fixed header is complete, so a peer announcing a huge packet never
    /// makes the decoder wait for, buffer or allocate more than `max` bytes.
    pub const fn with_max_packet_size(mut self, max: u32) -> Decoder {
        self.max_packet_size = max;
        self
    }

    /// The version packets are currently decoded with.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Decode the following packets with `version`.
    pub fn set_version(&mut self, version: Version) {
        self.version = version;
    }

    /// The configured maximum packet size.
    pub const fn max_packet_size(&self) -> u32 {
        self.max_packet_size
    }

    /// Takes one whole packet off the front of `src`.
    ///
    /// - `Ok(None)`: `src` holds no whole packet yet; it is left untouched.
    /// - `Ok(Some(packet))`: exactly that packet's bytes were removed from `src`; the packet
    ///   shares them (no copy).
    /// - `Err(_)` from the fixed header (reserved type or flags, bad remaining length, packet
    ///   too large): `src` is left untouched.
    /// - `Err(_)` from the body: the packet's bytes were removed.
    ///
    /// Either error means the connection must be closed. After decoding a CONNECT, the decoder
    /// switches to the version that CONNECT announced, so a server can start every connection
    /// with any version.
    #[inline(always)]
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Packet<Bytes>>, DecodeError> {
        let Some(header) = FixedHeader::parse(src, self.version, self.max_packet_size)? else {
            return Ok(None);
        };
        let frame_len = header.frame_len();
        if src.len() < frame_len {
            return Ok(None);
        }
        let frame = src.split_to(frame_len).freeze();
        let packet = Packet::read_owned(frame, &header, self.version)?;
        self.finish(&packet)?;
        Ok(Some(packet))
    }

    /// Decodes one packet from the start of `src` (a `&[u8]` or [`Bytes`]) with this decoder's
    /// settings, sharing `src`'s storage, and returns it with the number of bytes it took.
    /// `Ok(None)` while `src` holds no whole packet.
    #[inline(always)]
    pub fn decode_from<B: Buffer>(&mut self, src: &B) -> Result<Decoded<B>, DecodeError> {
        match decode(src, self.version, self.max_packet_size)? {
            Some((packet, used)) => {
                self.finish(&packet)?;
                Ok(Some((packet, used)))
            }
            None => Ok(None),
        }
    }

    /// Checks who sent `packet`, and adopts the version of a CONNECT.
    #[inline(always)]
    fn finish<B: Buffer>(&mut self, packet: &Packet<B>) -> Result<(), DecodeError> {
        if let Some(from) = self.from {
            packet.check_sender(from, self.version)?;
        }
        if let Packet::Connect(connect) = packet {
            self.version = connect.protocol;
        }
        Ok(())
    }
}

/// Encodes packets for one version, refusing any larger than a maximum packet size (for
/// example the peer's Maximum Packet Size property).
///
/// ```
/// use bytes::BytesMut;
/// use mqtt_wire::{Encoder, Packet, Version};
///
/// let encoder = Encoder::new(Version::V3_1_1);
/// let mut buf = BytesMut::new();
/// encoder.encode(&Packet::<bytes::Bytes>::PingReq, &mut buf)?;
/// assert_eq!(&buf[..], &[0xC0, 0x00]);
/// # Ok::<(), mqtt_wire::EncodeError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    version: Version,
    max_packet_size: u32,
}

impl Encoder {
    /// An encoder for `version` with the protocol's own size limit.
    pub const fn new(version: Version) -> Encoder {
        Encoder {
            version,
            max_packet_size: MAX_PACKET_SIZE,
        }
    }

    /// Refuse to encode packets larger than `max` bytes (fixed header included).
    pub const fn with_max_packet_size(mut self, max: u32) -> Encoder {
        self.max_packet_size = max;
        self
    }

    /// The version packets are encoded for.
    pub const fn version(&self) -> Version {
        self.version
    }

    /// Appends `packet` to `dst` and returns the number of bytes written. On error nothing is
    /// written.
    #[inline]
    pub fn encode<B: Buffer>(
        &self,
        packet: &Packet<B>,
        dst: &mut BytesMut,
    ) -> Result<usize, EncodeError> {
        packet.encode_limited(self.version, self.max_packet_size, dst)
    }
}
