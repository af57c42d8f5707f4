//! The property set of each MQTT 5.0 packet: which properties it allows, typed accessors over
//! the validated property block, and a builder.
//!
//! A decoded packet keeps its property block as the bytes that arrived (shared with the frame),
//! checked once against every rule when it was decoded; the accessors read the values out of it
//! on demand. That keeps packets small (a `Publish<Bytes>` is 104 bytes whatever properties it
//! carries), makes decoding User Properties allocation-free, and makes re-encoding a copy. New
//! property sets are made with the builder, which checks the same rules.
//!
//! On 3.1.1 every set is empty; encoding a non-empty set for 3.1.1 is an error.

use super::fields::Field;
use super::{PropertyId, PropertyIter, PropertySet, SubscriptionIdentifiers, UserProperties};
use super::{ShownBinary, ShownProperty};
use crate::buffer::Buffer;
use crate::codec::write::{Counter, Sink};
use crate::error::EncodeError;
use crate::types::QoS;
use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use bytestring::ByteString;
use core::fmt;

/// A getter's value, for `Display`: whether it is present, and how it is written.
trait Present {
    fn is_present(&self) -> bool;
    fn show(&self, id: PropertyId, f: &mut fmt::Formatter<'_>) -> fmt::Result;
}

macro_rules! present_as_debug {
    ($($t:ty),*) => {$(
        impl Present for Option<$t> {
            fn is_present(&self) -> bool {
                self.is_some()
            }
            fn show(&self, _: PropertyId, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Some(v) => fmt::Debug::fmt(v, f),
                    None => Ok(()),
                }
            }
        }
    )*};
}

present_as_debug!(bool, u16, u32, QoS, &str);

impl Present for Option<&[u8]> {
    fn is_present(&self) -> bool {
        self.is_some()
    }
    fn show(&self, id: PropertyId, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Some(v) => fmt::Debug::fmt(&ShownBinary(id, v), f),
            None => Ok(()),
        }
    }
}

impl Present for UserProperties<'_> {
    fn is_present(&self) -> bool {
        self.clone().next().is_some()
    }
    fn show(&self, _: PropertyId, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

impl Present for SubscriptionIdentifiers<'_> {
    fn is_present(&self) -> bool {
        self.clone().next().is_some()
    }
    fn show(&self, _: PropertyId, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone()).finish()
    }
}

