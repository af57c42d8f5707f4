//! Topic names and topic filters (§4.7, §4.8.2 of 5.0), and the rules for UTF-8 strings
//! (§1.5.4).
//!
//! [`TopicName`] and [`TopicFilter`] are checked once, when made ([`TopicName::new`],
//! [`TopicFilter::new`], their `TryFrom` impls) or when decoded; encoding trusts them and does not
//! scan them again.

mod filter;
mod name;

pub use filter::{TopicFilter, matches_literal};
pub use name::TopicName;

use crate::error::{DecodeError, EncodeError};

/// Why a string is not a valid topic name or topic filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// An empty topic name ([MQTT-4.7.3-1]).
    #[error("empty topic name")]
    EmptyTopicName,
    /// U+0000 in a topic name, a topic filter or any UTF-8 string ([MQTT-1.5.3-2] 3.1.1,
    /// [MQTT-1.5.4-2] 5.0, [MQTT-4.7.3-2]).
    #[error("string contains U+0000")]
    NullCharacter,
    /// `+` or `#` in a topic name ([MQTT-3.3.2-2], [MQTT-4.7.1-1] 3.1.1, [MQTT-4.7.0-1] 5.0).
    #[error("wildcard in topic name")]
    WildcardInTopicName,
    /// An empty topic filter, a misplaced `#` or `+`, or a malformed shared subscription
    /// ([MQTT-4.7.3-1], [MQTT-4.7.1-2], [MQTT-4.7.1-3] 3.1.1 / [MQTT-4.7.1-1], [MQTT-4.7.1-2]
    /// 5.0, [MQTT-4.8.2-1], [MQTT-4.8.2-2]).
    #[error("invalid topic filter")]
    InvalidTopicFilter,
    /// More than 65,535 bytes ([MQTT-4.7.3-3]).
    #[error("topic of {0} bytes is longer than 65,535 bytes")]
    TooLong(usize),
}

impl From<TopicError> for DecodeError {
    fn from(e: TopicError) -> DecodeError {
        match e {
            TopicError::EmptyTopicName => DecodeError::EmptyTopicName,
            TopicError::NullCharacter => DecodeError::NullCharacter,
            TopicError::WildcardInTopicName => DecodeError::WildcardInTopicName,
            // A decoded string has a two-byte length, so it is never too long.
            TopicError::InvalidTopicFilter | TopicError::TooLong(_) => {
                DecodeError::InvalidTopicFilter
            }
        }
    }
}

impl From<TopicError> for EncodeError {
    fn from(e: TopicError) -> EncodeError {
        match e {
            TopicError::EmptyTopicName => EncodeError::EmptyTopicName,
            TopicError::NullCharacter => EncodeError::NullCharacter,
            TopicError::WildcardInTopicName => EncodeError::WildcardInTopicName,
            TopicError::InvalidTopicFilter => EncodeError::InvalidTopicFilter,
            TopicError::TooLong(len) => EncodeError::FieldTooLong(len),
        }
    }
}

