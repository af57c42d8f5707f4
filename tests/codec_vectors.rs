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

use bytes::{Bytes, BytesMut};
use mqtt_wire::{DecodeError, Decoder, FixedHeader, Packet, Side, Version, decode, decode_slice};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

/// Directory name under `testdata/packets` and the version its vectors are decoded with.
const VERSION_DIRS: [(&str, Version); 3] = [
    ("v3.1", Version::V3_1),
    ("v3.1.1", Version::V3_1_1),
    ("v5", Version::V5),
];

const PACKET_NAMES: [&str; 15] = [
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "AUTH",
];

const KEYS: [&str; 9] = [
    "version",
    "from",
    "expect",
    "canonical",
    "error",
    "reason",
    "spec",
    "gotcha",
    "note",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    Invalid,
}

/// What re-encoding a decoded valid vector gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Canonical {
    /// The same bytes.
    Yes,
    /// Other bytes (a shorter or reordered form) that decode to the same packet.
    No,
    /// An encode error: the packet is legal to receive but this codec will not send it.
    Refused,
}

#[derive(Debug, Clone)]
struct Vector {
    name: String,
    file: String,
    line: usize,
    kind: Kind,
    version: Version,
    /// Directory version, for grouping.
    dir_version: Version,
    /// Who sends the packet (`from:`), for the rules that depend on it.
    from: Option<Side>,
    expect: Option<String>,
    canonical: Canonical,
    error: Option<String>,
    reason: Option<u8>,
    spec: Vec<String>,
    gotchas: Vec<String>,
    bytes: Vec<u8>,
}

impl Vector {
    fn label(&self) -> String {
        let spec = if self.spec.is_empty() {
            "-".to_string()
        } else {
            self.spec.join(" ")
        };
        format!(
            "`{}` ({}:{}, MQTT {}, spec {})",
            self.name, self.file, self.line, self.version, spec
        )
    }
}

struct VectorFile {
    path: String,
    dir_version: Version,
    vectors: Vec<Vector>,
}

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

fn parse_version(value: &str) -> Option<Version> {
    match value {
        "3.1" => Some(Version::V3_1),
        "3.1.1" => Some(Version::V3_1_1),
        "5" | "5.0" => Some(Version::V5),
        _ => None,
    }
}

/// `[MQTT-x.y.z-n]` ids and `(no id §x.y)` references, separated by spaces or commas.
fn parse_spec(value: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    while !rest.is_empty() {
        let (item, tail) = if rest.starts_with('[') {
            let end = rest.find(']').ok_or("unclosed `[`")?;
            let id = &rest[1..end];
            let number = id
                .strip_prefix("MQTT-")
                .ok_or_else(|| format!("`{id}` does not start with MQTT-"))?;
            if number.is_empty()
                || !number
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            {
                return Err(format!("malformed statement id `{id}`"));
            }
            (&rest[..=end], &rest[end + 1..])
        } else if rest.starts_with("(no id §") {
            let end = rest.find(')').ok_or("unclosed `(`")?;
            (&rest[..=end], &rest[end + 1..])
        } else {
            return Err(format!(
                "expected `[MQTT-...]` or `(no id §...)` at `{rest}`"
            ));
        };
        out.push(item.to_string());
        rest = tail.trim_start_matches([' ', ',']);
    }
    Ok(out)
}