macro_rules! property_set {
    (
        $(#[$meta:meta])*
        $name:ident / $builder:ident repeatable [$($rep:ident),*] {
            $( $(#[$fmeta:meta])* $field:ident : $bty:ty => $gty:ty = $id:ident, )*
        }
    ) => {
        $(#[$meta])*
        ///
        /// Holds the validated property block; read it with the accessors or [`Self::iter`],
        /// make one with [`Self::builder`]. Accessors walk the block (a few properties at most);
        /// the string accessors check UTF-8 again on the way out, since the standard library
        /// offers no safe unchecked conversion and this crate forbids `unsafe`.
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub struct $name<B: Buffer = Bytes> {
            raw: B,
        }

        impl<B: Buffer> Default for $name<B> {
            fn default() -> Self {
                $name { raw: B::default() }
            }
        }

        impl<B: Buffer> $name<B> {
            /// True when no property is set.
            #[inline]
            pub fn is_empty(&self) -> bool {
                self.raw.as_ref().is_empty()
            }

            /// The encoded properties, without the Property Length.
            pub fn as_bytes(&self) -> &[u8] {
                self.raw.as_ref()
            }

            /// Every property, in the order it was encoded.
            pub fn iter(&self) -> PropertyIter<'_> {
                PropertyIter::new(self.raw.as_ref())
            }

            /// The values, in a builder: to change some and build a new set.
            pub fn to_builder(&self) -> $builder {
                $builder {
                    $( $field: <$bty as Field>::own(self.$field()), )*
                }
            }

            $(
                $(#[$fmeta])*
                pub fn $field(&self) -> $gty {
                    <$bty as Field>::get(self.iter(), PropertyId::$id)
                }
            )*
        }

        impl $name<Bytes> {
            #[doc = concat!("An empty [`", stringify!($builder), "`]; fill in its fields and call `build`.")]
            pub fn builder() -> $builder {
                $builder::default()
            }

            /// The same properties in storage of their own (for example, to keep the properties of
            /// a packet decoded from a borrowed slice).
            pub fn copy_from<C: Buffer>(other: &$name<C>) -> Self {
                $name { raw: Bytes::copy_from_slice(other.as_bytes()) }
            }
        }

        /// The properties in wire order; Authentication Data by its length only, other
        /// binary data by its length and first bytes.
        impl<B: Buffer> fmt::Debug for $name<B> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.iter().map(|(id, value)| ShownProperty(id, value)))
                    .finish()
            }
        }

        /// Only the properties present, as `{name: value, ...}`; binary data as in `Debug`.
        impl<B: Buffer> fmt::Display for $name<B> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut sep = "";
                f.write_str("{")?;
                $(
                    let value = self.$field();
                    if Present::is_present(&value) {
                        write!(f, "{}{}: ", sep, stringify!($field))?;
                        Present::show(&value, PropertyId::$id, f)?;
                        sep = ", ";
                    }
                )*
                let _ = sep;
                f.write_str("}")
            }
        }

        impl<B: Buffer> PropertySet<B> for $name<B> {
            const ALLOWED: u64 = 0 $( | PropertyId::$id.bit() )*;
            const REPEATABLE: u64 = 0 $( | PropertyId::$rep.bit() )*;

            #[inline]
            fn from_validated(raw: B) -> Self {
                $name { raw }
            }

            #[inline]
            fn raw(&self) -> &[u8] {
                self.raw.as_ref()
            }
        }

        #[doc = concat!("The values of a new [`", stringify!($name), "`]: set the fields, then call [`", stringify!($builder), "::build`].")]
        #[derive(Clone, Default, PartialEq, Eq)]
        pub struct $builder {
            $( $(#[$fmeta])* pub $field: $bty, )*
        }

        /// The fields; Authentication Data by its length only, other binary data by its
        /// length and first bytes.
        impl fmt::Debug for $builder {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($builder))
                    $( .field(stringify!($field), &self.$field.shown(PropertyId::$id)) )*
                    .finish()
            }
        }

        impl $builder {
            /// True when no property is set.
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_absent() )*
            }

            /// Checks every value (ranges, U+0000 in strings, a Response Topic without
            /// wildcards, strings and binaries of at most 65,535 bytes, Authentication Data only
            /// with an Authentication Method) and encodes them, in field order. A set longer than
            /// a Property Length can count (268,435,455 bytes) is
            /// [`EncodeError::PacketTooLarge`].
            pub fn build(&self) -> Result<$name<Bytes>, EncodeError> {
                let mut counter = Counter::default();
                self.write(&mut counter)?;
                // The Property Length is a Variable Byte Integer.
                let mut buf = BytesMut::with_capacity(counter.len_within(crate::codec::varint::MAX)?);
                self.write(&mut buf)?;
                let seen = PropertyIter::new(&buf).fold(0, |seen, (id, _)| seen | id.bit());
                super::check_together(seen)
                    .map_err(|_| EncodeError::InvalidPropertyValue(PropertyId::AuthenticationData))?;
                debug_assert!(
                    super::validate(
                        &buf,
                        <$name as PropertySet<Bytes>>::ALLOWED,
                        <$name as PropertySet<Bytes>>::REPEATABLE,
                        crate::types::PacketType::Publish,
                    )
                    .is_ok()
                );
                Ok($name { raw: buf.freeze() })
            }

            fn write<S: Sink>(&self, s: &mut S) -> Result<(), EncodeError> {
                $( self.$field.write(PropertyId::$id, s)?; )*
                Ok(())
            }
        }
    };
}

