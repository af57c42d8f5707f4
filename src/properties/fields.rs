//! How each kind of property field is stored, written and checked. The property-set macro in
//! `sets.rs` names one of these modules per field.

use super::{
    PropertyId, PropertyIter, PropertyValue, SubscriptionIdentifiers, UserProperties, WireType,
    check_int,
};
use crate::buffer::Buffer;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};

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

/// The value of the first property `id` that is an integer.
fn int(mut it: PropertyIter<'_>, id: PropertyId) -> Option<u32> {
    it.find_map(|(i, v)| match v {
        PropertyValue::Int(v) if i == id => Some(v),
        _ => None,
    })
}

/// A Byte property that is 0 or 1, stored as `Option<bool>`.
pub(crate) mod flag {
    use super::*;
    pub(crate) fn own(v: Option<bool>) -> Option<bool> {
        v
    }
    pub(crate) fn get(it: PropertyIter<'_>, id: PropertyId) -> Option<bool> {
        int(it, id).map(|v| v == 1)
    }
    pub(crate) fn write<S: Sink>(
        f: &Option<bool>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = *f {
            s.put_u8(id as u8);
            s.put_u8(v as u8);
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &Option<bool>) -> bool {
        f.is_none()
    }
}

/// Maximum QoS: a Byte that is 0 or 1, stored as `Option<QoS>`.
pub(crate) mod qos {
    use super::*;
    pub(crate) fn own(v: Option<QoS>) -> Option<QoS> {
        v
    }
    pub(crate) fn get(it: PropertyIter<'_>, id: PropertyId) -> Option<QoS> {
        int(it, id).and_then(|v| QoS::from_bits(v as u8))
    }
    use crate::types::QoS;
    pub(crate) fn write<S: Sink>(
        f: &Option<QoS>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = *f {
            encode_check(id, v as u32)?;
            s.put_u8(id as u8);
            s.put_u8(v as u8);
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &Option<QoS>) -> bool {
        f.is_none()
    }
}

/// A Two Byte Integer property.
pub(crate) mod two {
    use super::*;
    pub(crate) fn own(v: Option<u16>) -> Option<u16> {
        v
    }
    pub(crate) fn get(it: PropertyIter<'_>, id: PropertyId) -> Option<u16> {
        int(it, id).map(|v| v as u16)
    }
    pub(crate) fn write<S: Sink>(
        f: &Option<u16>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = *f {
            if S::CHECKS {
                encode_check(id, v.into())?;
            }
            s.put_u8(id as u8);
            s.put_u16(v);
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &Option<u16>) -> bool {
        f.is_none()
    }
}

/// A Four Byte Integer property.
pub(crate) mod four {
    use super::*;
    pub(crate) fn own(v: Option<u32>) -> Option<u32> {
        v
    }
    pub(crate) fn get(it: PropertyIter<'_>, id: PropertyId) -> Option<u32> {
        int(it, id)
    }
    pub(crate) fn write<S: Sink>(
        f: &Option<u32>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = *f {
            if S::CHECKS {
                encode_check(id, v)?;
            }
            s.put_u8(id as u8);
            s.put_u32(v);
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &Option<u32>) -> bool {
        f.is_none()
    }
}

/// A Variable Byte Integer property that appears at most once.
pub(crate) mod varint {
    use super::*;
    pub(crate) fn own(v: Option<u32>) -> Option<u32> {
        v
    }
    pub(crate) fn get(it: PropertyIter<'_>, id: PropertyId) -> Option<u32> {
        int(it, id)
    }
    pub(crate) fn write<S: Sink>(
        f: &Option<u32>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = *f {
            encode_check(id, v)?;
            s.put_u8(id as u8);
            s.put_varint(v)?;
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &Option<u32>) -> bool {
        f.is_none()
    }
}

/// A Variable Byte Integer property that may repeat, kept in order.
pub(crate) mod varints {
    use super::*;
    pub(crate) fn own(v: SubscriptionIdentifiers<'_>) -> alloc::vec::Vec<u32> {
        v.collect()
    }
    pub(crate) fn get(it: PropertyIter<'_>, _: PropertyId) -> SubscriptionIdentifiers<'_> {
        SubscriptionIdentifiers(it)
    }
    pub(crate) fn write<S: Sink>(f: &[u32], id: PropertyId, s: &mut S) -> Result<(), EncodeError> {
        for &v in f {
            encode_check(id, v)?;
            s.put_u8(id as u8);
            s.put_varint(v)?;
        }
        Ok(())
    }
    pub(crate) fn is_empty(f: &[u32]) -> bool {
        f.is_empty()
    }
}

/// A UTF-8 Encoded String property.
pub(crate) mod string {
    use super::*;
    pub(crate) fn own(v: Option<&str>) -> Option<bytestring::ByteString> {
        v.map(bytestring::ByteString::from)
    }
    pub(crate) fn get(mut it: PropertyIter<'_>, id: PropertyId) -> Option<&str> {
        it.find_map(|(i, v)| match v {
            PropertyValue::String(v) if i == id => Some(v),
            _ => None,
        })
    }
    pub(crate) fn write<T: core::ops::Deref<Target = str>, S: Sink>(
        f: &Option<T>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = f {
            if S::CHECKS && id == PropertyId::ResponseTopic {
                super::super::check_response_topic(v)?;
            }
            s.put_u8(id as u8);
            s.put_str(v)?;
        }
        Ok(())
    }
    pub(crate) fn is_empty<T>(f: &Option<T>) -> bool {
        f.is_none()
    }
}

/// A Binary Data property.
pub(crate) mod binary {
    use super::*;
    pub(crate) fn own(v: Option<&[u8]>) -> Option<bytes::Bytes> {
        v.map(bytes::Bytes::copy_from_slice)
    }
    pub(crate) fn get(mut it: PropertyIter<'_>, id: PropertyId) -> Option<&[u8]> {
        it.find_map(|(i, v)| match v {
            PropertyValue::Binary(v) if i == id => Some(v),
            _ => None,
        })
    }
    pub(crate) fn write<B: Buffer, S: Sink>(
        f: &Option<B>,
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        if let Some(v) = f {
            s.put_u8(id as u8);
            s.put_binary(v.as_ref())?;
        }
        Ok(())
    }
    pub(crate) fn is_empty<T>(f: &Option<T>) -> bool {
        f.is_none()
    }
}

/// User Properties: UTF-8 String Pairs, any number, order kept ([MQTT-3.3.2-18]).
pub(crate) mod pairs {
    use super::*;
    pub(crate) fn own(
        v: UserProperties<'_>,
    ) -> alloc::vec::Vec<(bytestring::ByteString, bytestring::ByteString)> {
        v.map(|(k, v)| (k.into(), v.into())).collect()
    }
    pub(crate) fn get(it: PropertyIter<'_>, _: PropertyId) -> UserProperties<'_> {
        UserProperties(it)
    }
    pub(crate) fn write<T: core::ops::Deref<Target = str>, S: Sink>(
        f: &[(T, T)],
        id: PropertyId,
        s: &mut S,
    ) -> Result<(), EncodeError> {
        for (k, v) in f {
            s.put_u8(id as u8);
            s.put_str(k)?;
            s.put_str(v)?;
        }
        Ok(())
    }
    pub(crate) fn is_empty<T>(f: &[T]) -> bool {
        f.is_empty()
    }
}
