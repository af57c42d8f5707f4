//! Decodes a raw MQTT byte stream and prints one line per packet.
//!
//! ```text
//! cargo run --example inspect -- [--protocol 3.1|3.1.1|5] [--max-packet-size N] FILE|-
//! cargo run --example inspect -- --hex-lines --protocol 5 FILE|-
//! ```
//!
//! Stream mode reads one direction of a connection (a file, or standard input when FILE is
//! `-`). The version comes from a leading CONNECT, or from `--protocol`; without either
//! the stream is read as 3.1.1. Each packet prints as `OFFSET TYPE details`. On bad bytes the
//! inspector prints the offset, the error and the MQTT 5.0 reason code, and exits with status 1.
//!
//! `--hex-lines` checks test vectors in bulk: every input line is one hex-encoded packet
//! (spaces allowed), decoded on its own. Every input line gives exactly one output line:
//! `ok TYPE REENCODED-HEX` or `err CODE MESSAGE`, where CODE is the reason code in two hex
//! digits. A line holding an incomplete packet or more than one packet is an `err` line.
//!
//! `--help` prints the usage. Without an input the inspector prints the usage and exits with
//! status 2 instead of waiting on a terminal. When its output is closed early (`| head`), it
//! stops quietly with status 0.

use mqtt_wire::{
    BytesMut, DecodeError, Decoder, Packet, PacketType, QosPid, ReasonCode, Version, decode_slice,
};
use std::fmt::Write as _;
use std::io::{self, BufRead, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
usage: inspect [--protocol 3.1|3.1.1|5] [--max-packet-size N] [--hex-lines] FILE|-

Decodes a raw MQTT byte stream (one direction of a connection) from FILE, or from standard
input with -, and prints one line per packet.

  -p, --protocol V         read as MQTT 3.1, 3.1.1 or 5 (default: from a leading CONNECT,
                           else 3.1.1; 5 with --hex-lines)
      --max-packet-size N  refuse packets larger than N bytes
      --hex-lines          one hex-encoded packet per input line, checked on its own
  -h, --help               print this help";

/// What the command line asks for.
enum Command {
    Run(Options),
    Help,
}

struct Options {
    protocol: Option<Version>,
    max_packet_size: u32,
    hex_lines: bool,
    input: Option<String>,
}

fn parse_args() -> Result<Command, String> {
    let mut options = Options {
        protocol: None,
        max_packet_size: mqtt_wire::MAX_PACKET_SIZE,
        hex_lines: false,
        input: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--protocol" | "-p" => {
                let value = args.next().ok_or("--protocol needs a value")?;
                options.protocol = Some(match value.as_str() {
                    "3.1" => Version::V3_1,
                    "3.1.1" | "4" => Version::V3_1_1,
                    "5" | "5.0" => Version::V5,
                    other => return Err(format!("unknown protocol {other:?} (3.1, 3.1.1 or 5)")),
                });
            }
            "--max-packet-size" => {
                let value = args.next().ok_or("--max-packet-size needs a value")?;
                options.max_packet_size = value
                    .parse()
                    .map_err(|_| format!("--max-packet-size: not a number: {value:?}"))?;
            }
            "--hex-lines" => options.hex_lines = true,
            "-h" | "--help" => return Ok(Command::Help),
            _ if options.input.is_none() && (arg == "-" || !arg.starts_with('-')) => {
                options.input = Some(arg)
            }
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    if options.input.is_none() {
        return Err("no input: give a FILE, or - for standard input".into());
    }
    Ok(Command::Run(options))
}

fn open_input(input: Option<&str>) -> io::Result<Box<dyn Read>> {
    match input {
        None | Some("-") => Ok(Box::new(io::stdin().lock())),
        Some(path) => Ok(Box::new(std::fs::File::open(path)?)),
    }
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            // Written, not printed: `println!` would panic on a closed pipe.
            let _ = writeln!(io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            // With no arguments at all, the usage alone says what is missing.
            if std::env::args_os().len() > 1 {
                eprintln!("inspect: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let input = match open_input(options.input.as_deref()) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("inspect: {}: {e}", options.input.as_deref().unwrap_or("-"));
            return ExitCode::from(2);
        }
    };
    let result = if options.hex_lines {
        hex_lines(&options, input)
    } else {
        stream(&options, input)
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        // The reader of the output has gone (`inspect ... | head`): nothing left to do.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("inspect: {e}");
            ExitCode::from(2)
        }
    }
}

/// Decodes the whole input as one stream; returns whether it was all valid.
fn stream(options: &Options, mut input: Box<dyn Read>) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut offset = 0usize;
    let leading_connect = options.protocol.is_none();
    let mut decoder = Decoder::new(options.protocol.unwrap_or(Version::V3_1_1))
        .with_max_packet_size(options.max_packet_size);
    let mut first = true;
    loop {
        let n = input.read(&mut chunk)?;
        buf.extend_from_slice(&chunk[..n]);
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(packet)) => {
                    if first && leading_connect && !matches!(packet, Packet::Connect(_)) {
                        eprintln!(
                            "inspect: no CONNECT at the start; reading as 3.1.1 (use --protocol)"
                        );
                    }
                    first = false;
                    writeln!(out, "{offset:>8}  {}", describe(&packet))?;
                    offset += before - buf.len();
                }
                Ok(None) => break,
                Err(e) => {
                    report_error(&mut out, offset, &e, decoder.version())?;
                    return Ok(false);
                }
            }
        }
        if n == 0 {
            break;
        }
    }
    if !buf.is_empty() {
        writeln!(
            out,
            "{offset:>8}  error: input ends inside a packet ({} bytes left)",
            buf.len()
        )?;
        return Ok(false);
    }
    Ok(true)
}

