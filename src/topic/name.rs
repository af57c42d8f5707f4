//! [`TopicName`]: the topic a message is published to.

use super::{StringKind, TopicError, check_bytes, topic_type};
use crate::buffer::{Buffer, Str};
use alloc::string::String;
use bytes::Bytes;
use bytestring::ByteString;

/// A topic name: the topic of a PUBLISH or of a will message, checked once.
///
/// No `+` or `#` ([MQTT-3.3.2-2], [MQTT-4.7.1-1] 3.1.1 / [MQTT-4.7.0-1] 5.0), no U+0000
/// ([MQTT-1.5.3-2] 3.1.1 / [MQTT-1.5.4-2] 5.0), at most 65,535 bytes ([MQTT-4.7.3-3]), and not
/// empty ([MQTT-4.7.3-1]), except the name [`TopicName::empty_for_alias`] gives for a 5.0 PUBLISH
/// that names its topic by a Topic Alias.
///
/// Decoding checks a topic name while it reads it, and encoding does not check it again.
///
/// ```
/// use mqtt_wire::{TopicError, TopicName};
///
/// let topic = TopicName::try_from("sensors/17/temperature")?;
/// assert_eq!(topic, "sensors/17/temperature");
/// assert_eq!(TopicName::try_from("sensors/+"), Err(TopicError::WildcardInTopicName));
/// assert_eq!(TopicName::try_from(""), Err(TopicError::EmptyTopicName));
/// # Ok::<(), TopicError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TopicName<B: Buffer = Bytes>(Str<B>);

/// The rules of a topic name other than emptiness.
#[inline]
pub(super) fn check(name: &str) -> Result<(), TopicError> {
    if name.len() > usize::from(u16::MAX) {
        return Err(TopicError::TooLong(name.len())); // [MQTT-4.7.3-3]
    }
    // [MQTT-3.3.2-2], [MQTT-4.7.0-1] (5.0) / [MQTT-4.7.1-1] (3.1.1); [MQTT-1.5.4-2] (5.0) /
    // [MQTT-1.5.3-2] (3.1.1)
    check_bytes(name.as_bytes(), StringKind::TopicName)
}

impl<B: Buffer> TopicName<B> {
    /// Checks `name`: not empty ([MQTT-4.7.3-1]), no wildcards ([MQTT-3.3.2-2]), no U+0000
    /// ([MQTT-1.5.4-2]), at most 65,535 bytes ([MQTT-4.7.3-3]).
    pub fn new(name: Str<B>) -> Result<Self, TopicError> {
        if name.is_empty() {
            return Err(TopicError::EmptyTopicName); // [MQTT-4.7.3-1]
        }
        check(&name)?;
        Ok(TopicName(name))
    }

    /// The empty topic name, which only a 5.0 PUBLISH carrying a Topic Alias may use (5.0
    /// §3.3.2.1): encoding it anywhere else is refused with
    /// [`EncodeError::EmptyTopicName`](crate::EncodeError::EmptyTopicName).
    pub fn empty_for_alias() -> Self {
        TopicName(Str::<B>::default())
    }
}

topic_type!(TopicName);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn topic_name_refuses_wildcards_mqtt_3_3_2_2_and_4_7_0_1() {
        for bad in ["a/+", "+", "#", "a/#", "a+b", "x#"] {
            assert_eq!(
                TopicName::try_from(bad),
                Err(TopicError::WildcardInTopicName),
                "{bad}"
            );
        }
    }

    #[test]
    fn topic_name_refuses_nul_mqtt_1_5_4_2() {
        assert_eq!(TopicName::try_from("a\0b"), Err(TopicError::NullCharacter));
        assert_eq!(
            TopicName::<&[u8]>::new("\0"),
            Err(TopicError::NullCharacter)
        );
    }

    #[test]
    fn topic_name_refuses_empty_mqtt_4_7_3_1() {
        assert_eq!(TopicName::try_from(""), Err(TopicError::EmptyTopicName));
        assert_eq!(
            TopicName::try_from(String::new()),
            Err(TopicError::EmptyTopicName)
        );
        let empty = TopicName::<Bytes>::empty_for_alias();
        assert!(empty.is_empty());
    }

    #[test]
    fn topic_name_length_mqtt_4_7_3_3() {
        let longest = "a".repeat(65_535);
        assert!(TopicName::try_from(longest.as_str()).is_ok());
        let long = "a".repeat(65_536);
        assert_eq!(TopicName::try_from(long), Err(TopicError::TooLong(65_536)));
    }

    #[test]
    fn topic_name_reads_as_str() {
        let t = TopicName::from_static("a/b").unwrap();
        assert_eq!(t, "a/b");
        assert_eq!(&*t, "a/b");
        assert_eq!(t.as_ref() as &str, "a/b");
        assert_eq!(t.to_string(), "a/b");
        assert_eq!(alloc::format!("{t:?}"), "\"a/b\"");
        let borrowed = TopicName::<&[u8]>::new("$SYS/x").unwrap();
        assert_eq!(borrowed, "$SYS/x");
        assert_eq!(
            TopicName::try_from(ByteString::from_static("é/ü")).unwrap(),
            "é/ü"
        );
    }
}