/// The conversions and traits [`TopicName`] and [`TopicFilter`] share: both wrap a checked
/// [`Str<B>`](crate::Str) and read as a `str`. The shortcuts (`from_static`, `TryFrom`) are for
/// the owned storage only, so that `TopicName::try_from("a/b")` needs no type annotation; a
/// borrowed one is made with `new`.
macro_rules! topic_type {
    ($ty:ident) => {
        impl<B: Buffer> $ty<B> {
            /// The text, as a `str`.
            #[inline]
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The checked string, sharing the storage `B`.
            #[inline]
            pub fn as_inner(&self) -> &Str<B> {
                &self.0
            }

            /// The checked string, sharing the storage `B`.
            #[inline]
            pub fn into_inner(self) -> Str<B> {
                self.0
            }

            /// Wraps a string that decoding (or the caller) already checked.
            #[inline]
            pub(crate) fn from_checked(s: Str<B>) -> Self {
                $ty(s)
            }
        }

        impl $ty<Bytes> {
            /// Checks a `'static` string; no copy is made.
            pub fn from_static(s: &'static str) -> Result<Self, TopicError> {
                Self::new(ByteString::from_static(s))
            }
        }

        impl TryFrom<&str> for $ty<Bytes> {
            type Error = TopicError;
            /// Checks `s` and copies it.
            fn try_from(s: &str) -> Result<Self, TopicError> {
                Self::new(ByteString::from(s))
            }
        }

        impl TryFrom<String> for $ty<Bytes> {
            type Error = TopicError;
            /// Checks `s` and takes its buffer without copying.
            fn try_from(s: String) -> Result<Self, TopicError> {
                Self::new(ByteString::from(s))
            }
        }

        impl TryFrom<ByteString> for $ty<Bytes> {
            type Error = TopicError;
            fn try_from(s: ByteString) -> Result<Self, TopicError> {
                Self::new(s)
            }
        }

        impl<B: Buffer> core::ops::Deref for $ty<B> {
            type Target = str;
            #[inline]
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl<B: Buffer> AsRef<str> for $ty<B> {
            #[inline]
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<B: Buffer> core::fmt::Display for $ty<B> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(&self.0)
            }
        }

        /// Shown as the string it holds.
        impl<B: Buffer> core::fmt::Debug for $ty<B> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                core::fmt::Debug::fmt(&*self.0, f)
            }
        }

        impl<B: Buffer> PartialEq<str> for $ty<B> {
            fn eq(&self, other: &str) -> bool {
                &*self.0 == other
            }
        }

        impl<B: Buffer> PartialEq<&str> for $ty<B> {
            fn eq(&self, other: &&str) -> bool {
                &*self.0 == *other
            }
        }
    };
}

pub(crate) use topic_type;

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
#[inline(always)]
pub(crate) fn check_bytes(bytes: &[u8], kind: StringKind) -> Result<(), TopicError> {
    check_bytes_ascii(bytes, kind).map(|_| ())
}

/// [`check_bytes`], also telling whether every byte is ASCII (then the string is well-formed
/// UTF-8 without a further check), found in the same pass.
#[inline(always)]
pub(crate) fn check_bytes_ascii(bytes: &[u8], kind: StringKind) -> Result<bool, TopicError> {
    let (forbidden, ascii) = any_forbidden(bytes, kind == StringKind::TopicName);
    if !forbidden {
        return Ok(ascii);
    }
    refuse(bytes, kind).map(|()| ascii)
}

