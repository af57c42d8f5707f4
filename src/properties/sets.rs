//! The property set of each MQTT 5.0 packet: which properties it allows, as typed fields.
//!
//! On 3.1.1 every set is empty; encoding a non-empty set for 3.1.1 is an error.

use super::fields::*;
use super::{PropertyId, PropertySet, Value};
use crate::buffer::{Buffer, Str};
use crate::codec::write::Sink;
use crate::error::EncodeError;
use crate::types::QoS;
use alloc::vec::Vec;
use bytes::Bytes;

/// A field's value when it is present, for `Display`.
trait Present {
    fn present(&self) -> Option<&dyn core::fmt::Debug>;
}

impl<T: core::fmt::Debug> Present for Option<T> {
    fn present(&self) -> Option<&dyn core::fmt::Debug> {
        self.as_ref().map(|v| v as &dyn core::fmt::Debug)
    }
}

impl<T: core::fmt::Debug> Present for Vec<T> {
    fn present(&self) -> Option<&dyn core::fmt::Debug> {
        (!self.is_empty()).then_some(self as &dyn core::fmt::Debug)
    }
}

macro_rules! property_set {
    (
        $(#[$meta:meta])*
        $name:ident repeatable [$($rep:ident),*] {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $id:ident as $kind:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name<B: Buffer = Bytes> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<B: Buffer> Default for $name<B> {
            fn default() -> Self {
                $name { $( $field: Default::default(), )* }
            }
        }

        impl<B: Buffer> $name<B> {
            /// True when no property is set.
            pub fn is_empty(&self) -> bool {
                true $( && $kind::is_empty(&self.$field) )*
            }
        }

        /// Only the properties present, as `{name: value, ...}`.
        impl<B: Buffer> core::fmt::Display for $name<B> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                let mut first = true;
                f.write_str("{")?;
                $(
                    if let Some(value) = Present::present(&self.$field) {
                        let sep = if first { "" } else { ", " };
                        first = false;
                        write!(f, "{}{}: {:?}", sep, stringify!($field), value)?;
                    }
                )*
                let _ = first;
                f.write_str("}")
            }
        }

        impl<B: Buffer> PropertySet<B> for $name<B> {
            const ALLOWED: u64 = 0 $( | PropertyId::$id.bit() )*;
            const REPEATABLE: u64 = 0 $( | PropertyId::$rep.bit() )*;

            fn set(&mut self, id: PropertyId, value: Value<B>) {
                match id {
                    $( PropertyId::$id => $kind::set(&mut self.$field, value), )*
                    _ => {}
                }
            }

            fn write<S: Sink>(&self, s: &mut S) -> Result<(), EncodeError> {
                $( $kind::write(&self.$field, PropertyId::$id, s)?; )*
                Ok(())
            }

            fn is_empty(&self) -> bool {
                $name::is_empty(self)
            }
        }
    };
}
property_set! {
    /// Properties of CONNECT (§3.1.2.11).
    ConnectProperties repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: Seconds the session lives after the connection closes; absent = 0, `0xFFFFFFFF` = never expires.
        session_expiry_interval: Option<u32> = SessionExpiryInterval as four,
        /// `0x21` ReceiveMaximum: QoS 1/2 publications the client processes at once; absent = 65,535; never 0.
        receive_maximum: Option<u16> = ReceiveMaximum as two,
        /// `0x27` MaximumPacketSize: Largest packet the client accepts; absent = no limit; never 0.
        maximum_packet_size: Option<u32> = MaximumPacketSize as four,
        /// `0x22` TopicAliasMaximum: Highest topic alias the client accepts; absent = 0.
        topic_alias_maximum: Option<u16> = TopicAliasMaximum as two,
        /// `0x19` RequestResponseInformation: Ask for Response Information in CONNACK; absent = false.
        request_response_information: Option<bool> = RequestResponseInformation as flag,
        /// `0x17` RequestProblemInformation: Allow Reason String / User Property on failures; absent = true.
        request_problem_information: Option<bool> = RequestProblemInformation as flag,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<Str<B>> = AuthenticationMethod as string,
        /// `0x16` AuthenticationData: Enhanced authentication data; only with a method.
        authentication_data: Option<B> = AuthenticationData as binary,
    }
}

property_set! {
    /// Properties of the will message in CONNECT (§3.1.3.2).
    WillProperties repeatable [UserProperty] {
        /// `0x18` WillDelayInterval: Seconds to wait before publishing the will; absent = 0.
        will_delay_interval: Option<u32> = WillDelayInterval as four,
        /// `0x01` PayloadFormatIndicator: `true`: the will payload is UTF-8.
        payload_format_indicator: Option<bool> = PayloadFormatIndicator as flag,
        /// `0x02` MessageExpiryInterval: Lifetime of the will message in seconds.
        message_expiry_interval: Option<u32> = MessageExpiryInterval as four,
        /// `0x03` ContentType: Content type of the will payload.
        content_type: Option<Str<B>> = ContentType as string,
        /// `0x08` ResponseTopic: Topic name for a response.
        response_topic: Option<Str<B>> = ResponseTopic as string,
        /// `0x09` CorrelationData: Correlation data for a response.
        correlation_data: Option<B> = CorrelationData as binary,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
    }
}

