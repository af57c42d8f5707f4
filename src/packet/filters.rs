//! The topic filter lists of SUBSCRIBE and UNSUBSCRIBE, kept as their validated encoded block.
//!
//! A decoded list is a slice of the frame: decoding checks every filter and options byte once,
//! then keeps the bytes instead of building a vector, so the memory a SUBSCRIBE holds is its own
//! frame whatever the number of filters, and decoding allocates nothing. Iterating reads the
//! entries back from the block. A few flags, derived from the bytes alone, remember what encoding
//! on another version must refuse.

use crate::buffer::Buffer;
use crate::error::{DecodeError, EncodeError};
use crate::topic::{self, SHARE_PREFIX, TopicFilter};
use crate::types::{PacketType, QoS, RetainHandling, SubscriptionOptions, Version};
use bytes::{BufMut, Bytes, BytesMut};
use core::fmt;
use core::ops::Range;

/// Some options byte uses more than the QoS bits (No Local, Retain As Published, Retain
/// Handling): 5.0 only.
const V5_OPTIONS: u8 = 1;
/// Some filter starts with `$share/`: checked again under the 5.0 shared-subscription rules when
/// encoded on 5.0 (a 3.1.1 decoder read `$share` as an ordinary level).
const SHARE_PREFIX_SEEN: u8 = 2;
/// Some shared subscription has No Local set ([MQTT-3.8.3-4] 5.0).
const SHARED_NO_LOCAL: u8 = 4;

/// The range of the filter starting at `pos` of a validated block, and where the entry's next
/// field starts.
#[inline]
fn entry(block: &[u8], pos: usize) -> Option<(Range<usize>, usize)> {
    let len = block.get(pos..pos + 2)?;
    let len = usize::from(u16::from_be_bytes([*len.first()?, *len.get(1)?]));
    let start = pos + 2;
    let end = start + len;
    (end <= block.len()).then_some((start..end, end))
}

/// The flags one entry contributes.
fn entry_flags(filter: &str, options: u8) -> u8 {
    let mut flags = 0;
    if options & !0b11 != 0 {
        flags |= V5_OPTIONS;
    }
    if filter.starts_with(SHARE_PREFIX) {
        flags |= SHARE_PREFIX_SEEN;
        if options & 0b100 != 0 && topic::check_filter_syntax(filter, true) == Ok(true) {
            flags |= SHARED_NO_LOCAL;
        }
    }
    flags
}

/// On 5.0, filters that start with `$share/` follow the shared-subscription syntax
/// ([MQTT-4.8.2-1], [MQTT-4.8.2-2]); a 3.1.1 decoder did not check it.
fn check_shared(block: &[u8], with_options: bool) -> Result<(), EncodeError> {
    let mut pos = 0;
    while let Some((range, next)) = entry(block, pos) {
        let filter = block.get(range).unwrap_or_default();
        if filter.starts_with(SHARE_PREFIX.as_bytes()) {
            let filter =
                core::str::from_utf8(filter).map_err(|_| EncodeError::InvalidTopicFilter)?;
            topic::check_filter_syntax(filter, true)?;
        }
        pos = next + usize::from(with_options);
    }
    Ok(())
}

/// The topic filters of a SUBSCRIBE with their subscription options: at least one, each checked.
///
/// Kept as the encoded block (a slice of the received frame when decoded); [`iter`] reads the
/// entries. Make one with [`SubscribeFilters::new`] (one filter) or
/// [`SubscribeFilters::try_from_iter`].
///
/// [`iter`]: SubscribeFilters::iter
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SubscribeFilters<B: Buffer = Bytes> {
    block: B,
    len: u32,
    flags: u8,
}