property_set! {
    /// Properties of CONNECT (§3.1.2.11).
    ConnectProperties / ConnectPropertiesBuilder repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: Seconds the session lives after the connection closes; absent = 0, `0xFFFFFFFF` = never expires.
        session_expiry_interval: Option<u32> => Option<u32> = SessionExpiryInterval,
        /// `0x21` ReceiveMaximum: QoS 1/2 publications the client processes at once; absent = 65,535; never 0.
        receive_maximum: Option<u16> => Option<u16> = ReceiveMaximum,
        /// `0x27` MaximumPacketSize: Largest packet the client accepts; absent = no limit; never 0.
        maximum_packet_size: Option<u32> => Option<u32> = MaximumPacketSize,
        /// `0x22` TopicAliasMaximum: Highest topic alias the client accepts; absent = 0.
        topic_alias_maximum: Option<u16> => Option<u16> = TopicAliasMaximum,
        /// `0x19` RequestResponseInformation: Ask for Response Information in CONNACK; absent = false.
        request_response_information: Option<bool> => Option<bool> = RequestResponseInformation,
        /// `0x17` RequestProblemInformation: Allow Reason String / User Property on failures; absent = true.
        request_problem_information: Option<bool> => Option<bool> = RequestProblemInformation,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<ByteString> => Option<&str> = AuthenticationMethod,
        /// `0x16` AuthenticationData: Enhanced authentication data; only with a method.
        authentication_data: Option<Bytes> => Option<&[u8]> = AuthenticationData,
    }
}

property_set! {
    /// Properties of the will message in CONNECT (§3.1.3.2).
    WillProperties / WillPropertiesBuilder repeatable [UserProperty] {
        /// `0x18` WillDelayInterval: Seconds to wait before publishing the will; absent = 0.
        will_delay_interval: Option<u32> => Option<u32> = WillDelayInterval,
        /// `0x01` PayloadFormatIndicator: `true`: the will payload is UTF-8.
        payload_format_indicator: Option<bool> => Option<bool> = PayloadFormatIndicator,
        /// `0x02` MessageExpiryInterval: Lifetime of the will message in seconds.
        message_expiry_interval: Option<u32> => Option<u32> = MessageExpiryInterval,
        /// `0x03` ContentType: Content type of the will payload.
        content_type: Option<ByteString> => Option<&str> = ContentType,
        /// `0x08` ResponseTopic: Topic name for a response.
        response_topic: Option<ByteString> => Option<&str> = ResponseTopic,
        /// `0x09` CorrelationData: Correlation data for a response.
        correlation_data: Option<Bytes> => Option<&[u8]> = CorrelationData,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
    }
}

property_set! {
    /// Properties of CONNACK (§3.2.2.3).
    ConnAckProperties / ConnAckPropertiesBuilder repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: The session expiry the server uses, if not the client's.
        session_expiry_interval: Option<u32> => Option<u32> = SessionExpiryInterval,
        /// `0x21` ReceiveMaximum: QoS 1/2 publications the server processes at once; absent = 65,535.
        receive_maximum: Option<u16> => Option<u16> = ReceiveMaximum,
        /// `0x24` MaximumQoS: Highest QoS the server supports (0 or 1); absent = 2.
        maximum_qos: Option<QoS> => Option<QoS> = MaximumQoS,
        /// `0x25` RetainAvailable: Whether the server supports retained messages; absent = true.
        retain_available: Option<bool> => Option<bool> = RetainAvailable,
        /// `0x27` MaximumPacketSize: Largest packet the server accepts; absent = no limit.
        maximum_packet_size: Option<u32> => Option<u32> = MaximumPacketSize,
        /// `0x12` AssignedClientIdentifier: Client identifier the server assigned.
        assigned_client_identifier: Option<ByteString> => Option<&str> = AssignedClientIdentifier,
        /// `0x22` TopicAliasMaximum: Highest topic alias the server accepts; absent = 0.
        topic_alias_maximum: Option<u16> => Option<u16> = TopicAliasMaximum,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<ByteString> => Option<&str> = ReasonString,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
        /// `0x28` WildcardSubscriptionAvailable: Whether wildcard subscriptions are supported; absent = true.
        wildcard_subscription_available: Option<bool> => Option<bool> = WildcardSubscriptionAvailable,
        /// `0x29` SubscriptionIdentifierAvailable: Whether subscription identifiers are supported; absent = true.
        subscription_identifier_available: Option<bool> => Option<bool> = SubscriptionIdentifierAvailable,
        /// `0x2A` SharedSubscriptionAvailable: Whether shared subscriptions are supported; absent = true.
        shared_subscription_available: Option<bool> => Option<bool> = SharedSubscriptionAvailable,
        /// `0x13` ServerKeepAlive: Keep alive the client must use instead of its own.
        server_keep_alive: Option<u16> => Option<u16> = ServerKeepAlive,
        /// `0x1A` ResponseInformation: Basis for response topics.
        response_information: Option<ByteString> => Option<&str> = ResponseInformation,
        /// `0x1C` ServerReference: Another server to use.
        server_reference: Option<ByteString> => Option<&str> = ServerReference,
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<ByteString> => Option<&str> = AuthenticationMethod,
        /// `0x16` AuthenticationData: Enhanced authentication data.
        authentication_data: Option<Bytes> => Option<&[u8]> = AuthenticationData,
    }
}

