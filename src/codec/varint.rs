//! The variable byte integer (§1.5.5 in 5.0, §2.2.3 in 3.1.1): 7 bits per byte, least
//! significant group first, high bit set on every byte but the last, at most 4 bytes.
//!
//! Used for the remaining length, property lengths, property identifiers and subscription
//! identifiers.

use crate::error::DecodeError;

/// The largest value a variable byte integer can hold (four bytes): 268,435,455.
pub const MAX: u32 = 268_435_455;

/// Reads a variable byte integer from the start of `buf`.
///
/// Returns `Ok(None)` when `buf` ends before the integer does (more bytes may complete it),
/// `Ok(Some((value, length)))` when it is complete, and [`DecodeError::MalformedVarint`] when the
/// fourth byte still has its continuation bit set. A non-minimal encoding (`80 00` for 0) is
/// returned as read; compare `length` with [`encoded_len`] to detect it.
#[inline]
pub fn decode(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    let mut value: u32 = 0;
    for (i, &byte) in buf.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if buf.len() >= 4 {
        Err(DecodeError::MalformedVarint)
    } else {
        Ok(None)
    }
}

/// Reads a variable byte integer that must be in its shortest form ([MQTT-1.5.5-1]).
#[inline]
pub fn decode_minimal(buf: &[u8]) -> Result<Option<(u32, usize)>, DecodeError> {
    match decode(buf)? {
        Some((value, len)) if len != encoded_len(value) => Err(DecodeError::NonMinimalVarint),
        other => Ok(other),
    }
}

/// The number of bytes the shortest encoding of `value` takes (1 to 4; values above [`MAX`]
/// cannot be encoded and report 5).
#[inline]
pub const fn encoded_len(value: u32) -> usize {
    match value {
        0..=127 => 1,
        128..=16_383 => 2,
        16_384..=2_097_151 => 3,
        2_097_152..=MAX => 4,
        _ => 5,
    }
}

/// Writes the shortest encoding of `value` into `out` and returns the number of bytes used, or
/// `None` when `value` is above [`MAX`].
#[inline]
pub fn encode(value: u32, out: &mut [u8; 4]) -> Option<usize> {
    if value > MAX {
        return None;
    }
    let mut rest = value;
    for (i, slot) in out.iter_mut().enumerate() {
        let mut byte = (rest & 0x7F) as u8;
        rest >>= 7;
        if rest != 0 {
            byte |= 0x80;
        }
        *slot = byte;
        if rest == 0 {
            return Some(i + 1);
        }
    }
    // Not reached: a value of at most `MAX` takes at most 4 bytes.
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_round_trip_in_shortest_form() {
        for (value, bytes) in [
            (0u32, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x80, 0x01]),
            (16_383, &[0xFF, 0x7F]),
            (16_384, &[0x80, 0x80, 0x01]),
            (2_097_151, &[0xFF, 0xFF, 0x7F]),
            (2_097_152, &[0x80, 0x80, 0x80, 0x01]),
            (MAX, &[0xFF, 0xFF, 0xFF, 0x7F]),
        ] {
            let mut out = [0; 4];
            let n = encode(value, &mut out).unwrap();
            assert_eq!(&out[..n], bytes);
            assert_eq!(encoded_len(value), n);
            assert_eq!(decode(bytes).unwrap(), Some((value, n)));
            assert_eq!(decode_minimal(bytes).unwrap(), Some((value, n)));
        }
    }

    #[test]
    fn fifth_byte_is_malformed() {
        assert_eq!(
            decode(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            Err(DecodeError::MalformedVarint)
        );
        assert_eq!(
            decode(&[0x80, 0x80, 0x80, 0x80]),
            Err(DecodeError::MalformedVarint)
        );
    }

    #[test]
    fn incomplete_is_not_an_error() {
        assert_eq!(decode(&[]), Ok(None));
        assert_eq!(decode(&[0x80]), Ok(None));
        assert_eq!(decode(&[0xFF, 0xFF, 0xFF]), Ok(None));
    }

    #[test]
    fn non_minimal_is_rejected_by_strict_decode_mqtt_1_5_5_1() {
        // [MQTT-1.5.5-1]: 0 is `00`, never `80 00`.
        assert_eq!(decode(&[0x80, 0x00]), Ok(Some((0, 2))));
        assert_eq!(
            decode_minimal(&[0x80, 0x00]),
            Err(DecodeError::NonMinimalVarint)
        );
        assert_eq!(
            decode_minimal(&[0xFF, 0x80, 0x00]),
            Err(DecodeError::NonMinimalVarint)
        );
    }

    #[test]
    fn above_max_cannot_be_encoded() {
        assert_eq!(encode(MAX + 1, &mut [0; 4]), None);
        assert_eq!(encoded_len(MAX + 1), 5);
    }
}
