//! What `Debug` and `Display` of packets and property sets show: never a password or
//! Authentication Data, and payloads by length with a short prefix only.
//!
//! The packets are decoded from hand-made bytes, so the test reads them as a receiver would log
//! them, both owned (`Packet<Bytes>`) and borrowed (`Packet<&[u8]>`).

use mqtt_wire::{
    AuthPropertiesBuilder, Bytes, ConnAckPropertiesBuilder, ConnectPropertiesBuilder, Packet,
    Version, decode, decode_slice,
};

/// Distinctive secrets: no four consecutive bytes of them occur in ordinary `Debug` text.
const PASSWORD: &[u8] = b"Qz8Vx3Kw9Jp";
const AUTH_DATA: &[u8] = b"Aq7Zm2Lk5Rt";
/// The prefix a long payload may show, and the bytes after it that must not appear.
const HEAD: &[u8] = b"0123456789abcdef";
const TAIL: &[u8] = b"XYZW";

fn varint(mut n: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (n % 128) as u8;
        n /= 128;
        out.push(if n > 0 { byte | 0x80 } else { byte });
        if n == 0 {
            break;
        }
    }
}

fn prefixed(field: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(field.len() as u16).to_be_bytes());
    out.extend_from_slice(field);
}

fn frame(first: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    varint(body.len(), &mut out);
    out.extend_from_slice(body);
    out
}

/// Authentication Method and Authentication Data, with the Property Length.
fn auth_properties(out: &mut Vec<u8>) {
    let mut props = vec![0x15];
    prefixed(b"SCRAM-SHA-1", &mut props);
    props.push(0x16);
    prefixed(AUTH_DATA, &mut props);
    varint(props.len(), out);
    out.extend_from_slice(&props);
}

/// A payload of `len` bytes: the prefix, then the tail pattern repeated.
fn long_payload(len: usize) -> Vec<u8> {
    HEAD.iter()
        .chain(TAIL.iter().cycle())
        .take(len)
        .copied()
        .collect()
}

/// 5.0 CONNECT with a will (long payload), user name, password and enhanced authentication.
fn connect() -> Vec<u8> {
    let mut body = Vec::new();
    prefixed(b"MQTT", &mut body);
    body.push(5);
    body.push(0xCE); // user name, password, will QoS 1, will, clean start
    body.extend_from_slice(&60u16.to_be_bytes());
    auth_properties(&mut body);
    prefixed(b"client-1", &mut body);
    body.push(0); // will properties
    prefixed(b"will/topic", &mut body);
    prefixed(&long_payload(300), &mut body);
    prefixed(b"user", &mut body);
    prefixed(PASSWORD, &mut body);
    frame(0x10, &body)
}

fn connack() -> Vec<u8> {
    let mut body = vec![0x00, 0x00];
    auth_properties(&mut body);
    frame(0x20, &body)
}

fn auth() -> Vec<u8> {
    let mut body = vec![0x18];
    auth_properties(&mut body);
    frame(0xF0, &body)
}

fn publish(payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    prefixed(b"a/b", &mut body);
    body.push(0); // properties
    body.extend_from_slice(payload);
    frame(0x30, &body)
}