property_set! {
    /// Properties of PUBLISH (§3.3.2.3).
    PublishProperties / PublishPropertiesBuilder repeatable [UserProperty, SubscriptionIdentifier] {
        /// `0x01` PayloadFormatIndicator: `true`: the payload is UTF-8.
        payload_format_indicator: Option<bool> => Option<bool> = PayloadFormatIndicator,
        /// `0x02` MessageExpiryInterval: Lifetime of the message in seconds.
        message_expiry_interval: Option<u32> => Option<u32> = MessageExpiryInterval,
        /// `0x23` TopicAlias: Topic alias standing for the topic name; never 0.
        topic_alias: Option<u16> => Option<u16> = TopicAlias,
        /// `0x08` ResponseTopic: Topic name for a response (no wildcards).
        response_topic: Option<ByteString> => Option<&str> = ResponseTopic,
        /// `0x09` CorrelationData: Correlation data for a response.
        correlation_data: Option<Bytes> => Option<&[u8]> = CorrelationData,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
        /// `0x0B` SubscriptionIdentifier: Identifiers of the matching subscriptions (server to client only), in order.
        subscription_identifiers: Vec<u32> => SubscriptionIdentifiers<'_> = SubscriptionIdentifier,
        /// `0x03` ContentType: Content type of the payload.
        content_type: Option<ByteString> => Option<&str> = ContentType,
    }
}

property_set! {
    /// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK (§3.4.2.2 ...).
    AckProperties / AckPropertiesBuilder repeatable [UserProperty] {
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<ByteString> => Option<&str> = ReasonString,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
    }
}

property_set! {
    /// Properties of SUBSCRIBE (§3.8.2.1).
    SubscribeProperties / SubscribePropertiesBuilder repeatable [UserProperty] {
        /// `0x0B` SubscriptionIdentifier: Identifier for the subscriptions, 1 to 268,435,455.
        subscription_identifier: Option<u32> => Option<u32> = SubscriptionIdentifier,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
    }
}

property_set! {
    /// Properties of UNSUBSCRIBE (§3.10.2.1).
    UnsubscribeProperties / UnsubscribePropertiesBuilder repeatable [UserProperty] {
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
    }
}

property_set! {
    /// Properties of DISCONNECT (§3.14.2.2).
    DisconnectProperties / DisconnectPropertiesBuilder repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: New session expiry (client only, [MQTT-3.14.2-2]).
        session_expiry_interval: Option<u32> => Option<u32> = SessionExpiryInterval,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<ByteString> => Option<&str> = ReasonString,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
        /// `0x1C` ServerReference: Another server to use.
        server_reference: Option<ByteString> => Option<&str> = ServerReference,
    }
}

property_set! {
    /// Properties of AUTH (§3.15.2.2).
    AuthProperties / AuthPropertiesBuilder repeatable [UserProperty] {
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<ByteString> => Option<&str> = AuthenticationMethod,
        /// `0x16` AuthenticationData: Enhanced authentication data.
        authentication_data: Option<Bytes> => Option<&[u8]> = AuthenticationData,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<ByteString> => Option<&str> = ReasonString,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(ByteString, ByteString)> => UserProperties<'_> = UserProperty,
    }
}
