//! Replays the fuzz targets' bodies (`mqtt_wire::fuzzing`) on stable, without libFuzzer:
//!
//! - every minimized input that ever failed, in `testdata/fuzz/<target>/`;
//! - the committed seed corpora, in `fuzz/seeds/<target>/`;
//! - every test vector of `testdata/packets/` and every sample stream of `testdata/streams/`;
//! - a few hand-written inputs.
//!
//! `write_seeds` (ignored) regenerates `fuzz/seeds/` from the test vectors:
//! `cargo test --features arbitrary --test fuzz_regressions -- --ignored write_seeds`.

#![cfg(feature = "arbitrary")]

mod common;

use common::vectors::Kind;
use mqtt_wire::fuzzing::{self, StreamInput};
use mqtt_wire::{Side, Version};
use std::fs;
use std::path::{Path, PathBuf};

type Body = fn(&[u8]);

/// The decoder settings the stream body can use: anyone, a client, a server.
const SENDERS: [Option<Side>; 3] = [None, Some(Side::Client), Some(Side::Server)];

/// The fuzz targets, by the name of their directory in `fuzz/seeds/` and `testdata/fuzz/`.
const TARGETS: &[(&str, Body)] = &[
    ("decode", fuzzing::decode),
    ("roundtrip", fuzzing::roundtrip),
    ("encode", fuzzing::encode),
    ("stream", fuzzing::stream),
    ("varint", fuzzing::varint),
    ("client_session", fuzzing::client_session),
    ("server_session", fuzzing::server_session),
    #[cfg(feature = "broker")]
    ("broker", fuzzing::broker),
    #[cfg(feature = "broker")]
    ("session_pair", fuzzing::session_pair),
];

/// Targets whose bodies need a feature this build may not have: their directories are known.
const FEATURE_TARGETS: [&str; 2] = ["broker", "session_pair"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files directly inside `dir`, sorted; none when `dir` does not exist.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `body` on every file of `dir`, naming the file that fails.
fn replay_dir(target: &str, body: Body, dir: &Path) -> usize {
    let files = files_in(dir);
    for path in &files {
        let data = fs::read(path).expect("readable input");
        let result = std::panic::catch_unwind(|| body(&data));
        if result.is_err() {
            panic!(
                "fuzz target `{target}` fails on {} (reproduce: cargo +nightly fuzz run {target} {})",
                path.display(),
                path.display()
            );
        }
    }
    files.len()
}

#[test]
fn regressions_replay() {
    let dir = root().join("testdata/fuzz");
    if let Ok(entries) = fs::read_dir(&dir) {
        for entry in entries {
            let path = entry.expect("readable directory entry").path();
            if !path.is_dir() {
                continue;
            }
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                TARGETS.iter().any(|(t, _)| *t == name) || FEATURE_TARGETS.contains(&name),
                "testdata/fuzz/{name}/ names no fuzz target"
            );
        }
    }
    for &(target, body) in TARGETS {
        replay_dir(target, body, &dir.join(target));
    }
}

#[test]
fn seed_corpora_replay() {
    let seeds = root().join("fuzz/seeds");
    for &(target, body) in TARGETS {
        let count = replay_dir(target, body, &seeds.join(target));
        assert!(count > 0, "no seeds in fuzz/seeds/{target}/");
    }
}

// ---- test vectors ----

/// A test vector as the fuzz bodies use it.
struct Vector {
    /// `<version dir>-<valid|invalid>-<file stem>-<name>`: the seed file's name.
    label: String,
    version: Version,
    valid: bool,
    bytes: Vec<u8>,
}

/// Every vector of `testdata/packets/`, read by the parser `tests/codec_vectors.rs` uses.
fn vectors() -> Vec<Vector> {
    let mut out = Vec::new();
    for file in common::vectors::load() {
        // `testdata/packets/<version dir>/<valid|invalid>/<stem>.hex`
        let path = Path::new(&file.path);
        let name = |p: Option<&Path>| {
            p.and_then(Path::file_name)
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let kind = name(path.parent());
        let dir = name(path.parent().and_then(Path::parent));
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.extend(file.vectors.into_iter().map(|v| Vector {
            label: format!("{dir}-{kind}-{stem}-{}", v.name),
            version: v.version,
            valid: v.kind == Kind::Valid,
            bytes: v.bytes,
        }));
    }
    out
}

/// The sample streams of `testdata/streams/`: name, bytes.
fn sample_streams() -> Vec<(String, Vec<u8>)> {
    files_in(&root().join("testdata/streams"))
        .into_iter()
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("bin"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, fs::read(&p).unwrap())
        })
        .collect()
}