impl<B: Buffer> SubscribeFilters<B> {
    /// Reads and checks the filter list that runs to the end of a SUBSCRIBE.
    pub(crate) fn read(
        r: &mut crate::codec::read::Reader<'_, B>,
        v5: bool,
    ) -> Result<Self, DecodeError> {
        let start = r.position();
        let mut len = 0u32;
        let mut flags = 0;
        while r.remaining() > 0 {
            // [MQTT-3.8.3-1]: a UTF-8 string; §4.7: a valid filter.
            let filter = r.str()?;
            let shared = topic::check_filter_syntax(filter, v5)?;
            let byte = r.u8()?;
            let options = parse_options(byte, v5)?;
            if shared && options.no_local {
                return Err(DecodeError::NoLocalOnSharedSubscription); // [MQTT-3.8.3-4] (5.0)
            }
            flags |= entry_flags(filter, byte);
            len = len.saturating_add(1);
        }
        if len == 0 {
            // [MQTT-3.8.3-3] (3.1.1) / [MQTT-3.8.3-2] (5.0)
            return Err(DecodeError::NoTopicFilters(PacketType::Subscribe));
        }
        let block = r.slice(start..r.position());
        Ok(SubscribeFilters { block, len, flags })
    }

    /// Refuses what `version` cannot carry; the filters themselves were checked when made.
    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        if version.is_v5() {
            if self.flags & SHARED_NO_LOCAL != 0 {
                return Err(EncodeError::NoLocalOnSharedSubscription); // [MQTT-3.8.3-4] (5.0)
            }
            if self.flags & SHARE_PREFIX_SEEN != 0 {
                check_shared(self.block.as_ref(), true)?;
            }
        } else if self.flags & V5_OPTIONS != 0 {
            // [MQTT-3-8.3-4] (3.1.1): bits 7-2 of the options byte are reserved.
            return Err(EncodeError::NotInVersion {
                what: "5.0 subscription options",
                version,
            });
        }
        Ok(())
    }

    /// The number of filters (at least one).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: a SUBSCRIBE carries at least one filter ([MQTT-3.8.3-3] 3.1.1 /
    /// [MQTT-3.8.3-2] 5.0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The filters with their options, in order.
    pub fn iter(&self) -> SubscribeFiltersIter<'_, B> {
        SubscribeFiltersIter {
            block: &self.block,
            pos: 0,
            left: self.len,
        }
    }

    /// The first filter with its options.
    pub fn first(&self) -> Option<(TopicFilter<B>, SubscriptionOptions)> {
        self.iter().next()
    }

    /// The encoded entries, as they go on the wire after the properties.
    pub fn as_bytes(&self) -> &[u8] {
        self.block.as_ref()
    }
}

impl SubscribeFilters<Bytes> {
    /// One filter with its options.
    pub fn new<T: Buffer>(filter: TopicFilter<T>, options: SubscriptionOptions) -> Self {
        let mut block = BytesMut::with_capacity(filter.len().saturating_add(3));
        push_filter(&mut block, &filter);
        block.put_u8(options.to_byte());
        SubscribeFilters {
            block: block.freeze(),
            len: 1,
            flags: entry_flags(&filter, options.to_byte()),
        }
    }

    /// Several filters with their options, in order; an empty list is refused
    /// ([MQTT-3.8.3-3] 3.1.1 / [MQTT-3.8.3-2] 5.0).
    pub fn try_from_iter<T, I>(filters: I) -> Result<Self, EncodeError>
    where
        T: Buffer,
        I: IntoIterator<Item = (TopicFilter<T>, SubscriptionOptions)>,
    {
        let mut block = BytesMut::new();
        let mut len = 0u32;
        let mut flags = 0;
        for (filter, options) in filters {
            push_filter(&mut block, &filter);
            block.put_u8(options.to_byte());
            flags |= entry_flags(&filter, options.to_byte());
            len = len.saturating_add(1);
        }
        if len == 0 {
            return Err(EncodeError::NoTopicFilters(PacketType::Subscribe));
        }
        Ok(SubscribeFilters {
            block: block.freeze(),
            len,
            flags,
        })
    }
}