fn report_error(
    out: &mut impl Write,
    offset: usize,
    e: &DecodeError,
    version: Version,
) -> io::Result<()> {
    let code = e.reason_code();
    let id = e
        .statement(version)
        .map(|id| format!(" {id}"))
        .unwrap_or_default();
    writeln!(out, "{offset:>8}  error: {e}{id} (reason code {code})")
}

/// Checks one hex-encoded packet per line; returns whether every line decoded.
fn hex_lines(options: &Options, input: Box<dyn Read>) -> io::Result<bool> {
    let version = options.protocol.unwrap_or(Version::V5);
    let mut out = io::stdout().lock();
    let mut all_ok = true;
    for line in io::BufReader::new(input).lines() {
        let line = line?;
        let result = check_hex_line(&line, version, options.max_packet_size);
        all_ok &= result.starts_with("ok ");
        writeln!(out, "{result}")?;
    }
    Ok(all_ok)
}

fn check_hex_line(line: &str, version: Version, max: u32) -> String {
    let err = |code: ReasonCode, message: &str| format!("err {:02x} {message}", code.0);
    let bytes = match parse_hex(line) {
        Ok(bytes) => bytes,
        Err(message) => return err(ReasonCode::MALFORMED_PACKET, &message),
    };
    match decode_slice(&bytes, version, max) {
        Err(e) => {
            let id = e
                .statement(version)
                .map(|id| format!(" {id}"))
                .unwrap_or_default();
            err(e.reason_code(), &format!("{e}{id}"))
        }
        Ok(None) => err(ReasonCode::MALFORMED_PACKET, "incomplete packet"),
        Ok(Some((_, used))) if used < bytes.len() => err(
            ReasonCode::MALFORMED_PACKET,
            &format!("{} bytes after the first packet", bytes.len() - used),
        ),
        Ok(Some((packet, _))) => {
            // A CONNECT carries its own version; everything else is re-encoded as decoded.
            let encode_version = match &packet {
                Packet::Connect(connect) => connect.protocol,
                _ => version,
            };
            let mut encoded = BytesMut::new();
            match packet.encode(encode_version, &mut encoded) {
                Ok(_) => format!("ok {} {}", packet.packet_type().name(), to_hex(&encoded)),
                Err(e) => err(
                    ReasonCode::IMPLEMENTATION_SPECIFIC_ERROR,
                    &format!("decoded but cannot re-encode: {e}"),
                ),
            }
        }
    }
}

fn parse_hex(line: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = line.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err("odd number of hex digits".into());
    }
    digits
        .chunks(2)
        .map(|pair| {
            let text = std::str::from_utf8(pair).map_err(|_| "not hex".to_string())?;
            u8::from_str_radix(text, 16).map_err(|_| format!("not hex: {text:?}"))
        })
        .collect()
}

