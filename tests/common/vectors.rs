//! The hand-made packet vectors of `testdata/packets` (format: `testdata/README.md`), parsed
//! strictly: any malformed file fails the test that loads it, with every error found.

use mqtt_wire::{Side, Version};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Directory name under `testdata/packets` and the version its vectors are decoded with.
pub const VERSION_DIRS: [(&str, Version); 3] = [
    ("v3.1", Version::V3_1),
    ("v3.1.1", Version::V3_1_1),
    ("v5", Version::V5),
];

pub const PACKET_NAMES: [&str; 15] = [
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

pub const KEYS: [&str; 9] = [
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
pub enum Kind {
    Valid,
    Invalid,
}

/// What re-encoding a decoded valid vector gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canonical {
    /// The same bytes.
    Yes,
    /// Other bytes (a shorter or reordered form) that decode to the same packet.
    No,
    /// An encode error: the packet is legal to receive but this codec will not send it.
    Refused,
}

#[derive(Debug, Clone)]
pub struct Vector {
    pub name: String,
    pub file: String,
    pub line: usize,
    pub kind: Kind,
    pub version: Version,
    /// Directory version, for grouping.
    pub dir_version: Version,
    /// Who sends the packet (`from:`), for the rules that depend on it.
    pub from: Option<Side>,
    pub expect: Option<String>,
    pub canonical: Canonical,
    pub error: Option<String>,
    pub reason: Option<u8>,
    pub spec: Vec<String>,
    pub gotchas: Vec<String>,
    pub bytes: Vec<u8>,
}

impl Vector {
    pub fn label(&self) -> String {
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

pub struct VectorFile {
    pub path: String,
    pub dir_version: Version,
    pub vectors: Vec<Vector>,
}

pub fn parse_version(value: &str) -> Option<Version> {
    match value {
        "3.1" => Some(Version::V3_1),
        "3.1.1" => Some(Version::V3_1_1),
        "5" | "5.0" => Some(Version::V5),
        _ => None,
    }
}

/// `[MQTT-x.y.z-n]` ids and `(no id §x.y)` references, separated by spaces or commas.
pub fn parse_spec(value: &str) -> Result<Vec<String>, String> {
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
pub fn parse_file(
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

pub fn packets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/packets")
}

/// Every `.hex` file under `testdata/packets/<version>/{valid,invalid}`, parsed. Panics with
/// every format error found.
pub fn load() -> Vec<VectorFile> {
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

pub fn vectors(kind: Kind) -> Vec<Vector> {
    load()
        .into_iter()
        .flat_map(|f| f.vectors)
        .filter(|v| v.kind == kind)
        .collect()
}
