//! Changing a received PUBLISH's properties on the way to a subscriber, in one pass.
//!
//! A broker that forwards a message changes at most three properties per subscriber: the Topic
//! Alias (mappings belong to one connection, [MQTT-3.3.2-7], and the receiver's limit applies,
//! [MQTT-3.3.2-11]), the Subscription Identifiers (those of the receiver's matching
//! subscriptions, [MQTT-3.3.4-3]) and the Message Expiry Interval (lowered by the time the
//! message waited, [MQTT-3.3.2-6]). Everything else is forwarded unaltered ([MQTT-3.3.2-4],
//! [MQTT-3.3.2-17], [MQTT-3.3.2-20], ...). Going through
//! [`PublishPropertiesBuilder`](super::PublishPropertiesBuilder) would decode every value into
//! owned strings and encode them again; [`PublishPropertiesEdit`] copies the untouched entries
//! of the validated block as bytes, in their order, and appends the new values: one allocation.

use super::{PropertyId, PropertySet, PublishProperties, split_id, split_value};
use crate::buffer::Buffer;
use crate::codec::varint;
use crate::codec::write::Sink;
use crate::error::EncodeError;
use bytes::{Bytes, BytesMut};

/// Changes to a PUBLISH property set, applied by [`PublishPropertiesEdit::build`] in one pass
/// over the original block. Made by [`PublishProperties::edit`].
///
/// ```
/// use mqtt_wire::{ByteString, PublishPropertiesBuilder};
///
/// let received = PublishPropertiesBuilder {
///     message_expiry_interval: Some(60),
///     topic_alias: Some(4),
///     content_type: Some(ByteString::from_static("text/plain")),
///     ..Default::default()
/// }
/// .build()?;
/// let forwarded = received
///     .edit()
///     .topic_alias(None) // the publisher's alias means nothing on another connection
///     .message_expiry_interval(Some(55)) // five seconds spent in the broker
///     .subscription_identifiers(&[7])
///     .build()?;
/// assert_eq!(forwarded.topic_alias(), None);
/// assert_eq!(forwarded.message_expiry_interval(), Some(55));
/// assert_eq!(forwarded.subscription_identifiers().collect::<Vec<_>>(), [7]);
/// assert_eq!(forwarded.content_type(), Some("text/plain"));
/// # Ok::<(), mqtt_wire::EncodeError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use = "an edit does nothing until `build` is called"]
pub struct PublishPropertiesEdit<'a> {
    block: &'a [u8],
    topic_alias: Option<Option<u16>>,
    message_expiry_interval: Option<Option<u32>>,
    subscription_identifiers: Option<&'a [u32]>,
}

impl<B: Buffer> PublishProperties<B> {
    /// Starts an edit of this set: properties not changed through the edit are copied as they
    /// are, in their order.
    pub fn edit(&self) -> PublishPropertiesEdit<'_> {
        PublishPropertiesEdit {
            block: self.raw(),
            topic_alias: None,
            message_expiry_interval: None,
            subscription_identifiers: None,
        }
    }
}

impl<'a> PublishPropertiesEdit<'a> {
    /// Sets (`Some`) or removes (`None`) the Topic Alias.
    pub fn topic_alias(mut self, alias: Option<u16>) -> Self {
        self.topic_alias = Some(alias);
        self
    }

    /// Sets (`Some`) or removes (`None`) the Message Expiry Interval, in seconds.
    pub fn message_expiry_interval(mut self, seconds: Option<u32>) -> Self {
        self.message_expiry_interval = Some(seconds);
        self
    }

    /// Replaces every Subscription Identifier with `ids` (in this order; empty removes them).
    pub fn subscription_identifiers(mut self, ids: &'a [u32]) -> Self {
        self.subscription_identifiers = Some(ids);
        self
    }

    /// True when the edit replaces the property `id`.
    fn replaces(&self, id: PropertyId) -> bool {
        match id {
            PropertyId::TopicAlias => self.topic_alias.is_some(),
            PropertyId::MessageExpiryInterval => self.message_expiry_interval.is_some(),
            PropertyId::SubscriptionIdentifier => self.subscription_identifiers.is_some(),
            _ => false,
        }
    }

    /// The entries of the original block that the edit keeps, each as its encoded bytes.
    fn kept(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        let mut rest = self.block;
        core::iter::from_fn(move || {
            // The block was validated when it was decoded or built; should a split fail, the
            // walk ends there.
            let (id, after_id) = split_id(rest).ok().flatten()?;
            let (_, after) = split_value(id, after_id).ok().flatten()?;
            let entry = rest.get(..rest.len() - after.len())?;
            rest = after;
            Some((id, entry))
        })
        .filter(|&(id, _)| !self.replaces(id))
        .map(|(_, entry)| entry)
    }

    /// Writes the new values (after checking them, on the counting pass).
    fn write_new<S: Sink>(&self, s: &mut S) -> Result<(), EncodeError> {
        if let Some(Some(alias)) = self.topic_alias {
            if alias == 0 {
                return Err(EncodeError::TopicAliasZero); // [MQTT-3.3.2-8]
            }
            s.put_u8(PropertyId::TopicAlias as u8);
            s.put_u16(alias);
        }
        if let Some(Some(seconds)) = self.message_expiry_interval {
            s.put_u8(PropertyId::MessageExpiryInterval as u8);
            s.put_u32(seconds);
        }
        for &id in self.subscription_identifiers.unwrap_or_default() {
            // §3.3.2.3.8: 1 to 268,435,455.
            if id == 0 || id > varint::MAX {
                return Err(EncodeError::InvalidPropertyValue(
                    PropertyId::SubscriptionIdentifier,
                ));
            }
            s.put_u8(PropertyId::SubscriptionIdentifier as u8);
            s.put_varint(id)?;
        }
        Ok(())
    }