/// Appends a filter as a UTF-8 Encoded String; a `TopicFilter` is at most 65,535 bytes.
fn push_filter<T: Buffer>(block: &mut BytesMut, filter: &TopicFilter<T>) {
    block.put_u16(u16::try_from(filter.len()).unwrap_or(u16::MAX));
    block.put_slice(filter.as_bytes());
}

/// Shown as the list of `(filter, options)` pairs.
impl<B: Buffer> fmt::Debug for SubscribeFilters<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, B: Buffer> IntoIterator for &'a SubscribeFilters<B> {
    type Item = (TopicFilter<B>, SubscriptionOptions);
    type IntoIter = SubscribeFiltersIter<'a, B>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The filters of a [`SubscribeFilters`] with their options. Each filter shares the block's
/// storage; its UTF-8 is checked again as it is read (the standard library's check, without
/// `unsafe`).
#[derive(Debug, Clone)]
pub struct SubscribeFiltersIter<'a, B: Buffer> {
    block: &'a B,
    pos: usize,
    left: u32,
}

impl<B: Buffer> Iterator for SubscribeFiltersIter<'_, B> {
    type Item = (TopicFilter<B>, SubscriptionOptions);

    fn next(&mut self) -> Option<Self::Item> {
        let (range, next) = entry(self.block.as_ref(), self.pos)?;
        let byte = *self.block.as_ref().get(next)?;
        let filter = self.block.slice_str(range).ok()?;
        let options = parse_options(byte, true).ok()?;
        self.pos = next + 1;
        self.left = self.left.saturating_sub(1);
        Some((TopicFilter::from_checked(filter), options))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl<B: Buffer> ExactSizeIterator for SubscribeFiltersIter<'_, B> {}

/// The options byte: 3.1.1 has only the QoS and reserves bits 7-2 ([MQTT-3-8.3-4]); 5.0 adds
/// No Local, Retain As Published and Retain Handling and reserves bits 7-6 ([MQTT-3.8.3-5]).
/// QoS 3 or Retain Handling 3 is a protocol error (§3.8.3.1).
fn parse_options(byte: u8, v5: bool) -> Result<SubscriptionOptions, DecodeError> {
    let reserved = if v5 { 0b1100_0000 } else { 0b1111_1100 };
    if byte & reserved != 0 {
        return Err(DecodeError::SubscriptionOptionsReserved(byte));
    }
    let qos = QoS::from_bits(byte & 0b11).ok_or(DecodeError::InvalidSubscriptionOptions(byte))?;
    let retain_handling = match (byte >> 4) & 0b11 {
        0 => RetainHandling::SendAtSubscribe,
        1 => RetainHandling::SendIfNew,
        2 => RetainHandling::DoNotSend,
        _ => return Err(DecodeError::InvalidSubscriptionOptions(byte)),
    };
    Ok(SubscriptionOptions {
        qos,
        no_local: byte & 0b0100 != 0,
        retain_as_published: byte & 0b1000 != 0,
        retain_handling,
    })
}

/// The topic filters of an UNSUBSCRIBE: at least one, each checked.
///
/// Kept as the encoded block (a slice of the received frame when decoded); [`iter`] reads the
/// filters. Make one with [`UnsubscribeFilters::new`] (one filter) or
/// [`UnsubscribeFilters::try_from_iter`].
///
/// [`iter`]: UnsubscribeFilters::iter
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UnsubscribeFilters<B: Buffer = Bytes> {
    block: B,
    len: u32,
    flags: u8,
}

impl<B: Buffer> UnsubscribeFilters<B> {
    /// Reads and checks the filter list that runs to the end of an UNSUBSCRIBE.
    pub(crate) fn read(
        r: &mut crate::codec::read::Reader<'_, B>,
        v5: bool,
    ) -> Result<Self, DecodeError> {
        let start = r.position();
        let mut len = 0u32;
        let mut flags = 0;
        while r.remaining() > 0 {
            // [MQTT-3.10.3-1]: UTF-8 strings; §4.7: valid filters.
            let filter = r.str()?;
            topic::check_filter_syntax(filter, v5)?;
            flags |= entry_flags(filter, 0);
            len = len.saturating_add(1);
        }
        if len == 0 {
            return Err(DecodeError::NoTopicFilters(PacketType::Unsubscribe)); // [MQTT-3.10.3-2]
        }
        let block = r.slice(start..r.position());
        Ok(UnsubscribeFilters { block, len, flags })
    }

    /// Refuses what `version` cannot carry; the filters themselves were checked when made.
    pub(crate) fn check(&self, version: Version) -> Result<(), EncodeError> {
        if version.is_v5() && self.flags & SHARE_PREFIX_SEEN != 0 {
            check_shared(self.block.as_ref(), false)?;
        }
        Ok(())
    }

    /// The number of filters (at least one).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Always false: an UNSUBSCRIBE carries at least one filter ([MQTT-3.10.3-2]).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The filters, in order.
    pub fn iter(&self) -> UnsubscribeFiltersIter<'_, B> {
        UnsubscribeFiltersIter {
            block: &self.block,
            pos: 0,
            left: self.len,
        }
    }

    /// The first filter.
    pub fn first(&self) -> Option<TopicFilter<B>> {
        self.iter().next()
    }

    /// The encoded filters, as they go on the wire after the properties.
    pub fn as_bytes(&self) -> &[u8] {
        self.block.as_ref()
    }
}