/// The error for a string [`any_forbidden`] flagged: U+0000 first, then wildcards.
#[cold]
#[inline(never)]
fn refuse(bytes: &[u8], kind: StringKind) -> Result<(), TopicError> {
    let (nul, wildcard) = scan(bytes, kind == StringKind::TopicName);
    if nul {
        // [MQTT-1.5.3-2] (3.1.1) / [MQTT-1.5.4-2] (5.0), [MQTT-4.7.3-2]
        return Err(TopicError::NullCharacter);
    }
    if wildcard {
        // [MQTT-3.3.2-2], [MQTT-4.7.1-1] (3.1.1) / [MQTT-4.7.0-1] (5.0)
        return Err(TopicError::WildcardInTopicName);
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

/// Whether `bytes` holds a NUL or (when `wildcards`) a `+` or `#`, and whether all its bytes are
/// ASCII: one test over eight bytes at a time, without telling which byte was refused ([`scan`]
/// does, on the error path).
#[inline(always)]
fn any_forbidden(bytes: &[u8], wildcards: bool) -> (bool, bool) {
    // A borrow out of a byte that matched may flag the bytes above it too: the mask is exact
    // only for "some byte matched", which is all this answers.
    let word = |v: u64| {
        let nul = v.wrapping_sub(ONES) & !v;
        if wildcards {
            // `#` (0x23) and `+` (0x2B) differ only in bit 3: both become 0x2B, then 0.
            let w = (v | (ONES * 0x08)) ^ (ONES * u64::from(b'+'));
            nul | (w.wrapping_sub(ONES) & !w)
        } else {
            nul
        }
    };
    if bytes.len() < 8 {
        let forbidden = bytes
            .iter()
            .any(|&b| b == 0 || (wildcards && (b | 0x08) == b'+'));
        return (forbidden, bytes.is_ascii());
    }
    let (mut found, mut high) = (0, 0);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let v = u64::from_le_bytes(w);
        found |= word(v);
        high |= v;
    }
    if let (false, Some(tail)) = (chunks.remainder().is_empty(), bytes.last_chunk::<8>()) {
        // The last eight bytes, overlapping bytes already seen: "any" stays exact.
        let v = u64::from_le_bytes(*tail);
        found |= word(v);
        high |= v;
    }
    (found & HIGHS != 0, high & HIGHS == 0)
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

/// True when `name` is a valid topic name: non-empty, no `+`, `#` or U+0000, at most 65,535
/// bytes. The same as `TopicName::new(name).is_ok()`, without making one.
pub fn is_valid_topic_name(name: &str) -> bool {
    !name.is_empty() && name::check(name).is_ok()
}

/// True when `filter` is a valid topic filter for MQTT 5.0 (shared subscriptions included), and
/// so on every version. The same as `TopicFilter::new(filter).is_ok()`, without making one.
///
/// At least one character, no U+0000, `#` only as the whole last level, `+` only as a whole
/// level, and after `$share/` a non-empty share name without `+`, `#` or `/`, then a filter.
pub fn is_valid_topic_filter(filter: &str) -> bool {
    check_filter(filter, true).is_ok()
}

/// Checks a topic filter (U+0000 included) and reports whether it is a shared subscription.
pub(crate) fn check_filter(filter: &str, shared: bool) -> Result<bool, TopicError> {
    check_bytes(filter.as_bytes(), StringKind::Plain)?;
    check_filter_syntax(filter, shared)
}

/// The rules of a topic filter other than U+0000 (which the caller scanned for), reporting
/// whether it is a shared subscription:
///
/// - at least one character ([MQTT-4.7.3-1]) and at most 65,535 bytes ([MQTT-4.7.3-3]);
/// - `#` only as a whole level and the last one ([MQTT-4.7.1-2] 3.1.1 / [MQTT-4.7.1-1] 5.0);
/// - `+` only as a whole level ([MQTT-4.7.1-3] 3.1.1 / [MQTT-4.7.1-2] 5.0);
/// - with `shared` (5.0), `$share/` must be followed by a non-empty share name without `+`, `#`
///   or `/`, then `/` and a valid filter ([MQTT-4.8.2-1], [MQTT-4.8.2-2]). On 3.1.1 `$share` is
///   an ordinary level.
pub(crate) fn check_filter_syntax(filter: &str, shared: bool) -> Result<bool, TopicError> {
    if filter.is_empty() {
        return Err(TopicError::InvalidTopicFilter); // [MQTT-4.7.3-1]
    }
    if filter.len() > usize::from(u16::MAX) {
        return Err(TopicError::TooLong(filter.len())); // [MQTT-4.7.3-3]
    }
    let mut rest = filter.as_bytes();
    let mut is_shared = false;
    if let Some(after) = filter.strip_prefix(SHARE_PREFIX).filter(|_| shared) {
        // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
        let (share_name, inner) = after
            .split_once('/')
            .ok_or(TopicError::InvalidTopicFilter)?;
        let wildcard = |b: &u8| *b == b'+' || *b == b'#';
        if share_name.is_empty() || share_name.bytes().any(|b| wildcard(&b)) || inner.is_empty() {
            return Err(TopicError::InvalidTopicFilter);
        }
        rest = inner.as_bytes();
        is_shared = true;
    }
    check_wildcards(rest)?;
    Ok(is_shared)
}

/// `+` only as a whole level ([MQTT-4.7.1-3] 3.1.1 / [MQTT-4.7.1-2] 5.0); `#` only as a whole
/// level and the last one ([MQTT-4.7.1-2] 3.1.1 / [MQTT-4.7.1-1] 5.0). One pass over the bytes:
/// `+`, `#` and `/` are ASCII and never part of a multi-byte UTF-8 sequence.
#[inline]
fn check_wildcards(filter: &[u8]) -> Result<(), TopicError> {
    let mut from = 0;
    while let Some(offset) = filter
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'+' || b == b'#'))
    {
        let at = from + offset;
        let starts_level = at == 0 || filter.get(at - 1) == Some(&b'/');
        let next = filter.get(at + 1);
        let ends_level = matches!(next, None | Some(b'/'));
        let multi = filter.get(at) == Some(&b'#');
        if !starts_level || !ends_level || (multi && next.is_some()) {
            return Err(TopicError::InvalidTopicFilter);
        }
        from = at + 1;
    }
    Ok(())
}