/// A stream input that splits `bytes` into pieces of `step` bytes.
fn stream_seed(version: Version, from: Option<Side>, bytes: &[u8], step: u8) -> Vec<u8> {
    let pieces = bytes.len() / usize::from(step.max(1));
    let chunks = vec![step; pieces.min(31)];
    StreamInput {
        version,
        from,
        max_packet_size: mqtt_wire::MAX_PACKET_SIZE,
        chunks: &chunks,
        stream: bytes,
    }
    .to_bytes()
}

#[test]
fn vectors_through_decode_and_stream_bodies() {
    let vectors = vectors();
    for v in &vectors {
        let run = |name: &str, body: Body, data: &[u8]| {
            if std::panic::catch_unwind(|| body(data)).is_err() {
                panic!("fuzz body `{name}` fails on vector {}", v.label);
            }
        };
        run("decode", fuzzing::decode, &v.bytes);
        for step in [1, 2, 3, 7] {
            for from in SENDERS {
                let seed = stream_seed(v.version, from, &v.bytes, step);
                run("stream", fuzzing::stream, &seed);
            }
        }
    }
    // Every valid vector back to back, as one stream per version.
    for version in fuzzing::VERSIONS {
        let all: Vec<u8> = vectors
            .iter()
            .filter(|v| v.valid && v.version == version)
            .flat_map(|v| v.bytes.iter().copied())
            .collect();
        fuzzing::decode(&all);
        for step in [1, 5, 13, 64] {
            for from in SENDERS {
                fuzzing::stream(&stream_seed(version, from, &all, step));
            }
        }
    }
    for (_, bytes) in sample_streams() {
        fuzzing::decode(&bytes);
        for version in fuzzing::VERSIONS {
            for from in SENDERS {
                fuzzing::stream(&stream_seed(version, from, &bytes, 3));
            }
        }
    }
}

