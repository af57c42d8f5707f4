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
    for (target, _) in TARGETS
        .iter()
        .filter(|(t, _)| !matches!(*t, "client_session" | "broker" | "session_pair"))
    {
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
