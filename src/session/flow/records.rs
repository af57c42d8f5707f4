//! Pieces of the session-state byte formats: big-endian integers, and messages as whole MQTT
//! 5.0 PUBLISH packets written and read by this crate's codec.

use bytes::{Buf, BufMut};

use crate::session::StateError;
use crate::{BytesMut, Decoder, Encoder, Packet, Publish, Side, Version};

/// Writes `publish` as one length-prefixed record. Messages were validated when queued; one that
/// no longer encodes is written as an empty record, which `read_publish` refuses.
pub(crate) fn write_publish(out: &mut BytesMut, publish: &Publish) {
    let mut bytes = BytesMut::new();
    let _ = Encoder::new(Version::V5).encode(&Packet::Publish(publish.clone()), &mut bytes);
    out.put_u32(count(bytes.len()));
    out.put_slice(&bytes);
}

pub(crate) fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) fn take<'a>(src: &mut &'a [u8], n: usize) -> Result<&'a [u8], StateError> {
    if src.len() < n {
        return Err(StateError::Truncated);
    }
    let (head, rest) = src.split_at(n);
    *src = rest;
    Ok(head)
}

pub(crate) fn get_u16(src: &mut &[u8]) -> Result<u16, StateError> {
    Ok(take(src, 2)?.get_u16())
}

pub(crate) fn get_u32(src: &mut &[u8]) -> Result<u32, StateError> {
    Ok(take(src, 4)?.get_u32())
}

pub(crate) fn get_u64(src: &mut &[u8]) -> Result<u64, StateError> {
    Ok(take(src, 8)?.get_u64())
}

/// One length-prefixed PUBLISH record, decoded by the codec as a PUBLISH sent by `sender` (a
/// server's may carry Subscription Identifiers, a client's may not).
pub(crate) fn read_publish(src: &mut &[u8], sender: Side) -> Result<Publish, StateError> {
    let len = usize::try_from(get_u32(src)?).map_err(|_| StateError::Truncated)?;
    let record = take(src, len)?;
    let mut buf = BytesMut::from(record);
    let mut decoder = Decoder::new(Version::V5).receiving_from(sender);
    match decoder.decode(&mut buf) {
        Ok(Some(Packet::Publish(publish))) if buf.is_empty() => Ok(publish),
        _ => Err(StateError::Invalid("message record is not one PUBLISH")),
    }
}
