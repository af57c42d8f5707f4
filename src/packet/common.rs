//! Body parts several packets share: a reason code and properties (acknowledgements,
//! DISCONNECT, AUTH), and the reason-code lists of SUBACK and UNSUBACK.

use crate::buffer::Buffer;
use crate::codec::read::Reader;
use crate::codec::write::Sink;
use crate::error::{DecodeError, EncodeError};
use crate::properties::{self, AckProperties, PropertySet};
use crate::reason::ReasonCode;
use crate::types::{PacketId, PacketType, Version};
use alloc::vec::Vec;

/// Encode-side check shared by the packets whose 5.0 reason code 3.1.1 cannot carry.
pub(crate) fn check_reason(
    kind: PacketType,
    version: Version,
    code: ReasonCode,
    no_properties: bool,
) -> Result<(), EncodeError> {
    if version.is_v5() {
        if !code.is_valid_for(kind) {
            return Err(EncodeError::InvalidReasonCode { packet: kind, code });
        }
    } else {
        if code != ReasonCode::SUCCESS {
            return Err(EncodeError::NotInVersion {
                what: "a reason code",
                version,
            });
        }
        if !no_properties {
            return Err(EncodeError::NotInVersion {
                what: "properties",
                version,
            });
        }
    }
    Ok(())
}

/// The body shared by DISCONNECT and AUTH: nothing, a reason code, or a reason code and
/// properties. Nothing means Success.
pub(crate) fn read_reason_and_properties<B: Buffer, P: PropertySet<B>>(
    r: &mut Reader<'_, B>,
    version: Version,
) -> Result<(ReasonCode, P), DecodeError> {
    if !version.is_v5() || r.remaining() == 0 {
        return Ok((ReasonCode::SUCCESS, P::default()));
    }
    let code = ReasonCode(r.u8()?);
    if !code.is_valid_for(r.packet()) {
        return Err(DecodeError::InvalidReasonCode {
            packet: r.packet(),
            code,
        });
    }
    let props = if r.remaining() > 0 {
        properties::read(r)?
    } else {
        P::default()
    };
    Ok((code, props))
}

/// Writes the shortest form of a DISCONNECT or AUTH body.
pub(crate) fn write_reason_and_properties<B: Buffer, P: PropertySet<B>, S: Sink>(
    code: ReasonCode,
    props: &P,
    version: Version,
    s: &mut S,
) -> Result<(), EncodeError> {
    if version.is_v5() && (code != ReasonCode::SUCCESS || !props.is_empty()) {
        s.put_u8(code.0);
        if !props.is_empty() {
            properties::write(props, s)?;
        }
    }
    Ok(())
}

/// Reads the reason codes that fill the rest of a SUBACK or 5.0 UNSUBACK: at least one, each
/// from the packet's set ([MQTT-3.9.3-2] in both versions, [MQTT-3.11.3-2]).
pub(crate) fn read_codes<B: Buffer>(
    r: &mut Reader<'_, B>,
    version: Version,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let packet = r.packet();
    let range = r.rest();
    let bytes = r.bytes(range);
    if bytes.is_empty() {
        return Err(DecodeError::NoReasonCodes(packet));
    }
    let mut codes = Vec::with_capacity(bytes.len());
    for &raw in bytes {
        let code = ReasonCode(raw);
        let valid = if version.is_v5() {
            code.is_valid_for(packet)
        } else {
            code.is_valid_v3_suback()
        };
        if !valid {
            return Err(DecodeError::InvalidReasonCode { packet, code });
        }
        codes.push(code);
    }
    Ok(codes)
}

/// Writes a SUBACK or UNSUBACK: packet identifier, 5.0 properties, reason codes.
pub(crate) fn write_acks<B: Buffer, S: Sink>(
    kind: PacketType,
    pid: PacketId,
    props: &AckProperties<B>,
    codes: &[ReasonCode],
    version: Version,
    s: &mut S,
) -> Result<(), EncodeError> {
    let v5 = version.is_v5();
    if S::CHECKS {
        if !v5 && !props.is_empty() {
            return Err(EncodeError::NotInVersion {
                what: "properties",
                version,
            });
        }
        // A 3.1.1 UNSUBACK has no codes; every other layout needs at least one.
        if codes.is_empty() && (v5 || kind == PacketType::SubAck) {
            return Err(EncodeError::NoReasonCodes(kind));
        }
        for &code in codes {
            let valid = match (v5, kind) {
                (true, _) => code.is_valid_for(kind),
                (false, PacketType::SubAck) => code.is_valid_v3_suback(),
                (false, _) => false,
            };
            if !valid {
                return Err(if v5 {
                    EncodeError::InvalidReasonCode { packet: kind, code }
                } else {
                    EncodeError::NotInVersion {
                        what: "this reason code",
                        version,
                    }
                });
            }
        }
    }
    s.put_u16(pid.get());
    if v5 {
        properties::write(props, s)?;
    }
    for code in codes {
        s.put_u8(code.0);
    }
    Ok(())
}
