//! Replays the hand-made packet vectors of `testdata/packets` (format: `testdata/README.md`).
//!
//! - valid vectors decode to the expected packet type, consume every byte, need every byte
//!   (each shorter prefix is "incomplete"), and re-encode to the same bytes unless marked
//!   `canonical: no` (then the re-encoding differs and decodes to the same packet) or
//!   `canonical: refused` (the encoder refuses the packet);
//! - invalid vectors give exactly the named `DecodeError` variant and reason code, from
//!   `decode_slice` and from the streaming `Decoder`;
//! - a vector with `from: client|server` is also decoded by a decoder told its sender
//!   (`Decoder::receiving_from`): valid ones must decode the same, invalid ones must give their
//!   error there (the rules that depend on the sender);
//! - every file holds vectors, and the coverage per version is printed;
//! - the concatenation of a version's valid vectors streams through `Decoder` (whole, and fed
//!   in small chunks) to the same packets.
//!
//! Every failure names the vector, its file and line, the version and the statement ids.

mod common;

use bytes::{Bytes, BytesMut};
use common::vectors::{Canonical, Kind, VERSION_DIRS, Vector, load, vectors};
use mqtt_wire::{DecodeError, Decoder, FixedHeader, Packet, decode, decode_slice};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

fn hex(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The `DecodeError` variant name: its `Debug` text up to the first `(` or ` {`.
fn variant_name(e: &DecodeError) -> String {
    let text = format!("{e:?}");
    text.split(['(', ' '])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Sort key that orders the numbers inside statement ids by value (`3.1.2-9` before `3.1.2-10`).
fn natural_key(s: &str) -> Vec<(String, u64)> {
    let mut key = Vec::new();
    let mut text = String::new();
    let mut number: Option<u64> = None;
    for c in s.chars() {
        match (c.to_digit(10), number) {
            (Some(d), Some(n)) => number = Some(n * 10 + u64::from(d)),
            (Some(d), None) => number = Some(u64::from(d)),
            (None, Some(n)) => {
                key.push((std::mem::take(&mut text), n));
                number = None;
                text.push(c);
            }
            (None, None) => text.push(c),
        }
    }
    key.push((text, number.unwrap_or(0)));
    key
}

fn sorted(set: &BTreeSet<String>) -> String {
    let mut items: Vec<&String> = set.iter().collect();
    items.sort_by_key(|s| natural_key(s));
    items
        .into_iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

fn report(what: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{} {what}:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// Checks one valid vector; returns the reason it fails.
fn check_valid(v: &Vector) -> Result<(), String> {
    let expect = v.expect.as_deref().unwrap_or_default();
    let (packet, used) = match decode_slice(&v.bytes, v.version, u32::MAX) {
        Ok(Some(decoded)) => decoded,
        Ok(None) => return Err("decoded as incomplete".to_string()),
        Err(e) => {
            return Err(format!(
                "expected {expect}, got error {e:?} (reason {})",
                e.reason_code()
            ));
        }
    };
    let got = packet.packet_type().name();
    if got != expect {
        return Err(format!("expected {expect}, decoded {got}: {packet:?}"));
    }
    if used != v.bytes.len() {
        return Err(format!(
            "consumed {used} of {} bytes: {packet:?}",
            v.bytes.len()
        ));
    }
    if let Some(side) = v.from {
        let mut decoder = Decoder::new(v.version).receiving_from(side);
        match decoder.decode_from(&v.bytes.as_slice()) {
            Ok(Some((again, n))) if again == packet && n == v.bytes.len() => {}
            other => {
                return Err(format!(
                    "decode_slice accepts it, but a decoder receiving from the {side} gives \
                     {other:?}"
                ));
            }
        }
    }
    // A CONNECT decodes in the version it announces, which is the directory's even when the
    // vector is decoded with another (`version:`); it is re-encoded in that version too.
    let mut encode_version = v.version;
    if let Packet::Connect(connect) = &packet {
        if connect.protocol != v.dir_version {
            return Err(format!(
                "CONNECT announces MQTT {}, vector is for MQTT {}",
                connect.protocol, v.dir_version
            ));
        }
        encode_version = connect.protocol;
    }
    for len in 0..v.bytes.len() {
        match decode_slice(&v.bytes[..len], v.version, u32::MAX) {
            Ok(None) => {}
            other => {
                return Err(format!(
                    "the {len}-byte prefix is not incomplete but {other:?}"
                ));
            }
        }
    }
    let mut out = BytesMut::new();
    let encoded = packet.encode(encode_version, &mut out);
    match (v.canonical, encoded) {
        (Canonical::Yes, Ok(_)) if out[..] == v.bytes[..] => Ok(()),
        (Canonical::Yes, Ok(_)) => Err(format!(
            "re-encodes differently (mark it `canonical: no` if that is legitimate)\n  \
             vector:     {}\n  re-encoded: {}",
            hex(&v.bytes),
            hex(&out)
        )),
        (Canonical::No, Ok(_)) if out[..] == v.bytes[..] => {
            Err("marked `canonical: no` but re-encodes to the same bytes".to_string())
        }
        (Canonical::No, Ok(_)) => match decode_slice(&out, v.version, u32::MAX) {
            Ok(Some((again, n))) if again == packet && n == out.len() => Ok(()),
            other => Err(format!(
                "re-encoding {} does not decode to the same packet: {other:?}",
                hex(&out)
            )),
        },
        (Canonical::Refused, Err(_)) => Ok(()),
        (Canonical::Refused, Ok(_)) => Err(format!(
            "marked `canonical: refused` but encodes to {}",
            hex(&out)
        )),
        (_, Err(e)) => Err(format!("re-encoding fails: {e:?} ({packet:?})")),
    }
}

#[test]
fn valid_vectors_decode_to_the_expected_packet_and_round_trip() {
    let failures: Vec<String> = vectors(Kind::Valid)
        .iter()
        .filter_map(|v| {
            check_valid(v)
                .err()
                .map(|e| format!("{}\n  bytes: {}\n  {e}", v.label(), hex(&v.bytes)))
        })
        .collect();
    report("valid vectors failed", &failures);
}

/// Checks one invalid vector against `decode_slice` and the streaming decoder.
fn check_invalid(v: &Vector) -> Result<(), String> {
    let want = v.error.as_deref().unwrap_or_default();
    let want_reason = v.reason.unwrap_or_default();
    // A vector is one frame: when the fixed header is readable, its remaining length covers
    // exactly the bytes that follow, so the error comes from this packet's own fields.
    if let Ok(Some(header)) = FixedHeader::parse(&v.bytes, v.version, u32::MAX)
        && header.frame_len() != v.bytes.len()
    {
        return Err(format!(
            "the fixed header announces {} bytes, the vector has {}",
            header.frame_len(),
            v.bytes.len()
        ));
    }
    let matches = |e: &DecodeError| {
        let same_error = if want.contains(['(', '{']) {
            format!("{e:?}") == want
        } else {
            variant_name(e) == want
        };
        same_error && e.reason_code().0 == want_reason
    };
    if let Some(side) = v.from {
        // A rule that depends on who sends: checked by a decoder told the sender, as one slice
        // and as a stream.
        let decoder = Decoder::new(v.version).receiving_from(side);
        let got = decoder.clone().decode_from(&v.bytes.as_slice());
        if !matches!(&got, Err(e) if matches(e)) {
            return Err(format!(
                "expected {want} / 0x{want_reason:02X} from a decoder receiving from the \
                 {side}, got {got:?}"
            ));
        }
        let mut buf = BytesMut::from(&v.bytes[..]);
        return match decoder.clone().decode(&mut buf) {
            Err(e) if matches(&e) => Ok(()),
            other => Err(format!(
                "decode_from gives {got:?} but the streaming Decoder gives {other:?}"
            )),
        };
    }
    let got = decode_slice(&v.bytes, v.version, u32::MAX);
    match &got {
        Err(e) if matches(e) => {}
        Err(e) => {
            return Err(format!(
                "expected {want} / 0x{want_reason:02X}, got {e:?} / {}",
                e.reason_code()
            ));
        }
        Ok(other) => {
            return Err(format!(
                "expected {want} / 0x{want_reason:02X}, decoded {other:?}"
            ));
        }
    }
    let mut buf = BytesMut::from(&v.bytes[..]);
    match Decoder::new(v.version).decode(&mut buf) {
        Err(e) if matches(&e) => Ok(()),
        other => Err(format!(
            "decode_slice gives {got:?} but the streaming Decoder gives {other:?}"
        )),
    }
}

#[test]
fn invalid_vectors_give_the_required_error() {
    let failures: Vec<String> = vectors(Kind::Invalid)
        .iter()
        .filter_map(|v| {
            check_invalid(v)
                .err()
                .map(|e| format!("{}\n  bytes: {}\n  {e}", v.label(), hex(&v.bytes)))
        })
        .collect();
    report("invalid vectors failed", &failures);
}

#[derive(Default)]
struct Coverage {
    files: usize,
    valid: usize,
    invalid: usize,
    ids: BTreeSet<String>,
    unnumbered: BTreeSet<String>,
    gotchas: BTreeSet<String>,
}

#[test]
fn every_file_has_vectors_and_coverage_is_reported() {
    let files = load();
    let mut failures = Vec::new();
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut coverage: BTreeMap<String, Coverage> = BTreeMap::new();
    for file in &files {
        if file.vectors.is_empty() {
            failures.push(format!("{}: no vectors", file.path));
        }
        let c = coverage.entry(file.dir_version.to_string()).or_default();
        c.files += 1;
        for v in &file.vectors {
            let key = (v.dir_version.to_string(), v.name.clone());
            let at = format!("{}:{}", v.file, v.line);
            if let Some(first) = names.insert(key, at.clone()) {
                failures.push(format!(
                    "{at}: vector name `{}` already used at {first}",
                    v.name
                ));
            }
            match v.kind {
                Kind::Valid => c.valid += 1,
                Kind::Invalid => c.invalid += 1,
            }
            for s in &v.spec {
                if s.starts_with('[') {
                    c.ids.insert(s.clone());
                } else {
                    c.unnumbered.insert(s.clone());
                }
            }
            c.gotchas.extend(v.gotchas.iter().cloned());
        }
    }
    for (version, c) in &coverage {
        println!(
            "MQTT {version}: {} vectors ({} valid, {} invalid) in {} files; \
             {} statement ids, {} unnumbered rules, gotchas {}",
            c.valid + c.invalid,
            c.valid,
            c.invalid,
            c.files,
            c.ids.len(),
            c.unnumbered.len(),
            sorted(&c.gotchas)
        );
        println!("  ids: {}", sorted(&c.ids));
        println!("  unnumbered: {}", sorted(&c.unnumbered));
        if c.valid + c.invalid == 0 || c.ids.len() + c.unnumbered.len() == 0 {
            failures.push(format!("MQTT {version}: no vectors or no rules covered"));
        }
    }
    for (dir, version) in VERSION_DIRS {
        if !coverage.contains_key(&version.to_string()) {
            failures.push(format!("testdata/packets/{dir}: no vector files"));
        }
    }
    report("coverage problems", &failures);
}

#[test]
fn valid_vectors_stream_through_the_decoder() {
    let mut failures = Vec::new();
    for (dir, version) in VERSION_DIRS {
        // The packets each vector decodes to alone, and the stream of all of them. The first
        // CONNECT switches the streaming decoder to the version it announces, so one for another
        // version would change how the rest decodes: those are left out.
        let mut expected: Vec<(String, Packet<Bytes>)> = Vec::new();
        let mut stream = Vec::new();
        for v in vectors(Kind::Valid)
            .into_iter()
            .filter(|v| v.dir_version == version && v.version == version)
        {
            let bytes = Bytes::from(v.bytes.clone());
            let Ok(Some((packet, _))) = decode(&bytes, version, u32::MAX) else {
                continue; // reported by the valid-vector test
            };
            if matches!(&packet, Packet::Connect(c) if c.protocol != version) {
                continue;
            }
            expected.push((v.label(), packet));
            stream.extend_from_slice(&v.bytes);
        }
        for chunk in [stream.len().max(1), 1, 2, 3, 7, 64] {
            let mut decoder = Decoder::new(version);
            let mut buf = BytesMut::new();
            let mut got: Vec<Packet<Bytes>> = Vec::new();
            let mut error = None;
            'feed: for piece in stream.chunks(chunk) {
                buf.extend_from_slice(piece);
                loop {
                    match decoder.decode(&mut buf) {
                        Ok(Some(packet)) => got.push(packet),
                        Ok(None) => break,
                        Err(e) => {
                            error = Some(e);
                            break 'feed;
                        }
                    }
                }
            }
            let at = format!("testdata/packets/{dir}, fed in chunks of {chunk} bytes");
            if let Some(e) = error {
                let next = expected.get(got.len()).map(|(label, _)| label.as_str());
                failures.push(format!(
                    "{at}: error {e:?} after {} packets, at {next:?}",
                    got.len()
                ));
                continue;
            }
            for (i, (label, want)) in expected.iter().enumerate() {
                match got.get(i) {
                    Some(packet) if packet == want => {}
                    Some(packet) => {
                        failures.push(format!(
                            "{at}: packet {i} from {label} streams as {packet:?}, alone as {want:?}"
                        ));
                        break;
                    }
                    None => {
                        failures.push(format!("{at}: stream ended before {label}"));
                        break;
                    }
                }
            }
            if got.len() > expected.len() || !buf.is_empty() {
                failures.push(format!(
                    "{at}: {} packets for {} vectors, {} bytes left",
                    got.len(),
                    expected.len(),
                    buf.len()
                ));
            }
        }
    }
    report("streaming failures", &failures);
}