    /// The edited set: the kept entries in their original order, then the new values. One
    /// allocation (none when the result is empty). Refuses a Topic Alias of 0, a
    /// Subscription Identifier outside 1 to 268,435,455, and a set longer than a Property Length
    /// can count (268,435,455 bytes) with [`EncodeError::PacketTooLarge`].
    pub fn build(self) -> Result<PublishProperties<Bytes>, EncodeError> {
        let mut counter = crate::codec::write::Counter::default();
        self.write_new(&mut counter)?;
        for entry in self.kept() {
            counter.add(entry.len());
        }
        // The Property Length is a Variable Byte Integer.
        let len = counter.len_within(varint::MAX)?;
        if len == 0 {
            return Ok(PublishProperties::default());
        }
        let mut buf = BytesMut::with_capacity(len);
        for entry in self.kept() {
            buf.extend_from_slice(entry);
        }
        self.write_new(&mut buf)?;
        debug_assert_eq!(buf.len(), len);
        Ok(PublishProperties::from_validated(buf.freeze()))
    }
}

#[cfg(test)]
mod tests {
    use crate::error::EncodeError;
    use crate::properties::{PropertyId, PublishProperties, PublishPropertiesBuilder};
    use alloc::vec;
    use alloc::vec::Vec;
    use bytes::Bytes;
    use bytestring::ByteString;

    fn received() -> PublishProperties {
        PublishPropertiesBuilder {
            payload_format_indicator: Some(true),
            message_expiry_interval: Some(120),
            topic_alias: Some(3),
            response_topic: Some(ByteString::from_static("reply/here")),
            correlation_data: Some(Bytes::from_static(b"\x01\x02")),
            user_properties: vec![("a".into(), "1".into()), ("b".into(), "2".into())],
            subscription_identifiers: vec![1, 300],
            content_type: Some(ByteString::from_static("json")),
        }
        .build()
        .unwrap()
    }

    /// What the builder makes from the same values, for comparison (the builder writes in field
    /// order, the edit appends the changed values, so compare values, not bytes).
    fn values(p: &PublishProperties) -> PublishPropertiesBuilder {
        p.to_builder()
    }

    #[test]
    fn edit_changes_the_three_forwarding_properties_and_keeps_the_rest_mqtt_3_3_2_4() {
        let original = received();
        let forwarded = original
            .edit()
            .topic_alias(Some(9))
            .message_expiry_interval(Some(100))
            .subscription_identifiers(&[42])
            .build()
            .unwrap();
        let want = PublishPropertiesBuilder {
            topic_alias: Some(9),
            message_expiry_interval: Some(100),
            subscription_identifiers: vec![42],
            ..values(&original)
        };
        assert_eq!(values(&forwarded), want);
        // The kept entries stay in their order, the new ones come last.
        let ids: Vec<_> = forwarded.iter().map(|(id, _)| id).collect();
        use PropertyId::*;
        assert_eq!(
            ids,
            [
                PayloadFormatIndicator,
                ResponseTopic,
                CorrelationData,
                UserProperty,
                UserProperty,
                ContentType,
                TopicAlias,
                MessageExpiryInterval,
                SubscriptionIdentifier
            ]
        );
    }

    #[test]
    fn edit_removes_and_keeps() {
        let original = received();
        let removed = original
            .edit()
            .topic_alias(None)
            .message_expiry_interval(None)
            .subscription_identifiers(&[])
            .build()
            .unwrap();
        let want = PublishPropertiesBuilder {
            topic_alias: None,
            message_expiry_interval: None,
            subscription_identifiers: vec![],
            ..values(&original)
        };
        assert_eq!(values(&removed), want);
        // An edit that changes nothing copies the block unchanged.
        assert_eq!(original.edit().build().unwrap(), original);
        // Removing the only property gives the empty set.
        let alias_only = PublishPropertiesBuilder {
            topic_alias: Some(1),
            ..Default::default()
        }
        .build()
        .unwrap();
        let empty = alias_only.edit().topic_alias(None).build().unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn edit_refuses_what_the_builder_refuses_mqtt_3_3_2_8() {
        let original = received();
        assert_eq!(
            original.edit().topic_alias(Some(0)).build(),
            Err(EncodeError::TopicAliasZero)
        );
        for bad in [0, 268_435_456] {
            assert_eq!(
                original.edit().subscription_identifiers(&[1, bad]).build(),
                Err(EncodeError::InvalidPropertyValue(
                    PropertyId::SubscriptionIdentifier
                ))
            );
        }
        let max = original
            .edit()
            .subscription_identifiers(&[268_435_455])
            .build()
            .unwrap();
        assert_eq!(
            max.subscription_identifiers().collect::<Vec<_>>(),
            [268_435_455]
        );
    }

    #[test]
    fn edit_works_on_a_borrowed_set() {
        let original = received();
        let borrowed: PublishProperties<&[u8]> =
            crate::properties::PropertySet::from_validated(original.as_bytes());
        let forwarded = borrowed.edit().topic_alias(Some(2)).build().unwrap();
        assert_eq!(forwarded.topic_alias(), Some(2));
        assert_eq!(forwarded.content_type(), Some("json"));
    }
}