/// Regenerates `fuzz/seeds/` from the test vectors, the sample streams and fixed inputs.
#[test]
#[ignore = "writes fuzz/seeds/; run by hand after the test vectors change"]
fn write_seeds() {
    let seeds = root().join("fuzz/seeds");
    // One file per distinct input: vectors of several versions share bytes.
    let mut seen = std::collections::HashSet::new();
    let mut write = |target: &str, name: &str, data: &[u8]| {
        if !seen.insert((target.to_string(), data.to_vec())) {
            return;
        }
        let dir = seeds.join(target);
        fs::create_dir_all(&dir).unwrap();
        let name: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        fs::write(dir.join(name), data).unwrap();
    };
    // The session targets' seeds are operation sequences kept from fuzzing runs, not made from
    // the vectors: left alone.
    for (target, _) in TARGETS.iter().filter(|(t, _)| {
        !matches!(
            *t,
            "client_session" | "server_session" | "broker" | "session_pair"
        )
    }) {
        let _ = fs::remove_dir_all(seeds.join(target));
    }

    let vectors = vectors();
    assert!(
        !vectors.is_empty(),
        "no test vectors under testdata/packets/"
    );
    for v in &vectors {
        write("decode", &v.label, &v.bytes);
        let half = u8::try_from(v.bytes.len() / 2).unwrap_or(u8::MAX).max(1);
        write(
            "stream",
            &v.label,
            &stream_seed(v.version, None, &v.bytes, half),
        );
    }
    for version in fuzzing::VERSIONS {
        let all: Vec<u8> = vectors
            .iter()
            .filter(|v| v.valid && v.version == version)
            .flat_map(|v| v.bytes.iter().copied())
            .collect();
        for (from, who) in SENDERS.into_iter().zip(["any", "client", "server"]) {
            let name = format!("all-valid-{version}-from-{who}");
            write("stream", &name, &stream_seed(version, from, &all, 7));
        }
    }
    for (name, bytes) in sample_streams() {
        write("decode", &format!("stream-{name}"), &bytes);
        write(
            "stream",
            &format!("stream-{name}"),
            &stream_seed(Version::V5, None, &bytes, 5),
        );
    }

    // roundtrip: every packet kind of every version, with a plain and a busy tail.
    let mut state: u32 = 0x2545_F491;
    for (vi, version) in fuzzing::VERSIONS.iter().enumerate() {
        let kinds: u8 = if version.is_v5() { 15 } else { 14 };
        for kind in 0..kinds {
            let head = [u8::try_from(vi).unwrap(), kind];
            write("roundtrip", &format!("{version}-kind{kind}-zero"), &head);
            let mut busy = head.to_vec();
            for _ in 0..48 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                busy.push(state.to_le_bytes()[0]);
            }
            write("roundtrip", &format!("{version}-kind{kind}-busy"), &busy);
        }
    }

    // encode: every packet kind on every version, with a plain and a busy tail.
    for version in 0..3u8 {
        for kind in 0..15u8 {
            let head = [version, kind];
            write("encode", &format!("v{version}-kind{kind}-zero"), &head);
            let mut busy = head.to_vec();
            for _ in 0..64 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                busy.push(state.to_le_bytes()[0]);
            }
            write("encode", &format!("v{version}-kind{kind}-busy"), &busy);
        }
    }

    // varint: the boundaries of each length, non-minimal forms, a fifth byte.
    for (name, bytes) in [
        ("zero", &[0x00][..]),
        ("max-1", &[0x7F]),
        ("min-2", &[0x80, 0x01]),
        ("max-2", &[0xFF, 0x7F]),
        ("min-3", &[0x80, 0x80, 0x01]),
        ("max-3", &[0xFF, 0xFF, 0x7F]),
        ("min-4", &[0x80, 0x80, 0x80, 0x01]),
        ("max-4", &[0xFF, 0xFF, 0xFF, 0x7F]),
        ("non-minimal-zero", &[0x80, 0x00]),
        ("non-minimal-4", &[0xFF, 0x80, 0x80, 0x00]),
        ("fifth-byte", &[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
        ("incomplete", &[0x80, 0x80, 0x80]),
    ] {
        write("varint", name, bytes);
    }
}

// ---- hand-written inputs ----

#[test]
fn decode_body_on_hand_written_inputs() {
    for input in [
        &[][..],
        &[0xC0],                         // half a PINGREQ
        &[0xC0, 0x00, 0xD0, 0x00, 0xE0], // PINGREQ, PINGRESP, part of DISCONNECT
        &[0x30, 0xFF, 0xFF, 0xFF, 0xFF], // remaining length past its fourth byte
        &[0x30, 0x80, 0x00],             // non-minimal remaining length (refused on 5.0 only)
        &[0x00, 0x00],                   // reserved type 0
        &[0xF0, 0x00],                   // AUTH (reserved before 5.0)
        &[0x36, 0x00],                   // PUBLISH QoS 3
        &[0x30, 0x07, 0x00, 0x03, b'a', b'/', b'b', b'h', b'i'],
        // 3.1.1 CONNECT with an empty client id and Clean Session 0: decoded, not re-encodable.
        &[
            0x10, 0x0C, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x04, 0x00, 0x00, 0x3C, 0x00, 0x00,
        ],
        // 5.0 CONNECT, then a 5.0 PUBLISH with a property: the decoder switches version.
        &[
            0x10, 0x0D, 0x00, 0x04, b'M', b'Q', b'T', b'T', 0x05, 0x02, 0x00, 0x3C, 0x00, 0x00,
            0x00, 0x30, 0x08, 0x00, 0x01, b't', 0x02, 0x01, 0x01, b'h', b'i',
        ],
    ] {
        fuzzing::decode(input);
    }
}

#[test]
fn roundtrip_body_on_hand_written_inputs() {
    fuzzing::roundtrip(&[]);
    for version in 0..3u8 {
        for kind in 0..15u8 {
            fuzzing::roundtrip(&[version, kind]);
            fuzzing::roundtrip(&[
                version, kind, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            ]);
            let mut counting: Vec<u8> = vec![version, kind];
            counting.extend(0..=255u8);
            fuzzing::roundtrip(&counting);
        }
    }
}

/// The `encode` body over pseudo-random inputs, each packet kind on each version in turn: no
/// defect, and the inputs reach both answers, acceptance for every packet type and refusal for
/// every type that can be refused.
#[test]
fn encode_body_on_pseudo_random_inputs() {
    use mqtt_wire::PacketType;
    use std::collections::BTreeMap;
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    // (accepted, refused) per packet type.
    let mut seen: BTreeMap<u8, (usize, usize)> = BTreeMap::new();
    for i in 0..6000u32 {
        let len = (next() % 160) as usize;
        let mut data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if data.len() >= 2 {
            data[0] = (i % 3) as u8;
            data[1] = ((i / 3) % 15) as u8;
        }
        let outcome = std::panic::catch_unwind(|| fuzzing::encode_outcome(&data))
            .unwrap_or_else(|_| panic!("encode body fails on {data:02x?}"));
        if let Some((kind, _, result)) = outcome {
            let entry = seen.entry(kind as u8).or_default();
            match result {
                Ok(_) => entry.0 += 1,
                Err(_) => entry.1 += 1,
            }
        }
    }
    for kind in 1..=15u8 {
        let (accepted, refused) = seen.get(&kind).copied().unwrap_or_default();
        let name = PacketType::from_nibble(kind).map_or("?", |t| t.name());
        assert!(accepted > 0, "no {name} accepted: {seen:?}");
        let never_refused = matches!(kind, 12 | 13); // PINGREQ, PINGRESP
        assert!(never_refused || refused > 0, "no {name} refused: {seen:?}");
    }
}

#[test]
fn encode_body_on_hand_written_inputs() {
    fuzzing::encode(&[]);
    for version in 0..3u8 {
        for kind in 0..15u8 {
            fuzzing::encode(&[version, kind]);
            fuzzing::encode(&[version, kind, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
            let mut counting: Vec<u8> = vec![version, kind];
            counting.extend(0..=255u8);
            fuzzing::encode(&counting);
        }
    }
}

#[test]
fn stream_body_on_hand_written_inputs() {
    let pings = [0xC0, 0x00, 0xD0, 0x00, 0xC0, 0x00];
    for version in fuzzing::VERSIONS {
        for step in 0..4 {
            fuzzing::stream(&stream_seed(version, None, &pings, step));
        }
    }
    fuzzing::stream(&[]);
    fuzzing::stream(&[2, 3, 0, 2, 1, 1, 0xC0, 0x00, 0xD0, 0x00]); // limit 3 bytes: fits
    fuzzing::stream(&[2, 3, 0, 0, 0x30, 0x03, 0x00, 0x01, b't']); // limit 3: too large
    fuzzing::stream(&[1, 0, 0, 1, 0, 0x30, 0x80]); // a chunk of 0 bytes
}

#[test]
fn varint_body_on_hand_written_inputs() {
    for input in [
        &[][..],
        &[0x00],
        &[0x7F],
        &[0x80, 0x01],
        &[0x80, 0x00],
        &[0xFF, 0xFF, 0xFF, 0x7F],
        &[0xFF, 0xFF, 0xFF, 0xFF],
        &[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
        &[0x80, 0x80, 0x80],
    ] {
        fuzzing::varint(input);
    }
}

/// The broker body on pseudo-random inputs (a fixed xorshift sequence): a quick pass on stable
/// over far more operation sequences than the seeds hold.
#[cfg(feature = "broker")]
#[test]
fn broker_body_on_pseudo_random_inputs() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..400 {
        let len = 64 + (x % 1500) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        fuzzing::broker(&input);
    }
}

// ---- server_session seeds ----

/// An input of the `server_session` body written operation by operation, in the layout
/// `arbitrary` reads (little-endian integers, `bool` as a byte, `Option` as a flag byte then
/// the value, an enum variant as a `u32` scaled to the variant count). The operation numbers
/// follow the order of `Op` in `src/fuzzing/server_session.rs`; a seed that drifts from it
/// still runs, as some other sequence.
struct Ops(Vec<u8>);

impl Ops {
    const VARIANTS: u64 = 23;
    const CONNECT: u64 = 0;
    const ACCEPT: u64 = 1;
    const REJECT: u64 = 2;
    const SERVER_AUTH: u64 = 3;
    const CLIENT_AUTH: u64 = 4;
    const DELIVER: u64 = 5;
    const CLIENT_PUBLISH: u64 = 6;
    const ANSWER: u64 = 7;
    const CLIENT_PUBREL: u64 = 8;
    const SUBSCRIBE: u64 = 9;
    const UNSUBSCRIBE: u64 = 10;
    const ANSWERED: u64 = 11;
    const ACK: u64 = 12;
    const PINGREQ: u64 = 13;
    const CLIENT_DISCONNECT: u64 = 14;
    const POLL: u64 = 17;
    const ADVANCE: u64 = 18;
    const CLOSE: u64 = 19;
    const TAKE_OVER: u64 = 20;
    const SERVER_DISCONNECT: u64 = 21;
    const RESTART: u64 = 22;

    /// The configuration bytes: flags (bit 0 manual acks, 1 no retain, 2 max keep alive, 3 max
    /// session expiry), outbound alias maximum, maximum QoS, Receive Maximum, Topic Alias
    /// Maximum, Maximum Packet Size.
    fn new(config: [u8; 6]) -> Ops {
        Ops(config.to_vec())
    }

    fn op(mut self, variant: u64, fields: &[u8]) -> Ops {
        // The smallest u32 that `(x * VARIANTS) >> 32` maps to `variant`.
        let x = (variant << 32).div_ceil(Self::VARIANTS);
        assert_eq!((x * Self::VARIANTS) >> 32, variant);
        self.0.extend_from_slice(&(x as u32).to_le_bytes());
        self.0.extend_from_slice(fields);
        self
    }

    /// CONNECT: version (0: 3.1, 1: 3.1.1, 2: 5.0), Clean Start, keep alive, Receive Maximum,
    /// Topic Alias Maximum, Maximum Packet Size (40 + n), Session Expiry, empty client id, will,
    /// authentication method, no problem information.
    #[allow(clippy::too_many_arguments)]
    fn connect(
        self,
        level: u8,
        clean: bool,
        keep_alive: u8,
        receive_max: u8,
        alias_max: u8,
    ) -> Ops {
        self.connect_with(
            level,
            clean,
            keep_alive,
            receive_max,
            alias_max,
            200,
            [1, 0, 1, 0, 0],
        )
    }

    #[allow(clippy::too_many_arguments, reason = "one argument per CONNECT field")]
    fn connect_with(
        self,
        level: u8,
        clean: bool,
        keep_alive: u8,
        receive_max: u8,
        alias_max: u8,
        max_packet: u8,
        flags: [u8; 5],
    ) -> Ops {
        let mut f = vec![
            level,
            u8::from(clean),
            keep_alive,
            receive_max,
            alias_max,
            max_packet,
        ];
        f.extend_from_slice(&flags);
        self.op(Self::CONNECT, &f)
    }

    fn accept(self, resume: bool) -> Ops {
        self.op(Self::ACCEPT, &[u8::from(resume), 0, 0])
    }

    fn poll(self) -> Ops {
        self.op(Self::POLL, &[32])
    }

    /// A message queued for the client: topic, QoS, retain, payload length, expiry.
    fn deliver(self, topic: u8, qos: u8, payload: u8, expiry: Option<u8>) -> Ops {
        let mut f = vec![topic, qos, 0, payload];
        match expiry {
            Some(e) => f.extend_from_slice(&[1, e]),
            None => f.push(0),
        }
        self.op(Self::DELIVER, &f)
    }

    /// A PUBLISH from the client: QoS, identifier, alias, empty topic, DUP, RETAIN.
    fn client_publish(self, qos: u8, pid: u8, alias: Option<u8>, empty_topic: bool) -> Ops {
        let mut f = vec![qos, pid];
        match alias {
            Some(a) => f.extend_from_slice(&[1, a]),
            None => f.push(0),
        }
        f.extend_from_slice(&[u8::from(empty_topic), 0, 0]);
        self.op(Self::CLIENT_PUBLISH, &f)
    }

    fn answer(self, reason: u8) -> Ops {
        self.op(Self::ANSWER, &[reason])
    }

    fn advance(self, ms: u16) -> Ops {
        self.op(Self::ADVANCE, &ms.to_le_bytes())
    }

    fn bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Named operation sequences for the `server_session` target, one per behaviour.
fn server_session_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let auto = [0, 0, 2, 3, 3, 200];
    let manual = [1, 0, 2, 3, 3, 200];
    vec![
        (
            "v3.1.1-qos1-both-ways-manual-acks",
            Ops::new(manual)
                .connect(1, true, 0, 0, 0)
                .poll()
                .accept(false)
                .client_publish(1, 1, None, false)
                .poll()
                .op(Ops::ACK, &[0, 1])
                .deliver(0, 1, 5, None)
                .answer(1)
                .poll()
                .bytes(),
        ),
        (
            "v3.1-connect-accept-qos2-from-the-client",
            Ops::new(auto)
                .connect(0, true, 10, 0, 0)
                .accept(false)
                .client_publish(2, 3, None, false)
                .poll()
                .op(Ops::CLIENT_PUBREL, &[2])
                .op(Ops::PINGREQ, &[])
                .bytes(),
        ),
        (
            "v5-qos2-both-ways-with-failures",
            Ops::new(manual)
                .connect(2, true, 0, 3, 0)
                .accept(false)
                .client_publish(2, 0, None, false)
                .client_publish(2, 0, None, false)
                .poll()
                .op(Ops::ACK, &[0, 2])
                .deliver(1, 2, 10, None)
                .deliver(2, 2, 10, None)
                .answer(1)
                .answer(4)
                .answer(1)
                .poll()
                .bytes(),
        ),
        (
            "v5-refused",
            Ops::new(auto)
                .connect(2, true, 0, 0, 0)
                .poll()
                .op(Ops::REJECT, &[0x07])
                .client_publish(0, 0, None, false)
                .poll()
                .bytes(),
        ),
        (
            "v5-enhanced-authentication-then-re-authentication",
            Ops::new(auto)
                .connect_with(2, true, 0, 1, 0, 200, [0, 0, 0, 1, 0])
                .poll()
                .op(Ops::SERVER_AUTH, &[0x18])
                .op(Ops::CLIENT_AUTH, &[0, 0])
                .poll()
                .accept(false)
                .op(Ops::CLIENT_AUTH, &[1, 0])
                .poll()
                .op(Ops::SERVER_AUTH, &[0x00])
                .op(Ops::CLIENT_AUTH, &[1, 1])
                .poll()
                .bytes(),
        ),
        (
            "v5-keep-alive-timeout-with-will",
            Ops::new(auto)
                .connect_with(2, true, 2, 1, 0, 200, [1, 0, 1, 0, 0])
                .accept(false)
                .advance(2_000)
                .op(Ops::PINGREQ, &[])
                .advance(2_999)
                .advance(1)
                .poll()
                .bytes(),
        ),
        (
            "v5-resume-in-the-middle-of-qos2",
            Ops::new(auto)
                .connect(2, false, 0, 2, 0)
                .accept(false)
                .deliver(0, 2, 4, None)
                .deliver(1, 2, 4, None)
                .deliver(2, 1, 4, None)
                .answer(1)
                .op(Ops::CLOSE, &[])
                .poll()
                .op(Ops::RESTART, &[])
                .connect(2, false, 0, 1, 0)
                .poll()
                .accept(true)
                .answer(1)
                .answer(1)
                .answer(1)
                .answer(1)
                .poll()
                .bytes(),
        ),
        (
            "v5-subscribe-and-unsubscribe-answered",
            Ops::new(auto)
                .connect(2, true, 0, 1, 0)
                .accept(false)
                .op(Ops::SUBSCRIBE, &[0, 2])
                .op(Ops::UNSUBSCRIBE, &[1, 1])
                .poll()
                .op(Ops::ANSWERED, &[0, 1, 1])
                .op(Ops::ANSWERED, &[0, 5, 0])
                .op(Ops::ANSWERED, &[0, 3, 0])
                .op(Ops::SUBSCRIBE, &[0, 0])
                .op(Ops::SUBSCRIBE, &[0, 0])
                .poll()
                .bytes(),
        ),
        (
            "v5-topic-aliases-both-ways",
            Ops::new([0, 3, 2, 3, 3, 200])
                .connect(2, true, 0, 3, 2)
                .accept(false)
                .deliver(0, 0, 1, None)
                .deliver(1, 0, 1, None)
                .deliver(0, 1, 1, None)
                .deliver(2, 0, 1, None)
                .client_publish(0, 0, Some(0), false)
                .client_publish(1, 1, Some(0), true)
                .client_publish(0, 0, Some(3), true)
                .poll()
                .bytes(),
        ),
        (
            "v5-message-expiry-while-queued",
            Ops::new(auto)
                .connect(2, true, 0, 0, 0)
                .accept(false)
                .deliver(0, 1, 3, None)
                .deliver(1, 1, 3, Some(2))
                .deliver(2, 1, 3, Some(7))
                .advance(3_500)
                .answer(1)
                .answer(1)
                .poll()
                .bytes(),
        ),
        (
            "v5-takeover-and-server-disconnect",
            Ops::new(auto)
                .connect_with(2, true, 0, 1, 0, 200, [1, 0, 1, 0, 0])
                .accept(false)
                .op(Ops::TAKE_OVER, &[])
                .poll()
                .op(Ops::RESTART, &[])
                .connect(2, true, 0, 1, 0)
                .accept(false)
                .op(Ops::SERVER_DISCONNECT, &[0x0B])
                .poll()
                .bytes(),
        ),
        (
            "v5-disconnect-with-will-and-raised-expiry",
            Ops::new(auto)
                .connect_with(2, true, 0, 1, 0, 200, [0, 0, 1, 0, 0])
                .accept(false)
                .op(Ops::CLIENT_DISCONNECT, &[0, 1, 9])
                .poll()
                .op(Ops::RESTART, &[])
                .connect_with(2, true, 0, 1, 0, 200, [1, 0, 1, 0, 0])
                .accept(false)
                .op(Ops::CLIENT_DISCONNECT, &[1, 0])
                .poll()
                .bytes(),
        ),
        (
            "v5-receive-maximum-exceeded",
            Ops::new([1, 0, 2, 1, 0, 200])
                .connect(2, true, 0, 1, 0)
                .accept(false)
                .client_publish(1, 0, None, false)
                .client_publish(1, 1, None, false)
                .client_publish(2, 2, None, false)
                .poll()
                .bytes(),
        ),
        (
            "v5-message-too-large-for-the-client-and-no-problem-information",
            Ops::new(manual)
                .connect_with(2, true, 0, 3, 0, 0, [0, 0, 0, 0, 1])
                .accept(false)
                .deliver(0, 1, 200, None)
                .deliver(1, 1, 2, None)
                .client_publish(1, 4, None, false)
                .poll()
                .op(Ops::ACK, &[0, 1])
                .bytes(),
        ),
        (
            "connect-timeout-and-late-connect",
            Ops::new(auto)
                .advance(5_000)
                .connect(2, true, 0, 1, 0)
                .poll()
                .bytes(),
        ),
    ]
}

#[test]
fn server_session_seeds_are_the_committed_ones() {
    let dir = root().join("fuzz/seeds/server_session");
    for (name, bytes) in server_session_seeds() {
        fuzzing::server_session(&bytes);
        let committed = fs::read(dir.join(name))
            .unwrap_or_else(|_| panic!("fuzz/seeds/server_session/{name} is missing"));
        assert_eq!(committed, bytes, "fuzz/seeds/server_session/{name} differs");
    }
}

/// Writes the named `server_session` seeds.
#[test]
#[ignore = "writes fuzz/seeds/server_session/; run by hand after the operations change"]
fn write_server_session_seeds() {
    let dir = root().join("fuzz/seeds/server_session");
    fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in server_session_seeds() {
        fs::write(dir.join(name), bytes).unwrap();
    }
}