impl UnsubscribeFilters<Bytes> {
    /// One filter.
    pub fn new<T: Buffer>(filter: TopicFilter<T>) -> Self {
        let mut block = BytesMut::with_capacity(filter.len().saturating_add(2));
        push_filter(&mut block, &filter);
        UnsubscribeFilters {
            block: block.freeze(),
            len: 1,
            flags: entry_flags(&filter, 0),
        }
    }

    /// Several filters, in order; an empty list is refused ([MQTT-3.10.3-2]).
    pub fn try_from_iter<T, I>(filters: I) -> Result<Self, EncodeError>
    where
        T: Buffer,
        I: IntoIterator<Item = TopicFilter<T>>,
    {
        let mut block = BytesMut::new();
        let mut len = 0u32;
        let mut flags = 0;
        for filter in filters {
            push_filter(&mut block, &filter);
            flags |= entry_flags(&filter, 0);
            len = len.saturating_add(1);
        }
        if len == 0 {
            return Err(EncodeError::NoTopicFilters(PacketType::Unsubscribe));
        }
        Ok(UnsubscribeFilters {
            block: block.freeze(),
            len,
            flags,
        })
    }
}

/// Shown as the list of filters.
impl<B: Buffer> fmt::Debug for UnsubscribeFilters<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, B: Buffer> IntoIterator for &'a UnsubscribeFilters<B> {
    type Item = TopicFilter<B>;
    type IntoIter = UnsubscribeFiltersIter<'a, B>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The filters of an [`UnsubscribeFilters`]. Each filter shares the block's storage; its UTF-8 is
/// checked again as it is read.
#[derive(Debug, Clone)]
pub struct UnsubscribeFiltersIter<'a, B: Buffer> {
    block: &'a B,
    pos: usize,
    left: u32,
}