/// Every form the secret could take in formatted text: as text, as escaped bytes, as a list of
/// numbers (decimal or hex).
fn leaks(text: &str, secret: &[u8]) -> Option<String> {
    for window in secret.windows(4) {
        let forms = [
            String::from_utf8_lossy(window).into_owned(),
            window.iter().map(|b| format!("\\x{b:02x}")).collect(),
            window
                .iter()
                .map(|b| b.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            window
                .iter()
                .map(|b| format!("0x{b:02x}"))
                .collect::<Vec<_>>()
                .join(", "),
        ];
        if let Some(form) = forms.into_iter().find(|form| text.contains(form.as_str())) {
            return Some(form);
        }
    }
    None
}

fn assert_hidden(text: &str, secret: &[u8]) {
    if let Some(form) = leaks(text, secret) {
        panic!("{form:?} of a secret appears in:\n{text}");
    }
}

/// `{:?}` and `{:#?}` of a packet, owned and borrowed.
fn debug_forms(bytes: &[u8]) -> Vec<String> {
    let (borrowed, _) = decode_slice(bytes, Version::V5, u32::MAX).unwrap().unwrap();
    let (owned, _) = decode(&Bytes::copy_from_slice(bytes), Version::V5, u32::MAX)
        .unwrap()
        .unwrap();
    vec![
        format!("{borrowed:?}"),
        format!("{borrowed:#?}"),
        format!("{owned:?}"),
        format!("{owned:#?}"),
    ]
}

#[test]
fn the_test_sees_a_secret_when_it_is_there() {
    // Positive control for `leaks`: each form the search looks for is found.
    assert!(leaks("password: b\"Qz8Vx3Kw9Jp\"", PASSWORD).is_some());
    assert!(leaks("[81, 122, 56, 86]", PASSWORD).is_some());
    assert!(leaks("\\x51\\x7a\\x38\\x56", PASSWORD).is_some());
    assert!(leaks("password: <11 bytes>", PASSWORD).is_none());
}

#[test]
fn debug_of_connect_hides_the_password_and_authentication_data() {
    for text in debug_forms(&connect()) {
        assert_hidden(&text, PASSWORD);
        assert_hidden(&text, AUTH_DATA);
        assert!(text.contains("11 bytes"), "lengths are shown:\n{text}");
        assert!(text.contains("user"), "the user name is shown:\n{text}");
    }
}

#[test]
fn debug_of_connack_and_auth_hides_authentication_data() {
    for bytes in [connack(), auth()] {
        for text in debug_forms(&bytes) {
            assert_hidden(&text, AUTH_DATA);
            assert!(text.contains("SCRAM-SHA-1"), "the method is shown:\n{text}");
        }
    }
}

#[test]
fn display_of_property_sets_hides_authentication_data() {
    let bytes = connect();
    let (packet, _) = decode_slice(&bytes, Version::V5, u32::MAX)
        .unwrap()
        .unwrap();
    let Packet::Connect(connect) = packet else {
        panic!("not a CONNECT")
    };
    for text in [
        format!("{}", connect.properties),
        format!("{:#}", connect.properties),
        format!("{:?}", connect.properties),
        format!("{:#?}", connect.properties),
    ] {
        assert_hidden(&text, AUTH_DATA);
        assert!(text.contains("SCRAM-SHA-1"), "{text}");
    }
    for bytes in [connack(), auth()] {
        let (packet, _) = decode_slice(&bytes, Version::V5, u32::MAX)
            .unwrap()
            .unwrap();
        let text = match &packet {
            Packet::ConnAck(c) => format!("{} {:#}", c.properties, c.properties),
            Packet::Auth(a) => format!("{} {:#}", a.properties, a.properties),
            other => panic!("unexpected {other:?}"),
        };
        assert_hidden(&text, AUTH_DATA);
    }
}

#[test]
fn debug_of_builders_hides_authentication_data() {
    let data = Some(Bytes::from_static(AUTH_DATA));
    let connect = ConnectPropertiesBuilder {
        authentication_data: data.clone(),
        ..Default::default()
    };
    let connack = ConnAckPropertiesBuilder {
        authentication_data: data.clone(),
        ..Default::default()
    };
    let auth = AuthPropertiesBuilder {
        authentication_data: data,
        ..Default::default()
    };
    for text in [
        format!("{connect:?} {connect:#?}"),
        format!("{connack:?} {connack:#?}"),
        format!("{auth:?} {auth:#?}"),
    ] {
        assert_hidden(&text, AUTH_DATA);
        assert!(text.contains("11 bytes"), "{text}");
    }
}

#[test]
fn debug_of_a_long_payload_shows_its_length_and_a_short_prefix() {
    let payload = long_payload(65_536);
    for text in debug_forms(&publish(&payload)) {
        assert!(text.len() < 400, "{} characters:\n{text}", text.len());
        assert!(text.contains("65536 bytes"), "{text}");
        assert!(text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("XYZW"), "bytes past the prefix:\n{text}");
    }
    // The will payload of CONNECT (300 bytes) too.
    for text in debug_forms(&connect()) {
        assert!(text.contains("300 bytes"), "{text}");
        assert!(!text.contains("XYZW"), "bytes past the prefix:\n{text}");
    }
}

#[test]
fn debug_of_a_short_payload_shows_it_whole() {
    for text in debug_forms(&publish(b"hello")) {
        assert!(text.contains("5 bytes"), "{text}");
        assert!(text.contains("hello"), "{text}");
    }
}

#[test]
fn a_refused_connack_code_is_not_given_a_name_from_another_packet() {
    // Reason code 0x01 in a 5.0 CONNACK (with its Property Length): CONNACK does not allow it,
    // and 5.0 SUBACK names it Granted QoS 1.
    let err = decode_slice(&[0x20, 0x03, 0x00, 0x01, 0x00], Version::V5, u32::MAX).unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(text.contains("0x01"), "{text}");
        assert!(!text.contains("Granted"), "{text}");
    }
    // A 3.1.1-only server's answer to a 5.0 CONNECT (return code 1, unacceptable protocol
    // version, in the 3.1.1 layout) has an error of its own.
    let err = decode_slice(&[0x20, 0x02, 0x00, 0x01], Version::V5, u32::MAX).unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("Granted"), "{text}");
    }
}