/// What starts a shared subscription's filter on 5.0 (§4.8.2).
pub(crate) const SHARE_PREFIX: &str = "$share/";

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
                    assert_eq!(any_forbidden(&v, true), (true, true), "len {len} pos {pos}");
                    assert_eq!(any_forbidden(&v, false), (expect.0, true));
                }
                let mut v = vec![0xC3u8; len];
                v[pos] = 0xA9;
                assert_eq!(scan(&v, true), (false, false));
                assert_eq!(any_forbidden(&v, true), (false, false));
            }
        }
        assert_eq!(scan(b"", true), (false, false));
        assert_eq!(any_forbidden(b"", true), (false, true));
    }

    /// Bytes close to the ones refused (neighbours of `#` and `+`, bytes differing from them in
    /// one bit, 0x01, 0x7F, 0x80, 0xFF) pass the combined
    /// test at every position and length, so its borrows never flag a byte that is allowed.
    #[test]
    fn combined_scan_flags_only_forbidden_bytes() {
        for len in 1..40 {
            for pos in 0..len {
                for byte in [
                    b'"', b'$', b'*', b',', b'/', b'c', b'k', 0x01, 0x7F, 0x80, 0xFF,
                ] {
                    let mut v = vec![b'x'; len];
                    v[pos] = byte;
                    let ascii = byte < 0x80;
                    let found = any_forbidden(&v, true);
                    assert_eq!(found, (false, ascii), "len {len} pos {pos} byte {byte}");
                    v[len - 1 - pos] = 0;
                    assert!(
                        any_forbidden(&v, false).0,
                        "len {len} pos {pos} byte {byte}"
                    );
                }
            }
        }
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

    /// The one-pass wildcard check agrees with a level-by-level reading of the rules on every
    /// string of up to 7 characters over `a`, `/`, `+`, `#`.
    #[test]
    fn wildcard_placement_matches_the_level_reading_mqtt_4_7_1_1_and_4_7_1_2() {
        fn by_levels(filter: &str) -> bool {
            let levels: alloc::vec::Vec<&str> = filter.split('/').collect();
            levels.iter().enumerate().all(|(i, level)| {
                let multi_ok = !level.contains('#') || (*level == "#" && i + 1 == levels.len());
                let single_ok = !level.contains('+') || *level == "+";
                multi_ok && single_ok
            })
        }
        let alphabet = ['a', '/', '+', '#'];
        let mut count = 0;
        for len in 0..=7u32 {
            for n in 0..4usize.pow(len) {
                let filter: alloc::string::String =
                    (0..len).map(|i| alphabet[(n >> (2 * i)) & 3]).collect();
                assert_eq!(
                    check_wildcards(filter.as_bytes()).is_ok(),
                    by_levels(&filter),
                    "{filter}"
                );
                count += 1;
            }
        }
        assert_eq!(count, 21_845);
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
        assert_eq!(check_filter("$share/g", false), Ok(false));
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