/// Parses one `.hex` file; errors carry `file:line`.
fn parse_file(
    text: &str,
    path: &str,
    dir_version: Version,
    kind: Kind,
) -> Result<Vec<Vector>, Vec<String>> {
    let mut vectors: Vec<Vector> = Vec::new();
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    let mut errors = Vec::new();
    let mut current: Option<Vector> = None;

    fn finish(
        v: Option<Vector>,
        keys: &mut BTreeMap<String, String>,
        out: &mut Vec<Vector>,
        errors: &mut Vec<String>,
    ) {
        let Some(mut v) = v else { return };
        let at = format!("{}:{} `{}`", v.file, v.line, v.name);
        let mut fail = |msg: String| errors.push(format!("{at}: {msg}"));
        if let Some(value) = keys.get("version") {
            match parse_version(value) {
                Some(version) => v.version = version,
                None => fail(format!("unknown version `{value}`")),
            }
        }
        match keys.get("from").map(String::as_str) {
            None => {}
            Some("client") => v.from = Some(Side::Client),
            Some("server") => v.from = Some(Side::Server),
            Some(other) => fail(format!("`from: {other}` (client or server)")),
        }
        if let Some(value) = keys.get("spec") {
            match parse_spec(value) {
                Ok(spec) => v.spec = spec,
                Err(e) => fail(e),
            }
        }
        if let Some(value) = keys.get("gotcha") {
            for g in value.split([' ', ',']).filter(|g| !g.is_empty()) {
                let ok = g
                    .strip_prefix('E')
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                if ok {
                    v.gotchas.push(g.to_string());
                } else {
                    fail(format!("malformed gotcha `{g}`"));
                }
            }
        }
        match v.kind {
            Kind::Valid => {
                for key in ["error", "reason"] {
                    if keys.contains_key(key) {
                        fail(format!("`{key}:` in a valid vector"));
                    }
                }
                match keys.get("expect") {
                    Some(name) if PACKET_NAMES.contains(&name.as_str()) => {
                        v.expect = Some(name.clone());
                    }
                    Some(name) => fail(format!("unknown packet type `{name}`")),
                    None => fail("valid vector without `expect:`".to_string()),
                }
                match keys.get("canonical").map(String::as_str) {
                    None | Some("yes") => v.canonical = Canonical::Yes,
                    Some("no") => v.canonical = Canonical::No,
                    Some("refused") => v.canonical = Canonical::Refused,
                    Some(other) => fail(format!("`canonical: {other}` (yes, no or refused)")),
                }
            }
            Kind::Invalid => {
                for key in ["expect", "canonical"] {
                    if keys.contains_key(key) {
                        fail(format!("`{key}:` in an invalid vector"));
                    }
                }
                match keys.get("error") {
                    Some(e) if !e.is_empty() => v.error = Some(e.clone()),
                    _ => fail("invalid vector without `error:`".to_string()),
                }
                let reason = keys
                    .get("reason")
                    .and_then(|r| r.strip_prefix("0x"))
                    .and_then(|r| u8::from_str_radix(r, 16).ok());
                match reason {
                    Some(r) => v.reason = Some(r),
                    None => fail("invalid vector without `reason: 0xNN`".to_string()),
                }
                if v.spec.is_empty() {
                    fail("invalid vector without `spec:`".to_string());
                }
            }
        }
        if v.bytes.is_empty() {
            fail("no bytes".to_string());
        }
        keys.clear();
        out.push(v);
    }

    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix("===") {
            finish(current.take(), &mut keys, &mut vectors, &mut errors);
            let name = name.trim();
            let ok_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok_name {
                errors.push(format!("{path}:{line_no}: bad vector name `{name}`"));
            }
            current = Some(Vector {
                name: name.to_string(),
                file: path.to_string(),
                line: line_no,
                kind,
                version: dir_version,
                dir_version,
                from: None,
                expect: None,
                canonical: Canonical::Yes,
                error: None,
                reason: None,
                spec: Vec::new(),
                gotchas: Vec::new(),
                bytes: Vec::new(),
            });
            continue;
        }
        let Some(v) = current.as_mut() else {
            errors.push(format!("{path}:{line_no}: content before the first `===`"));
            continue;
        };
        if let Some((key, value)) = line.split_once(':') {
            let key = key.trim();
            if !KEYS.contains(&key) {
                errors.push(format!("{path}:{line_no}: unknown key `{key}`"));
            } else if !v.bytes.is_empty() {
                errors.push(format!("{path}:{line_no}: key `{key}` after the bytes"));
            } else if keys
                .insert(key.to_string(), value.trim().to_string())
                .is_some()
            {
                errors.push(format!("{path}:{line_no}: key `{key}` given twice"));
            }
            continue;
        }
        for token in line.split_whitespace() {
            let byte = (token.len() == 2)
                .then(|| u8::from_str_radix(token, 16).ok())
                .flatten();
            match byte {
                Some(b) => v.bytes.push(b),
                None => errors.push(format!(
                    "{path}:{line_no}: `{token}` is not a two-digit hex byte"
                )),
            }
        }
    }
    finish(current.take(), &mut keys, &mut vectors, &mut errors);
    if errors.is_empty() {
        Ok(vectors)
    } else {
        Err(errors)
    }
}

fn packets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packets")
}

/// Every `.hex` file under `testdata/packets/<version>/{valid,invalid}`, parsed. Panics with
/// every format error found.
fn load() -> Vec<VectorFile> {
    let root = packets_dir();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let entries = fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display()));
    let mut dirs: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let dir_name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(&(_, version)) = VERSION_DIRS.iter().find(|(name, _)| *name == dir_name) else {
            errors.push(format!("{}: not a version directory", dir.display()));
            continue;
        };
        for (sub, kind) in [("valid", Kind::Valid), ("invalid", Kind::Invalid)] {
            let Ok(entries) = fs::read_dir(dir.join(sub)) else {
                continue;
            };
            let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
            paths.sort();
            for path in paths {
                let rel = format!(
                    "testdata/packets/{dir_name}/{sub}/{}",
                    path.file_name().unwrap().to_string_lossy()
                );
                if path.extension().and_then(|e| e.to_str()) != Some("hex") {
                    errors.push(format!("{rel}: not a .hex file"));
                    continue;
                }
                let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
                match parse_file(&text, &rel, version, kind) {
                    Ok(vectors) => files.push(VectorFile {
                        path: rel,
                        dir_version: version,
                        vectors,
                    }),
                    Err(mut e) => errors.append(&mut e),
                }
            }
        }
    }
    assert!(
        errors.is_empty(),
        "malformed vector files:\n{}",
        errors.join("\n")
    );
    files
}

fn vectors(kind: Kind) -> Vec<Vector> {
    load()
        .into_iter()
        .flat_map(|f| f.vectors)
        .filter(|v| v.kind == kind)
        .collect()
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
