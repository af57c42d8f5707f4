//! CONNECT (§3.1): the client's first packet, in the 3.1, 3.1.1 or 5.0 layout.

use crate::buffer::{Buffer, Str};
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::debug::{Redacted, Shortened};
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, ConnectProperties, WillProperties};
use crate::topic::{StringKind, TopicName};
use crate::types::{QoS, Version};
use bytes::Bytes;
use core::fmt;

/// CONNECT: a client asks to open a session.
///
/// CONNECT announces its own protocol version, so it decodes whatever version the decoder was
/// set to, and [`Connect::protocol`] tells which it was.
///
/// A 5.0 CONNECT with a will, credentials and properties:
///
/// ```
/// use mqtt_wire::{
///     ByteString, Bytes, BytesMut, Connect, ConnectPropertiesBuilder, Packet, QoS, TopicName, Version, Will,
///     WillPropertiesBuilder,
/// };
///
/// let will = Will {
///     qos: QoS::AtLeastOnce,
///     retain: true,
///     properties: WillPropertiesBuilder {
///         will_delay_interval: Some(30),
///         ..Default::default()
///     }
///     .build()?,
///     ..Will::new(
///         TopicName::try_from("clients/sensor-17/status")?,
///         Bytes::from_static(b"offline"),
///     )
/// };
/// let connect = Connect {
///     properties: ConnectPropertiesBuilder {
///         session_expiry_interval: Some(3600),
///         receive_maximum: Some(32),
///         ..Default::default()
///     }
///     .build()?,
///     will: Some(will),
///     username: Some(ByteString::from_static("sensor-17")),
///     password: Some(Bytes::from_static(b"secret")),
///     ..Connect::new(Version::V5, ByteString::from_static("sensor-17"), 60)
/// };
/// let mut buf = BytesMut::new();
/// Packet::from(connect).encode(Version::V5, &mut buf)?;
/// assert_eq!(&buf[2..9], b"\x00\x04MQTT\x05"); // protocol name and level
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows the password by its length only, and the will payload by its length and first
/// bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Connect<B: Buffer = Bytes> {
    /// The protocol version from the protocol name and level.
    pub protocol: Version,
    /// Clean Session (3.1.1) / Clean Start (5.0).
    pub clean_start: bool,
    /// Keep alive in seconds; 0 turns it off.
    pub keep_alive: u16,
    /// 5.0 properties; empty before 5.0.
    pub properties: ConnectProperties<B>,
    /// The client identifier; may be empty ([MQTT-3.1.3-6]).
    pub client_id: Str<B>,
    /// The will message, if the Will Flag is set.
    pub will: Option<Will<B>>,
    /// The user name, if its flag is set.
    pub username: Option<Str<B>>,
    /// The password (binary), if its flag is set.
    pub password: Option<B>,
}

/// The will message of a CONNECT.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Will<B: Buffer = Bytes> {
    /// Will QoS.
    pub qos: QoS,
    /// Will Retain.
    pub retain: bool,
    /// 5.0 will properties; empty before 5.0.
    pub properties: WillProperties<B>,
    /// The will topic (a topic name, [MQTT-3.1.3-10] 3.1.1 / [MQTT-3.1.3-11] 5.0); not empty
    /// ([MQTT-4.7.3-1]).
    pub topic: TopicName<B>,
    /// The will payload (binary).
    pub payload: B,
}

impl<B: Buffer> Will<B> {
    /// A will message on `topic`: QoS 0, not retained, no properties.
    pub fn new(topic: TopicName<B>, payload: B) -> Will<B> {
        Will {
            qos: QoS::AtMostOnce,
            retain: false,
            properties: WillProperties::default(),
            topic,
            payload,
        }
    }
}

impl<B: Buffer> fmt::Debug for Connect<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connect")
            .field("protocol", &self.protocol)
            .field("clean_start", &self.clean_start)
            .field("keep_alive", &self.keep_alive)
            .field("properties", &self.properties)
            .field("client_id", &self.client_id)
            .field("will", &self.will)
            .field("username", &self.username)
            .field(
                "password",
                &self.password.as_ref().map(|p| Redacted(p.as_ref().len())),
            )
            .finish()
    }
}

impl<B: Buffer> fmt::Debug for Will<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Will")
            .field("qos", &self.qos)
            .field("retain", &self.retain)
            .field("properties", &self.properties)
            .field("topic", &self.topic)
            .field("payload", &Shortened(self.payload.as_ref()))
            .finish()
    }
}

impl<B: Buffer> Connect<B> {
    /// A clean-start CONNECT for `protocol` with the given client identifier and keep alive,
    /// no will, credentials or properties.
    pub fn new(protocol: Version, client_id: Str<B>, keep_alive: u16) -> Connect<B> {
        Connect {
            protocol,
            clean_start: true,
            keep_alive,
            properties: ConnectProperties::default(),
            client_id,
            will: None,
            username: None,
            password: None,
        }
    }