fn to_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A one-line summary of a packet.
fn describe(packet: &Packet) -> String {
    let mut s = String::from(packet.packet_type().name());
    let _ = match packet {
        Packet::Connect(c) => write!(
            s,
            " v{} client_id={:?} clean_start={} keep_alive={}{}{}{}{}",
            c.protocol,
            &*c.client_id,
            c.clean_start,
            c.keep_alive,
            c.will.as_ref().map_or(String::new(), |w| format!(
                " will(topic={:?} qos={} retain={} {}B{})",
                &*w.topic,
                w.qos as u8,
                w.retain,
                w.payload.len(),
                props(!w.properties.is_empty(), &w.properties)
            )),
            c.username
                .as_ref()
                .map_or(String::new(), |u| format!(" username={:?}", &**u)),
            if c.password.is_some() {
                " password=***"
            } else {
                ""
            },
            props(!c.properties.is_empty(), &c.properties),
        ),
        Packet::ConnAck(c) => write!(
            s,
            " session_present={} reason={}{}",
            c.session_present,
            reason(c.reason_code, PacketType::ConnAck),
            props(!c.properties.is_empty(), &c.properties)
        ),
        Packet::Publish(p) => write!(
            s,
            " topic={:?} qos={}{}{}{} payload={}B{}",
            &*p.topic,
            p.qos.qos() as u8,
            match p.qos {
                QosPid::AtMostOnce => String::new(),
                QosPid::AtLeastOnce(id) | QosPid::ExactlyOnce(id) => format!(" pid={id}"),
            },
            if p.retain { " retain" } else { "" },
            if p.dup { " dup" } else { "" },
            p.payload.len(),
            props(!p.properties.is_empty(), &p.properties)
        ),
        Packet::PubAck(a) | Packet::PubRec(a) | Packet::PubRel(a) | Packet::PubComp(a) => write!(
            s,
            " pid={} reason={}{}",
            a.pid,
            reason(a.reason_code, packet.packet_type()),
            props(!a.properties.is_empty(), &a.properties)
        ),
        Packet::Subscribe(p) => {
            let filters: Vec<String> = p
                .filters
                .iter()
                .map(|(f, o)| format!("{:?}@{}", &*f, o.qos as u8))
                .collect();
            write!(
                s,
                " pid={} filters=[{}]{}",
                p.pid,
                filters.join(", "),
                props(!p.properties.is_empty(), &p.properties)
            )
        }
        Packet::SubAck(p) => write!(
            s,
            " pid={} codes=[{}]{}",
            p.pid,
            reasons(&p.reason_codes, PacketType::SubAck),
            props(!p.properties.is_empty(), &p.properties)
        ),
        Packet::Unsubscribe(p) => {
            let filters: Vec<_> = p.filters.iter().collect();
            write!(
                s,
                " pid={} filters={filters:?}{}",
                p.pid,
                props(!p.properties.is_empty(), &p.properties)
            )
        }
        Packet::UnsubAck(p) => write!(
            s,
            " pid={} codes=[{}]{}",
            p.pid,
            reasons(&p.reason_codes, PacketType::UnsubAck),
            props(!p.properties.is_empty(), &p.properties)
        ),
        Packet::PingReq | Packet::PingResp => Ok(()),
        Packet::Disconnect(d) => write!(
            s,
            " reason={}{}",
            reason(d.reason_code, PacketType::Disconnect),
            props(!d.properties.is_empty(), &d.properties)
        ),
        Packet::Auth(a) => write!(
            s,
            " reason={}{}",
            reason(a.reason_code, PacketType::Auth),
            props(!a.properties.is_empty(), &a.properties)
        ),
    };
    s
}

/// A reason code with the name it has in this packet: `0x00 Granted QoS 0` in SUBACK.
fn reason(code: ReasonCode, packet: PacketType) -> String {
    match code.name_in(packet) {
        Some(name) => format!("0x{:02X} {name}", code.0),
        None => format!("0x{:02X}", code.0),
    }
}

fn reasons(codes: &[ReasonCode], packet: PacketType) -> String {
    let named: Vec<String> = codes.iter().map(|&c| reason(c, packet)).collect();
    named.join(", ")
}

fn props(present: bool, properties: &impl std::fmt::Display) -> String {
    if present {
        format!(" {properties}")
    } else {
        String::new()
    }
}