impl<B: Buffer> Iterator for UnsubscribeFiltersIter<'_, B> {
    type Item = TopicFilter<B>;

    fn next(&mut self) -> Option<Self::Item> {
        let (range, next) = entry(self.block.as_ref(), self.pos)?;
        let filter = self.block.slice_str(range).ok()?;
        self.pos = next;
        self.left = self.left.saturating_sub(1);
        Some(TopicFilter::from_checked(filter))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl<B: Buffer> ExactSizeIterator for UnsubscribeFiltersIter<'_, B> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::decode_slice;
    use crate::packet::{Packet, Subscribe, Unsubscribe};
    use crate::types::PacketId;
    use alloc::format;
    use alloc::vec::Vec;

    fn filter(s: &'static str) -> TopicFilter {
        TopicFilter::from_static(s).unwrap()
    }

    fn pid() -> PacketId {
        PacketId::new(9).unwrap()
    }

    fn encode(packet: &Packet, version: Version) -> Result<Vec<u8>, EncodeError> {
        let mut buf = BytesMut::new();
        let result = packet.encode(version, &mut buf);
        assert_eq!(result.is_err(), buf.is_empty(), "nothing written on error");
        assert_eq!(packet.encoded_len(version), result);
        result.map(|_| buf.to_vec())
    }

    fn decode(bytes: &[u8], version: Version) -> Result<Packet<&[u8]>, DecodeError> {
        decode_slice(bytes, version, u32::MAX).map(|d| d.expect("whole packet").0)
    }

    #[test]
    fn entries_read_back_in_order() {
        let all = [
            (filter("a/+"), SubscriptionOptions::qos(QoS::AtLeastOnce)),
            (
                filter("$share/g/b/#"),
                SubscriptionOptions {
                    retain_handling: RetainHandling::DoNotSend,
                    ..SubscriptionOptions::qos(QoS::ExactlyOnce)
                },
            ),
            (
                filter("c"),
                SubscriptionOptions {
                    no_local: true,
                    retain_as_published: true,
                    ..SubscriptionOptions::qos(QoS::AtMostOnce)
                },
            ),
        ];
        let filters = SubscribeFilters::try_from_iter(all.clone()).unwrap();
        assert_eq!(filters.len(), 3);
        assert!(!filters.is_empty());
        assert_eq!(filters.iter().len(), 3);
        assert_eq!(filters.iter().collect::<Vec<_>>(), all);
        assert_eq!(filters.first(), Some(all[0].clone()));
        let expected = format!("{:?}", all.to_vec());
        assert_eq!(format!("{filters:?}"), expected);

        let packet = Packet::Subscribe(Subscribe {
            filters,
            ..Subscribe::new(
                pid(),
                filter("x"),
                SubscriptionOptions::qos(QoS::AtMostOnce),
            )
        });
        let bytes = encode(&packet, Version::V5).unwrap();
        let Packet::Subscribe(decoded) = decode(&bytes, Version::V5).unwrap() else {
            panic!("not a SUBSCRIBE");
        };
        let read: Vec<_> = decoded
            .filters
            .iter()
            .map(|(f, o)| (f.as_str().to_owned(), o))
            .collect();
        let written: Vec<_> = all
            .iter()
            .map(|(f, o)| (f.as_str().to_owned(), *o))
            .collect();
        assert_eq!(read, written);

        let un = UnsubscribeFilters::try_from_iter(all.iter().map(|(f, _)| f.clone())).unwrap();
        assert_eq!(un.len(), 3);
        assert_eq!(un.first(), Some(filter("a/+")));
        assert_eq!(format!("{un:?}"), r#"["a/+", "$share/g/b/#", "c"]"#);
    }

    use alloc::borrow::ToOwned;

    #[test]
    fn empty_lists_cannot_be_made_mqtt_3_8_3_2_and_3_10_3_2() {
        let none: [(TopicFilter, SubscriptionOptions); 0] = [];
        assert_eq!(
            SubscribeFilters::try_from_iter(none),
            Err(EncodeError::NoTopicFilters(PacketType::Subscribe))
        );
        let none: [TopicFilter; 0] = [];
        assert_eq!(
            UnsubscribeFilters::try_from_iter(none),
            Err(EncodeError::NoTopicFilters(PacketType::Unsubscribe))
        );
    }

    #[test]
    fn subscription_options_beyond_qos_refused_on_3_1_1_mqtt_3_8_3_4() {
        let options = SubscriptionOptions {
            retain_as_published: true,
            ..SubscriptionOptions::qos(QoS::AtLeastOnce)
        };
        let packet = Packet::Subscribe(Subscribe::new(pid(), filter("a"), options));
        assert!(matches!(
            encode(&packet, Version::V3_1_1),
            Err(EncodeError::NotInVersion { .. })
        ));
        // Decoded on 5.0, the block still knows.
        let bytes = encode(&packet, Version::V5).unwrap();
        let decoded = decode(&bytes, Version::V5).unwrap();
        let mut buf = BytesMut::new();
        assert!(matches!(
            decoded.encode(Version::V3_1_1, &mut buf),
            Err(EncodeError::NotInVersion { .. })
        ));
        assert!(buf.is_empty());
        // QoS alone is fine on both.
        let plain = Packet::Subscribe(Subscribe::new(
            pid(),
            filter("a"),
            SubscriptionOptions::qos(QoS::ExactlyOnce),
        ));
        assert_eq!(
            encode(&plain, Version::V3_1_1).unwrap(),
            b"\x82\x06\x00\x09\x00\x01a\x02"
        );
    }

    #[test]
    fn no_local_on_a_shared_subscription_refused_mqtt_3_8_3_4() {
        let no_local = SubscriptionOptions {
            no_local: true,
            ..SubscriptionOptions::qos(QoS::AtMostOnce)
        };
        let shared = Packet::Subscribe(Subscribe::new(pid(), filter("$share/g/a"), no_local));
        assert_eq!(
            encode(&shared, Version::V5),
            Err(EncodeError::NoLocalOnSharedSubscription)
        );
        // Not shared: `$share` without a share name and filter is an ordinary level.
        let plain = Packet::Subscribe(Subscribe::new(pid(), filter("$share"), no_local));
        assert!(encode(&plain, Version::V5).is_ok());
        let mixed = Packet::Subscribe(Subscribe {
            filters: SubscribeFilters::try_from_iter([
                (filter("a"), no_local),
                (
                    filter("$share/g/#"),
                    SubscriptionOptions::qos(QoS::AtMostOnce),
                ),
            ])
            .unwrap(),
            ..Subscribe::new(pid(), filter("x"), no_local)
        });
        assert!(encode(&mixed, Version::V5).is_ok());
    }

    /// On 3.1.1 `$share` is an ordinary level, so `$share/g` decodes there; encoding it on 5.0
    /// checks it under the shared-subscription syntax.
    #[test]
    fn filters_decoded_on_3_1_1_are_checked_as_shared_on_5_0_mqtt_4_8_2_1() {
        // SUBSCRIBE pid 1, "$share/g" QoS 0; UNSUBSCRIBE pid 1, "$share/g".
        let sub = b"\x82\x0d\x00\x01\x00\x08$share/g\x00";
        let unsub = b"\xa2\x0c\x00\x01\x00\x08$share/g";
        // The same with a Property Length of 0: refused by a 5.0 decoder.
        let sub5 = b"\x82\x0e\x00\x01\x00\x00\x08$share/g\x00";
        let unsub5 = b"\xa2\x0d\x00\x01\x00\x00\x08$share/g";
        for bytes in [&sub5[..], &unsub5[..]] {
            assert_eq!(
                decode(bytes, Version::V5).unwrap_err(),
                DecodeError::InvalidTopicFilter
            );
        }
        for bytes in [&sub[..], &unsub[..]] {
            let packet = decode(bytes, Version::V3_1_1).unwrap();
            let mut buf = BytesMut::new();
            assert_eq!(packet.encode(Version::V3_1_1, &mut buf), Ok(bytes.len()));
            assert_eq!(&buf[..], bytes);
            let mut buf = BytesMut::new();
            assert_eq!(
                packet.encode(Version::V5, &mut buf),
                Err(EncodeError::InvalidTopicFilter)
            );
            assert_eq!(
                packet.encoded_len(Version::V5),
                Err(EncodeError::InvalidTopicFilter)
            );
            assert!(buf.is_empty());
        }
        // A valid shared filter decoded on 3.1.1 encodes on 5.0.
        let ok = b"\xa2\x0e\x00\x01\x00\x0a$share/g/a";
        let packet = decode(ok, Version::V3_1_1).unwrap();
        let Packet::Unsubscribe(u) = &packet else {
            panic!("not an UNSUBSCRIBE")
        };
        assert_eq!(u.filters.first().unwrap().share_name(), Some("g"));
        let mut buf = BytesMut::new();
        assert!(packet.encode(Version::V5, &mut buf).is_ok());
    }

    #[test]
    fn unsubscribe_new_is_one_filter() {
        let packet = Packet::Unsubscribe(Unsubscribe::new(pid(), filter("a/b")));
        assert_eq!(
            encode(&packet, Version::V3_1_1).unwrap(),
            b"\xa2\x07\x00\x09\x00\x03a/b"
        );
    }

    /// The shared-subscription check on 5.0 walks every entry of a list read on 3.1.1: the
    /// invalid filter is the second one, after a valid shared filter.
    #[test]
    fn every_entry_read_on_3_1_1_is_checked_as_shared_on_5_0_mqtt_4_8_2_1() {
        // SUBSCRIBE pid 1: "$share/g/a" QoS 0, "$share/g" QoS 1.
        let sub = b"\x82\x1a\x00\x01\x00\x0a$share/g/a\x00\x00\x08$share/g\x01";
        // UNSUBSCRIBE pid 1: "$share/g/a", "$share/g".
        let unsub = b"\xa2\x18\x00\x01\x00\x0a$share/g/a\x00\x08$share/g";
        for bytes in [&sub[..], &unsub[..]] {
            let packet = decode(bytes, Version::V3_1_1).unwrap();
            let mut buf = BytesMut::new();
            assert_eq!(packet.encode(Version::V3_1_1, &mut buf), Ok(bytes.len()));
            assert_eq!(
                packet.encoded_len(Version::V5),
                Err(EncodeError::InvalidTopicFilter)
            );
        }
    }

    /// A list is never empty, and its iterators know their length.
    #[test]
    fn lists_are_never_empty_and_iterators_know_their_length() {
        let sub = SubscribeFilters::try_from_iter([
            (filter("a"), SubscriptionOptions::qos(QoS::AtMostOnce)),
            (filter("b/#"), SubscriptionOptions::qos(QoS::AtLeastOnce)),
        ])
        .unwrap();
        assert!(!sub.is_empty());
        assert_eq!(sub.iter().size_hint(), (2, Some(2)));
        let mut it = sub.iter();
        it.next();
        assert_eq!(it.len(), 1);
        let unsub =
            UnsubscribeFilters::try_from_iter([filter("a"), filter("+/b"), filter("c")]).unwrap();
        assert!(!unsub.is_empty());
        assert_eq!(unsub.len(), 3);
        assert_eq!(unsub.iter().size_hint(), (3, Some(3)));
        let mut it = unsub.iter();
        it.next();
        assert_eq!(it.len(), 2);
        assert!(!UnsubscribeFilters::new(filter("x")).is_empty());
    }

    /// Read on 3.1.1, a `$share/...` filter that the 5.0 syntax refuses is an ordinary filter:
    /// empty share name, a wildcard as share name, nothing after the share name ([MQTT-4.8.2-1],
    /// [MQTT-4.8.2-2] do not apply on 3.1.1).
    #[test]
    fn malformed_shared_filters_read_on_3_1_1_are_not_shared_mqtt_4_8_2_2() {
        let unsub = b"\xa2\x24\x00\x01\x00\x09$share//a\x00\x0a$share/+/a\x00\x09$share/g/";
        let Packet::Unsubscribe(u) = decode(unsub, Version::V3_1_1).unwrap() else {
            panic!("not an UNSUBSCRIBE")
        };
        let filters: Vec<_> = u.filters.iter().collect();
        assert_eq!(filters.len(), 3);
        for f in &filters {
            assert!(!f.is_shared(), "{f}");
            assert_eq!(f.share_name(), None, "{f}");
            assert_eq!(f.filter(), f.as_str());
        }
        // A well-formed one is shared.
        let shared = filter("$share/g/a/#");
        assert_eq!(shared.share_name(), Some("g"));
        assert_eq!(shared.filter(), "a/#");
    }
}
