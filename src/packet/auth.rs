//! AUTH (§3.15, 5.0 only): an enhanced authentication exchange step.

use super::common::{check_reason, read_reason_and_properties, write_reason_and_properties};
use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{AuthProperties, PropertyId};
use crate::reason::ReasonCode;
use crate::types::{PacketType, Version};
use bytes::Bytes;

/// AUTH: reason code (0x00 Success, 0x18 Continue authentication, 0x19 Re-authenticate) and
/// authentication properties. Packet type 15 is reserved before 5.0, so AUTH never decodes and
/// never encodes on 3.1.1.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Auth<B: Buffer = Bytes> {
    /// The reason code ([MQTT-3.15.2-1]).
    pub reason_code: ReasonCode,
    /// The properties.
    pub properties: AuthProperties<B>,
}

impl<B: Buffer> Auth<B> {
    /// Remaining length 0 means Success without properties (§3.15.2.1). The standard does not
    /// describe a remaining length of 1; it is read like DISCONNECT's, as a reason code alone.
    /// Any AUTH but the empty one must carry the Authentication Method (§3.15.2.2.2).
    pub(crate) fn read(r: &mut Reader<'_, B>, version: Version) -> Result<Self, DecodeError> {
        let empty = r.remaining() == 0;
        let (reason_code, properties): (ReasonCode, AuthProperties<B>) =
            read_reason_and_properties(r, version)?;
        // §3.15.2.2.2: "It is a Protocol Error to omit the Authentication Method".
        if !empty && properties.authentication_method().is_none() {
            return Err(DecodeError::InvalidPropertyValue(
                PropertyId::AuthenticationMethod,
            ));
        }
        Ok(Auth {
            reason_code,
            properties,
        })
    }

    pub(crate) fn write<S: Sink>(&self, version: Version, s: &mut S) -> Result<(), EncodeError> {
        if S::CHECKS {
            if !version.is_v5() {
                return Err(EncodeError::NotInVersion {
                    what: "AUTH",
                    version,
                });
            }
            check_reason(
                PacketType::Auth,
                version,
                self.reason_code,
                self.properties.is_empty(),
            )?;
            // §3.15.2.2.2: only the empty AUTH (Success, no properties) goes without a method.
            if (self.reason_code != ReasonCode::SUCCESS || !self.properties.is_empty())
                && self.properties.authentication_method().is_none()
            {
                return Err(EncodeError::InvalidPropertyValue(
                    PropertyId::AuthenticationMethod,
                ));
            }
        }
        // Only the empty AUTH goes without properties (checked above), so the shared writer's
        // short forms never apply to a reason code other than Success.
        write_reason_and_properties(self.reason_code, &self.properties, version, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::AuthPropertiesBuilder;
    use bytes::BytesMut;

    fn encode(auth: Auth) -> Result<BytesMut, EncodeError> {
        let mut buf = BytesMut::new();
        crate::Packet::Auth(auth).encode(Version::V5, &mut buf)?;
        Ok(buf)
    }

    #[test]
    fn a_reason_code_without_a_method_is_refused_and_nothing_is_written() {
        // §3.15.2.2.2: every AUTH but the empty one carries an Authentication Method.
        let auth: Auth = Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties: AuthProperties::default(),
        };
        let mut buf = BytesMut::new();
        let err = crate::Packet::Auth(auth).encode(Version::V5, &mut buf);
        assert_eq!(
            err,
            Err(EncodeError::InvalidPropertyValue(
                PropertyId::AuthenticationMethod
            ))
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn empty_and_method_bearing_auth_encode() {
        assert_eq!(&encode(Auth::default()).unwrap()[..], [0xF0, 0x00]);
        let properties = AuthPropertiesBuilder {
            authentication_method: Some("M".into()),
            ..Default::default()
        }
        .build()
        .unwrap();
        let auth = Auth {
            reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
            properties,
        };
        let expected = [0xF0, 0x06, 0x18, 0x04, 0x15, 0x00, 0x01, b'M'];
        assert_eq!(&encode(auth).unwrap()[..], expected);
    }
}
