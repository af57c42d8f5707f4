//! Rules for UTF-8 strings, topic names and topic filters (§1.5.4, §4.7, §4.8.2 of 5.0).

use crate::error::DecodeError;

/// Which string rules a field follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StringKind {
    /// Any UTF-8 string: no U+0000 ([MQTT-1.5.4-2]).
    Plain,
    /// A topic name: no U+0000 and no `+` or `#` ([MQTT-3.3.2-2], [MQTT-4.7.0-1]).
    TopicName,
}

/// Scans a string field's bytes for U+0000 and, for topic names, wildcards. UTF-8
/// well-formedness is checked separately, once, when the string is sliced out of the frame.
/// `+`, `#` and NUL are ASCII and never appear inside a multi-byte UTF-8 sequence, so a byte
/// scan is exact.
#[inline]
pub(crate) fn check_bytes(bytes: &[u8], kind: StringKind) -> Result<(), DecodeError> {
    let (nul, wildcard) = scan(bytes, kind == StringKind::TopicName);
    if nul {
        // [MQTT-1.5.3-2] (3.1.1) / [MQTT-1.5.4-2] (5.0), [MQTT-4.7.3-2]
        return Err(DecodeError::NullCharacter);
    }
    if wildcard {
        // [MQTT-3.3.2-2], [MQTT-4.7.1-1] (3.1.1) / [MQTT-4.7.0-1] (5.0)
        return Err(DecodeError::WildcardInTopicName);
    }
    Ok(())
}

const ONES: u64 = u64::from_le_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// Non-zero when some byte of `word` equals `byte` (exact for "any", the classic SWAR test).
#[inline(always)]
fn has_byte(word: u64, byte: u8) -> u64 {
    let x = word ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Whether `bytes` holds a NUL, and (when `wildcards`) a `+` or `#`: eight bytes at a time.
#[inline]
fn scan(bytes: &[u8], wildcards: bool) -> (bool, bool) {
    let mut nul = 0;
    let mut wild = 0;
    let mut word = |chunk: [u8; 8]| {
        let v = u64::from_le_bytes(chunk);
        nul |= has_byte(v, 0);
        if wildcards {
            // `#` (0x23) and `+` (0x2B) differ only in bit 3: one test finds both.
            wild |= has_byte(v | (ONES * 0x08), b'+');
        }
    };
    if bytes.len() < 8 {
        for &b in bytes {
            nul |= u64::from(b == 0);
            if wildcards {
                wild |= u64::from(b == b'+' || b == b'#');
            }
        }
        return (nul != 0, wild != 0);
    }
    let mut chunks = bytes.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        word(w);
    }
    if !chunks.remainder().is_empty() {
        // The last eight bytes, overlapping bytes already seen: "any" stays exact.
        let mut w = [0u8; 8];
        w.copy_from_slice(bytes.get(bytes.len() - 8..).unwrap_or(&[0; 8]));
        word(w);
    }
    (nul != 0, wild != 0)
}

/// True when `name` is a valid topic name: non-empty, no `+`, `#` or U+0000.
pub fn is_valid_topic_name(name: &str) -> bool {
    !name.is_empty() && check_bytes(name.as_bytes(), StringKind::TopicName).is_ok()
}

/// True when `filter` is a valid topic filter for MQTT 5.0 (shared subscriptions included).
///
/// At least one character, no U+0000, `#` only as the whole last level, `+` only as a whole
/// level, and after `$share/` a non-empty share name without `+`, `#` or `/`, then a filter.
pub fn is_valid_topic_filter(filter: &str) -> bool {
    check_filter(filter, true).is_ok()
}

