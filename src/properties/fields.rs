//! How each kind of property field is read from a validated block, kept in a builder, checked
//! and written: the [`Field`] trait, implemented by the builder's field types.

use super::{
    PropertyId, PropertyIter, PropertyValue, SubscriptionIdentifiers, UserProperties, WireType,
    check_int,
};
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::types::QoS;
use alloc::vec::Vec;
use bytes::Bytes;
use bytestring::ByteString;

/// A builder field's type, and what an accessor of the validated block returns for it.
pub(crate) trait Field: Sized + core::fmt::Debug {
    /// The accessor's type: borrowed from the block.
    type Get<'a>;
    /// Reads property `id` from a validated block.
    fn get(it: PropertyIter<'_>, id: PropertyId) -> Self::Get<'_>;
    /// The accessor's value as the builder's.
    fn own(value: Self::Get<'_>) -> Self;
    /// Writes the property (nothing when absent); the counting pass also checks the value.
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError>;
    /// True when the field holds no property.
    fn is_absent(&self) -> bool;
    /// The field as the builder's `Debug` shows it: as it is, but binary data shortened.
    fn shown(&self, _id: PropertyId) -> impl core::fmt::Debug + '_ {
        self
    }
}

/// Checks an integer the way decoding does, with the encoder's error.
fn encode_check(id: PropertyId, v: u32) -> Result<(), EncodeError> {
    // A Variable Byte Integer property stops at 268,435,455 (§1.5.5): for the Subscription
    // Identifier, the only one, a larger value is out of its range 1 to 268,435,455
    // (§3.3.2.3.8, §3.8.2.1.2), not a packet that is too large.
    if id.wire_type() == WireType::Varint && v > crate::codec::varint::MAX {
        return Err(EncodeError::InvalidPropertyValue(id));
    }
    check_int(id, v).map_err(|e| match e {
        DecodeError::TopicAliasZero => EncodeError::TopicAliasZero,
        _ => EncodeError::InvalidPropertyValue(id),
    })
}

/// The value of an integer property as the builder holds it.
pub(crate) trait IntValue: Copy + core::fmt::Debug {
    /// The value read from the block (validated, so always in range).
    fn from_u32(v: u32) -> Option<Self>;
    /// The value as written.
    fn to_u32(self) -> u32;
}

impl IntValue for bool {
    fn from_u32(v: u32) -> Option<bool> {
        Some(v == 1)
    }
    fn to_u32(self) -> u32 {
        u32::from(self)
    }
}

impl IntValue for QoS {
    fn from_u32(v: u32) -> Option<QoS> {
        QoS::from_bits(u8::try_from(v).ok()?)
    }
    fn to_u32(self) -> u32 {
        self as u32
    }
}

impl IntValue for u16 {
    fn from_u32(v: u32) -> Option<u16> {
        u16::try_from(v).ok()
    }
    fn to_u32(self) -> u32 {
        u32::from(self)
    }
}

impl IntValue for u32 {
    fn from_u32(v: u32) -> Option<u32> {
        Some(v)
    }
    fn to_u32(self) -> u32 {
        self
    }
}

/// An integer property that appears at most once, laid out as its identifier's wire type says.
impl<T: IntValue> Field for Option<T> {
    type Get<'a> = Option<T>;
    fn get(mut it: PropertyIter<'_>, id: PropertyId) -> Option<T> {
        it.find_map(|(i, v)| match v {
            PropertyValue::Int(v) if i == id => T::from_u32(v),
            _ => None,
        })
    }
    fn own(value: Option<T>) -> Option<T> {
        value
    }
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        let Some(v) = *self else { return Ok(()) };
        let v = v.to_u32();
        if S::CHECKS {
            encode_check(id, v)?;
        }
        s.put_u8(id as u8);
        // The checks above keep Byte and Two Byte values in range.
        match id.wire_type() {
            WireType::Byte => s.put_u8(v as u8),
            WireType::TwoByte => s.put_u16(v as u16),
            WireType::FourByte => s.put_u32(v),
            _ => s.put_varint(v)?,
        }
        Ok(())
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

/// Subscription Identifiers: a Variable Byte Integer that may repeat, kept in order.
impl Field for Vec<u32> {
    type Get<'a> = SubscriptionIdentifiers<'a>;
    fn get(it: PropertyIter<'_>, _: PropertyId) -> SubscriptionIdentifiers<'_> {
        SubscriptionIdentifiers(it)
    }
    fn own(value: SubscriptionIdentifiers<'_>) -> Vec<u32> {
        value.collect()
    }
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        self.iter().try_for_each(|&v| Some(v).write(id, s))
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

/// A UTF-8 Encoded String property.
impl Field for Option<ByteString> {
    type Get<'a> = Option<&'a str>;
    fn get(mut it: PropertyIter<'_>, id: PropertyId) -> Option<&str> {
        it.find_map(|(i, v)| match v {
            PropertyValue::String(v) if i == id => Some(v),
            _ => None,
        })
    }
    fn own(value: Option<&str>) -> Option<ByteString> {
        value.map(ByteString::from)
    }
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        let Some(v) = self else { return Ok(()) };
        if S::CHECKS && id == PropertyId::ResponseTopic {
            super::check_response_topic(v)?;
        }
        s.put_u8(id as u8);
        s.put_str(v)
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

/// A Binary Data property.
impl Field for Option<Bytes> {
    type Get<'a> = Option<&'a [u8]>;
    fn get(mut it: PropertyIter<'_>, id: PropertyId) -> Option<&[u8]> {
        it.find_map(|(i, v)| match v {
            PropertyValue::Binary(v) if i == id => Some(v),
            _ => None,
        })
    }
    fn own(value: Option<&[u8]>) -> Option<Bytes> {
        value.map(Bytes::copy_from_slice)
    }
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        let Some(v) = self else { return Ok(()) };
        s.put_u8(id as u8);
        s.put_binary(v)
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
    fn shown(&self, id: PropertyId) -> impl core::fmt::Debug + '_ {
        self.as_ref().map(|v| super::ShownBinary(id, v))
    }
}

/// User Properties: UTF-8 String Pairs, any number, order kept ([MQTT-3.3.2-18]).
impl Field for Vec<(ByteString, ByteString)> {
    type Get<'a> = UserProperties<'a>;
    fn get(it: PropertyIter<'_>, _: PropertyId) -> UserProperties<'_> {
        UserProperties(it)
    }
    fn own(value: UserProperties<'_>) -> Self {
        value.map(|(k, v)| (k.into(), v.into())).collect()
    }
    fn write<S: Sink>(&self, id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        for (k, v) in self {
            s.put_u8(id as u8);
            s.put_str(k)?;
            s.put_str(v)?;
        }
        Ok(())
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}