    /// Parses the body; `minimal_length` says whether the fixed header wrote the remaining
    /// length in its shortest form, which 5.0 requires.
    pub(crate) fn read(r: &mut Reader<'_, B>, minimal_length: bool) -> Result<Self, DecodeError> {
        // [MQTT-3.1.2-1], [MQTT-3.1.2-2]: protocol name and level.
        let name = r.prefixed()?;
        let name_len = name.end - name.start;
        let level = r.u8()?;
        let is_name = |expected: &str| {
            name_len == expected.len() && r.bytes(name.clone()) == expected.as_bytes()
        };
        let protocol = if is_name("MQTT") {
            match level {
                4 => Version::V3_1_1,
                5 => Version::V5,
                _ => return Err(DecodeError::UnsupportedProtocolLevel(level)),
            }
        } else if is_name("MQIsdp") {
            match level {
                3 => Version::V3_1,
                _ => return Err(DecodeError::UnsupportedProtocolLevel(level)),
            }
        } else {
            return Err(DecodeError::InvalidProtocolName);
        };
        // [MQTT-1.5.5-1] (5.0): the fixed header was read before the version was known, so the
        // shortest-form rule for its remaining length is applied here, by the CONNECT's own
        // version (3.1.1 and 3.1 have no such rule).
        if protocol.is_v5() && !minimal_length {
            return Err(DecodeError::NonMinimalVarint);
        }
        let flags = r.u8()?;
        if flags & 0b1 != 0 {
            return Err(DecodeError::ConnectReservedFlag); // [MQTT-3.1.2-3]
        }
        let will_flag = flags & 0b100 != 0;
        let will_qos = (flags >> 3) & 0b11;
        let will_retain = flags & 0b10_0000 != 0;
        let password_flag = flags & 0b100_0000 != 0;
        let username_flag = flags & 0b1000_0000 != 0;
        // 3.1.1 [MQTT-3.1.2-13], [MQTT-3.1.2-14], [MQTT-3.1.2-15] /
        // 5.0 [MQTT-3.1.2-11], [MQTT-3.1.2-12], [MQTT-3.1.2-13]
        if (!will_flag && (will_qos != 0 || will_retain)) || will_qos == 3 {
            return Err(DecodeError::InvalidWillFlags);
        }
        // [MQTT-3.1.2-22] (3.1.1): a password needs a user name; 5.0 dropped the rule.
        if password_flag && !username_flag && protocol != Version::V5 {
            return Err(DecodeError::PasswordWithoutUsername);
        }
        let keep_alive = r.u16()?;
        let properties: ConnectProperties<B> = if protocol.is_v5() {
            properties::read(r)?
        } else {
            ConnectProperties::default()
        };
        // [MQTT-3.1.3-1]: the payload fields come in order, each only if its flag is set;
        // [MQTT-3.1.3-3], [MQTT-3.1.3-4]: the client identifier is first and a UTF-8 string.
        let client_id = r.string(StringKind::Plain)?;
        let will = if will_flag {
            let properties = if protocol.is_v5() {
                properties::read(r)?
            } else {
                WillProperties::default()
            };
            // [MQTT-3.1.2-9]: will topic and payload present; the topic is a topic name.
            let topic = r.topic_name()?;
            if topic.is_empty() {
                return Err(DecodeError::EmptyTopicName); // [MQTT-4.7.3-1]
            }
            Some(Will {
                qos: QoS::from_bits(will_qos).unwrap_or_default(),
                retain: will_retain,
                properties,
                topic,
                payload: r.binary()?,
            })
        } else {
            None
        };
        // 3.1.1 [MQTT-3.1.2-18..21] / 5.0 [MQTT-3.1.2-16..19]: fields present exactly when
        // their flags say so; a missing one runs past the end, an extra one is left over.
        let username = if username_flag {
            Some(r.string(StringKind::Plain)?)
        } else {
            None
        };
        let password = if password_flag {
            Some(r.binary()?)
        } else {
            None
        };
        Ok(Connect {
            protocol,
            clean_start: flags & 0b10 != 0,
            keep_alive,
            properties,
            client_id,
            will,
            username,
            password,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        let v5 = version.is_v5();
        if S::CHECKS {
            if self.protocol != version {
                return Err(EncodeError::VersionMismatch {
                    packet: self.protocol,
                    encoder: version,
                });
            }
            if !v5 {
                let will_props = self.will.as_ref().is_some_and(|w| !w.properties.is_empty());
                if !self.properties.is_empty() || will_props {
                    return Err(EncodeError::NotInVersion {
                        what: "CONNECT properties",
                        version,
                    });
                }
                if self.password.is_some() && self.username.is_none() {
                    return Err(EncodeError::PasswordWithoutUsername); // [MQTT-3.1.2-22]
                }
                if self.client_id.is_empty() && !self.clean_start {
                    return Err(EncodeError::EmptyClientIdWithoutCleanSession); // [MQTT-3.1.3-7]
                }
            }
            if self.will.as_ref().is_some_and(|w| w.topic.is_empty()) {
                return Err(EncodeError::EmptyTopicName); // [MQTT-4.7.3-1]
            }
        }
        s.put_str(version.protocol_name())?;
        s.put_u8(version.level());
        let mut flags = (self.clean_start as u8) << 1;
        if let Some(will) = &self.will {
            flags |= 0b100 | (will.qos as u8) << 3 | (will.retain as u8) << 5;
        }
        flags |= (self.password.is_some() as u8) << 6 | (self.username.is_some() as u8) << 7;
        s.put_u8(flags);
        s.put_u16(self.keep_alive);
        if v5 {
            properties::write(&self.properties, s)?;
        }
        s.put_str(&self.client_id)?;
        if let Some(will) = &self.will {
            if v5 {
                properties::write(&will.properties, s)?;
            }
            // Checked when the `TopicName` was made or decoded.
            s.put_binary(will.topic.as_bytes())?;
            s.put_binary(will.payload.as_ref())?;
        }
        if let Some(username) = &self.username {
            s.put_str(username)?;
        }
        if let Some(password) = &self.password {
            s.put_binary(password.as_ref())?;
        }
        Ok(())
    }
}