/// Checks a topic filter and reports whether it is a shared subscription.
///
/// - at least one character ([MQTT-4.7.3-1]) and no U+0000 ([MQTT-4.7.3-2]);
/// - `#` only as a whole level and the last one ([MQTT-4.7.1-2] 3.1.1 / [MQTT-4.7.1-1] 5.0);
/// - `+` only as a whole level ([MQTT-4.7.1-3] 3.1.1 / [MQTT-4.7.1-2] 5.0);
/// - with `shared` (5.0), `$share/` must be followed by a non-empty share name without `+`, `#`
///   or `/`, then `/` and a valid filter ([MQTT-4.8.2-1], [MQTT-4.8.2-2]). On 3.1.1 `$share` is
///   an ordinary level.
pub(crate) fn check_filter(filter: &str, shared: bool) -> Result<bool, DecodeError> {
    if filter.is_empty() {
        return Err(DecodeError::InvalidTopicFilter);
    }
    check_bytes(filter.as_bytes(), StringKind::Plain)?;
    let mut rest = filter;
    let mut is_shared = false;
    if let Some(after) = filter.strip_prefix("$share/").filter(|_| shared) {
        let (share_name, inner) = after
            .split_once('/')
            .ok_or(DecodeError::InvalidTopicFilter)?;
        if share_name.is_empty() || share_name.contains(['+', '#']) || inner.is_empty() {
            return Err(DecodeError::InvalidTopicFilter);
        }
        rest = inner;
        is_shared = true;
    }
    let mut levels = rest.split('/').peekable();
    while let Some(level) = levels.next() {
        let multi = level.contains('#');
        if multi && (level != "#" || levels.peek().is_some()) {
            return Err(DecodeError::InvalidTopicFilter);
        }
        if level.contains('+') && level != "+" {
            return Err(DecodeError::InvalidTopicFilter);
        }
    }
    Ok(is_shared)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn scan_finds_each_byte_at_every_position() {
        for len in 1..40 {
            for pos in 0..len {
                for (byte, expect) in [
                    (0u8, (true, false)),
                    (b'+', (false, true)),
                    (b'#', (false, true)),
                ] {
                    let mut v = vec![b'x'; len];
                    v[pos] = byte;
                    assert_eq!(scan(&v, true), expect, "len {len} pos {pos} byte {byte}");
                    assert_eq!(scan(&v, false).0, expect.0);
                }
                let mut v = vec![0xC3u8; len];
                v[pos] = 0xA9;
                assert_eq!(scan(&v, true), (false, false));
            }
        }
        assert_eq!(scan(b"", true), (false, false));
    }

    #[test]
    fn topic_names_mqtt_3_3_2_2_and_4_7_3_1() {
        assert!(is_valid_topic_name("a/b"));
        assert!(is_valid_topic_name("/"));
        assert!(is_valid_topic_name("$SYS/x"));
        assert!(!is_valid_topic_name(""));
        assert!(!is_valid_topic_name("a/+"));
        assert!(!is_valid_topic_name("a/#"));
        assert!(!is_valid_topic_name("a\0b"));
    }

    #[test]
    fn filters_mqtt_4_7_1_2_and_4_7_1_3() {
        for ok in [
            "#", "+", "a/#", "a/+/b", "+/+", "/", "a//b", "/#", "$SYS/#", "a/b",
        ] {
            assert!(is_valid_topic_filter(ok), "{ok}");
        }
        for bad in [
            "", "a#", "a/#/b", "#/a", "a+", "a/b+", "+a/b", "a/#b", "a\0",
        ] {
            assert!(!is_valid_topic_filter(bad), "{bad}");
        }
    }

    #[test]
    fn shared_filters_mqtt_4_8_2_1_and_4_8_2_2() {
        assert_eq!(check_filter("$share/g/a/#", true), Ok(true));
        assert_eq!(check_filter("$share/g/#", true), Ok(true));
        assert_eq!(check_filter("$share/g/a/#", false), Ok(false));
        for bad in [
            "$share/",
            "$share//a",
            "$share/g",
            "$share/g/",
            "$share/g+/a",
            "$share/#/a",
        ] {
            assert!(check_filter(bad, true).is_err(), "{bad}");
        }
    }
}