property_set! {
    /// Properties of CONNACK (§3.2.2.3).
    ConnAckProperties repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: The session expiry the server uses, if not the client's.
        session_expiry_interval: Option<u32> = SessionExpiryInterval as four,
        /// `0x21` ReceiveMaximum: QoS 1/2 publications the server processes at once; absent = 65,535.
        receive_maximum: Option<u16> = ReceiveMaximum as two,
        /// `0x24` MaximumQoS: Highest QoS the server supports (0 or 1); absent = 2.
        maximum_qos: Option<QoS> = MaximumQoS as qos,
        /// `0x25` RetainAvailable: Whether the server supports retained messages; absent = true.
        retain_available: Option<bool> = RetainAvailable as flag,
        /// `0x27` MaximumPacketSize: Largest packet the server accepts; absent = no limit.
        maximum_packet_size: Option<u32> = MaximumPacketSize as four,
        /// `0x12` AssignedClientIdentifier: Client identifier the server assigned.
        assigned_client_identifier: Option<Str<B>> = AssignedClientIdentifier as string,
        /// `0x22` TopicAliasMaximum: Highest topic alias the server accepts; absent = 0.
        topic_alias_maximum: Option<u16> = TopicAliasMaximum as two,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<Str<B>> = ReasonString as string,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
        /// `0x28` WildcardSubscriptionAvailable: Whether wildcard subscriptions are supported; absent = true.
        wildcard_subscription_available: Option<bool> = WildcardSubscriptionAvailable as flag,
        /// `0x29` SubscriptionIdentifierAvailable: Whether subscription identifiers are supported; absent = true.
        subscription_identifier_available: Option<bool> = SubscriptionIdentifierAvailable as flag,
        /// `0x2A` SharedSubscriptionAvailable: Whether shared subscriptions are supported; absent = true.
        shared_subscription_available: Option<bool> = SharedSubscriptionAvailable as flag,
        /// `0x13` ServerKeepAlive: Keep alive the client must use instead of its own.
        server_keep_alive: Option<u16> = ServerKeepAlive as two,
        /// `0x1A` ResponseInformation: Basis for response topics.
        response_information: Option<Str<B>> = ResponseInformation as string,
        /// `0x1C` ServerReference: Another server to use.
        server_reference: Option<Str<B>> = ServerReference as string,
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<Str<B>> = AuthenticationMethod as string,
        /// `0x16` AuthenticationData: Enhanced authentication data.
        authentication_data: Option<B> = AuthenticationData as binary,
    }
}

property_set! {
    /// Properties of PUBLISH (§3.3.2.3).
    PublishProperties repeatable [UserProperty, SubscriptionIdentifier] {
        /// `0x01` PayloadFormatIndicator: `true`: the payload is UTF-8.
        payload_format_indicator: Option<bool> = PayloadFormatIndicator as flag,
        /// `0x02` MessageExpiryInterval: Lifetime of the message in seconds.
        message_expiry_interval: Option<u32> = MessageExpiryInterval as four,
        /// `0x23` TopicAlias: Topic alias standing for the topic name; never 0.
        topic_alias: Option<u16> = TopicAlias as two,
        /// `0x08` ResponseTopic: Topic name for a response (no wildcards).
        response_topic: Option<Str<B>> = ResponseTopic as string,
        /// `0x09` CorrelationData: Correlation data for a response.
        correlation_data: Option<B> = CorrelationData as binary,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
        /// `0x0B` SubscriptionIdentifier: Identifiers of the matching subscriptions (server to client only), in order.
        subscription_identifiers: Vec<u32> = SubscriptionIdentifier as varints,
        /// `0x03` ContentType: Content type of the payload.
        content_type: Option<Str<B>> = ContentType as string,
    }
}

property_set! {
    /// Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK (§3.4.2.2 ...).
    AckProperties repeatable [UserProperty] {
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<Str<B>> = ReasonString as string,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
    }
}

property_set! {
    /// Properties of SUBSCRIBE (§3.8.2.1).
    SubscribeProperties repeatable [UserProperty] {
        /// `0x0B` SubscriptionIdentifier: Identifier for the subscriptions, 1 to 268,435,455.
        subscription_identifier: Option<u32> = SubscriptionIdentifier as varint,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
    }
}

property_set! {
    /// Properties of UNSUBSCRIBE (§3.10.2.1).
    UnsubscribeProperties repeatable [UserProperty] {
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
    }
}

property_set! {
    /// Properties of DISCONNECT (§3.14.2.2).
    DisconnectProperties repeatable [UserProperty] {
        /// `0x11` SessionExpiryInterval: New session expiry (client only, [MQTT-3.14.2-2]).
        session_expiry_interval: Option<u32> = SessionExpiryInterval as four,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<Str<B>> = ReasonString as string,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
        /// `0x1C` ServerReference: Another server to use.
        server_reference: Option<Str<B>> = ServerReference as string,
    }
}

property_set! {
    /// Properties of AUTH (§3.15.2.2).
    AuthProperties repeatable [UserProperty] {
        /// `0x15` AuthenticationMethod: Enhanced authentication method.
        authentication_method: Option<Str<B>> = AuthenticationMethod as string,
        /// `0x16` AuthenticationData: Enhanced authentication data.
        authentication_data: Option<B> = AuthenticationData as binary,
        /// `0x1F` ReasonString: Human-readable diagnostic.
        reason_string: Option<Str<B>> = ReasonString as string,
        /// `0x26` UserProperty: User Properties, in order.
        user_properties: Vec<(Str<B>, Str<B>)> = UserProperty as pairs,
    }
}
