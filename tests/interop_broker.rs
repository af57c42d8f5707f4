//! The broker example (`examples/broker.rs`) with real clients: Debian's `mosquitto_pub` and
//! `mosquitto_sub` (MQTT 3.1, 3.1.1 and 5.0), the Python paho-mqtt client
//! (`tests/interop/paho_cases.py`), the crate's own client example, and raw sockets for what no
//! well-behaved client does (garbage, half packets, a 256 MB Remaining Length, exceeding Receive
//! Maximum, not reading).
//!
//! Each test starts its own broker on a free port of 127.0.0.1 and kills it at the end. The
//! examples are built by the test (`cargo build --example broker --example client`, with this
//! test's features and profile).
//!
//! Without `mosquitto_pub`/`mosquitto_sub` on `PATH`, or without a Python that imports
//! `paho.mqtt` (`$MQTT_WIRE_PYTHON`, else `target/venv/bin/python`, which `.ci/run` makes with
//! `python3 -m venv target/venv && target/venv/bin/pip install paho-mqtt`), the tests that need
//! them say so on standard error and pass without running, except when the `CI` variable is
//! set: there they fail.

use mqtt_wire::session::StdClock;
use mqtt_wire::{BytesMut, Decoder, Packet, Version};
use std::collections::{BTreeSet, VecDeque};
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

/// The longest any single expected thing may take.
const WAIT: Duration = Duration::from_secs(10);
/// How long to keep listening for duplicates or unwanted messages.
const SETTLE: Duration = Duration::from_millis(700);

fn millis_since(clock: &StdClock) -> u64 {
    clock.now().as_millis()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A missing tool: skip (say so once per tool), or fail under CI.
fn missing(what: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what}: the interop tests must run in CI"
    );
    let _ = writeln!(
        std::io::stderr(),
        "interop_broker: {what}: those tests pass without running"
    );
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs a command to its end, at most 20 seconds.
fn finish(mut child: Child, what: &str) -> Output {
    let clock = StdClock::new();
    while child.try_wait().unwrap().is_none() {
        if millis_since(&clock) > 20_000 {
            child.kill().unwrap();
            panic!("{what} still runs after 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

// ------------------------------------------------------------------------------ the programs

struct Mosquitto {
    publisher: PathBuf,
    subscriber: PathBuf,
}

/// `mosquitto_pub` and `mosquitto_sub`; `None` (skip) when not installed.
fn mosquitto() -> Option<&'static Mosquitto> {
    static TOOLS: OnceLock<Option<Mosquitto>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let tools = on_path("mosquitto_pub").zip(on_path("mosquitto_sub")).map(
                |(publisher, subscriber)| Mosquitto {
                    publisher,
                    subscriber,
                },
            );
            if tools.is_none() {
                missing(
                    "mosquitto_pub or mosquitto_sub not found (apt-get install mosquitto-clients)",
                );
            }
            tools
        })
        .as_ref()
}

/// A Python with paho-mqtt; `None` (skip) when there is none.
fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Option<PathBuf>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let path = std::env::var_os("MQTT_WIRE_PYTHON").map_or_else(
                || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python"),
                PathBuf::from,
            );
            let works = Command::new(&path)
                .args(["-c", "import paho.mqtt.client"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !works {
                missing(&format!(
                    "{} cannot import paho.mqtt (python3 -m venv target/venv && \
                     target/venv/bin/pip install paho-mqtt, or set MQTT_WIRE_PYTHON)",
                    path.display()
                ));
            }
            works.then_some(path)
        })
        .as_deref()
}

struct Examples {
    broker: PathBuf,
    client: PathBuf,
}

/// The broker and client examples, built with this test's features and profile.
fn examples() -> &'static Examples {
    static EXAMPLES: OnceLock<Examples> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<this test> -> target/<profile>/examples/
        let profile_dir = exe.parent().and_then(Path::parent).unwrap();
        let mut features = vec!["broker"];
        for (on, name) in [
            (cfg!(feature = "std"), "std"),
            (cfg!(feature = "arbitrary"), "arbitrary"),
            (cfg!(feature = "tokio-util"), "tokio-util"),
        ] {
            if on {
                features.push(name);
            }
        }
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "--example",
                "broker",
                "--example",
                "client",
            ])
            .args(["--no-default-features", "--features", &features.join(",")])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let out = cargo.output().unwrap();
        assert!(
            out.status.success(),
            "cargo build --example broker --example client: {}",
            text(&out.stderr)
        );
        let path = |name: &str| {
            let path = profile_dir
                .join("examples")
                .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
            assert!(path.exists(), "{} is missing", path.display());
            path
        };
        Examples {
            broker: path("broker"),
            client: path("client"),
        }
    })
}

// ------------------------------------------------------------------------------ the broker

/// The broker example on its own port, killed when dropped (its log shown if the test failed).
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
}

static LOGS: AtomicUsize = AtomicUsize::new(0);

fn acl_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/acl")
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// The broker with more command-line arguments.
    fn start_with(args: &[&str]) -> Server {
        Server::start_wrapped(&[], args)
    }

    /// The broker run by `wrapper` (a command and its arguments, which runs the broker's
    /// command line after them), with more command-line arguments.
    fn start_wrapped(wrapper: &[&str], args: &[&str]) -> Server {
        let broker = &examples().broker;
        for _ in 0..5 {
            // A port the system just gave out, released for the broker. Another process may take
            // it in between: then the broker exits, and the next round picks another.
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let log = std::env::temp_dir().join(format!(
                "mqtt-wire-broker-{}-{}.log",
                std::process::id(),
                LOGS.fetch_add(1, Ordering::Relaxed)
            ));
            let mut command = match wrapper.split_first() {
                Some((program, wrapper_args)) => {
                    let mut command = Command::new(program);
                    command.args(wrapper_args).arg(broker);
                    command
                }
                None => Command::new(broker),
            };
            let child = command
                .args(["--port", &port.to_string()])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap();
            let mut server = Server { child, port, log };
            if server.wait_until_listening() {
                return server;
            }
        }
        panic!("the broker did not start on any of 5 ports");
    }

    /// True once the log says it listens; false when it exited first.
    fn wait_until_listening(&mut self) -> bool {
        let clock = StdClock::new();
        while millis_since(&clock) < WAIT.as_millis() as u64 {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if self.log().contains("listening on") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the broker does not listen on {} after {WAIT:?}", self.port);
    }

    fn log(&self) -> String {
        std::fs::read(&self.log).map_or_else(|e| e.to_string(), |b| text(&b))
    }

    /// Sends a signal (`TERM`, `INT`) to the broker.
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits at most `max` for the broker to exit.
    fn exited_within(&mut self, max: Duration) -> Option<ExitStatus> {
        let clock = StdClock::new();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if millis_since(&clock) > max.as_millis() as u64 {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The broker's resident memory, from `/proc` (Linux).
    fn rss_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    fn tcp(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream
    }

    // -------------------------------------------------------------------- mosquitto clients

    fn mosquitto_pub_command(&self, tools: &Mosquitto, args: &[&str]) -> Command {
        let mut command = Command::new(&tools.publisher);
        command
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `mosquitto_pub` to its end, checks that it succeeded, and returns its standard
    /// error (where `-d` writes).
    fn mosquitto_pub(&self, tools: &Mosquitto, args: &[&str]) -> String {
        let child = self
            .mosquitto_pub_command(tools, args)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let out = finish(child, "mosquitto_pub");
        assert!(
            out.status.success(),
            "mosquitto_pub {args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout) + &text(&out.stderr)
    }

    /// `mosquitto_pub -l`: one message per line of `lines`.
    fn mosquitto_pub_lines(&self, tools: &Mosquitto, args: &[&str], lines: &[String]) {
        let mut child = self
            .mosquitto_pub_command(tools, args)
            .arg("-l")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for line in lines {
            writeln!(stdin, "{line}").unwrap();
        }
        drop(stdin);
        let out = finish(child, "mosquitto_pub -l");
        assert!(
            out.status.success(),
            "mosquitto_pub -l: {}",
            text(&out.stderr)
        );
    }

    /// Runs `mosquitto_sub` with `args` to its end (for `-E`, `-C`, `-W`): standard output
    /// and error, and whether it succeeded.
    fn mosquitto_sub_once(&self, tools: &Mosquitto, args: &[&str]) -> (String, bool) {
        let child = Command::new(&tools.subscriber)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, "mosquitto_sub");
        (text(&out.stdout) + &text(&out.stderr), out.status.success())
    }

    // -------------------------------------------------------------------- paho

    /// Runs a case of `tests/interop/paho_cases.py` against this broker.
    fn paho(&self, python: &Path, version: &str, case: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/paho_cases.py");
        let child = Command::new(python)
            .arg(script)
            .args(["--port", &self.port.to_string(), "--version", version, case])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, "paho_cases.py");
        assert!(
            out.status.success(),
            "paho case {case} ({version}) failed:\n{}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout).trim(), format!("ok {case} {version}"));
    }

    // -------------------------------------------------------------------- the example client

    fn example(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&examples().client);
        command
            .args(&args[..1])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    fn example_pub(&self, args: &[&str]) {
        let mut all = vec!["pub"];
        all.extend_from_slice(args);
        let out = finish(self.example(&all).spawn().unwrap(), "client pub");
        assert!(
            out.status.success(),
            "client pub {args:?}: {}",
            text(&out.stderr)
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- broker log (port {}):\n{}", self.port, self.log());
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

// ------------------------------------------------------------------------------ mosquitto_sub

/// A message as `mosquitto_sub -F '%q %r %t %p'` prints it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Msg {
    qos: u8,
    retain: bool,
    topic: String,
    payload: String,
}

fn msg(qos: u8, retain: bool, topic: &str, payload: &str) -> Msg {
    Msg {
        qos,
        retain,
        topic: topic.into(),
        payload: payload.into(),
    }
}

fn parse_msg(line: &str) -> Option<Msg> {
    let mut parts = line.splitn(4, ' ');
    let qos = parts.next()?.parse().ok()?;
    let retain = parts.next()? == "1";
    let topic = parts.next()?.to_owned();
    let payload = parts.next().unwrap_or("").to_owned();
    Some(Msg {
        qos,
        retain,
        topic,
        payload,
    })
}

/// A running `mosquitto_sub`, killed when dropped.
struct Sub {
    child: Child,
    lines: mpsc::Receiver<String>,
    early: VecDeque<String>,
    probe: String,
}

static PROBES: AtomicUsize = AtomicUsize::new(0);

impl Sub {
    /// `mosquitto_sub` with `args` (`-V`, `-q`, `-t`, ...), returned once its subscriptions
    /// are in place: it also subscribes to a probe topic, published to until it comes through.
    fn start(server: &Server, tools: &Mosquitto, args: &[&str]) -> Sub {
        Sub::start_probing(server, tools, args, &[])
    }

    /// [`Sub::start`], with `probe_args` for the probes' `mosquitto_pub` (credentials).
    fn start_probing(
        server: &Server,
        tools: &Mosquitto,
        args: &[&str],
        probe_args: &[&str],
    ) -> Sub {
        let probe = format!("probe/{}", PROBES.fetch_add(1, Ordering::Relaxed));
        let mut child = Command::new(&tools.subscriber)
            .args(["-h", "127.0.0.1", "-p", &server.port.to_string()])
            .args(args)
            .args(["-t", &probe, "-F", "%q %r %t %p"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        let mut sub = Sub {
            child,
            lines,
            early: VecDeque::new(),
            probe,
        };
        let clock = StdClock::new();
        loop {
            assert!(
                millis_since(&clock) < WAIT.as_millis() as u64,
                "mosquitto_sub {args:?} did not subscribe within {WAIT:?}"
            );
            let mut pub_args = vec!["-t", &sub.probe, "-m", "probe"];
            pub_args.extend_from_slice(probe_args);
            server.mosquitto_pub(tools, &pub_args);
            while let Ok(line) = sub.lines.recv_timeout(Duration::from_millis(200)) {
                let probed = parse_msg(&line).is_some_and(|m| m.topic == sub.probe);
                if probed {
                    return sub;
                }
                sub.early.push_back(line);
            }
        }
    }

    /// The messages received (probes left out): waits for `want` of them, then listens for
    /// [`SETTLE`] more.
    fn messages(&mut self, want: usize) -> Vec<Msg> {
        let mut found = Vec::new();
        let clock = StdClock::new();
        let mut settle_until = None;
        loop {
            let now = millis_since(&clock);
            let limit = match settle_until {
                Some(end) => end,
                None if found.len() >= want => {
                    let end = now + SETTLE.as_millis() as u64;
                    settle_until = Some(end);
                    end
                }
                None => WAIT.as_millis() as u64,
            };
            let line = match self.early.pop_front() {
                Some(line) => line,
                None => {
                    let left = Duration::from_millis(limit.saturating_sub(now));
                    match self.lines.recv_timeout(left) {
                        Ok(line) if !left.is_zero() => line,
                        _ => break,
                    }
                }
            };
            if let Some(m) = parse_msg(&line)
                && m.topic != self.probe
            {
                found.push(m);
            }
        }
        found
    }
}

impl Drop for Sub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sorted(mut v: Vec<Msg>) -> Vec<Msg> {
    v.sort();
    v
}

/// `mosquitto_sub`'s and `mosquitto_pub`'s names of the versions.
const VERSIONS: [&str; 3] = ["mqttv31", "mqttv311", "mqttv5"];

// ------------------------------------------------------------------------------ mosquitto tests

/// QoS 0, 1 and 2 from `mosquitto_pub` to the broker and from the broker to `mosquitto_sub`,
/// every pair of versions: each message once, at the QoS of the publisher (the subscription
/// grants 2) or of the subscription (it grants 1).
#[test]
fn mosquitto_clients_qos_0_1_2_both_ways_every_version() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    for sub_version in VERSIONS {
        let mut sub2 = Sub::start(&server, tools, &["-V", sub_version, "-q", "2", "-t", "q/#"]);
        let mut sub1 = Sub::start(&server, tools, &["-V", sub_version, "-q", "1", "-t", "q/#"]);
        for pub_version in VERSIONS {
            for qos in ["0", "1", "2"] {
                let topic = format!("q/{pub_version}");
                let payload = format!("{sub_version}-{qos}");
                server.mosquitto_pub(
                    tools,
                    &["-V", pub_version, "-q", qos, "-t", &topic, "-m", &payload],
                );
            }
        }
        let want = |cap: u8| {
            let mut v = Vec::new();
            for pub_version in VERSIONS {
                for qos in 0..3u8 {
                    v.push(msg(
                        qos.min(cap),
                        false,
                        &format!("q/{pub_version}"),
                        &format!("{sub_version}-{qos}"),
                    ));
                }
            }
            sorted(v)
        };
        assert_eq!(sorted(sub2.messages(9)), want(2), "{sub_version}");
        assert_eq!(sorted(sub1.messages(9)), want(1), "{sub_version}");
    }
    let log = server.log();
    for version in ["MQTT 3.1,", "MQTT 3.1.1,", "MQTT 5.0,"] {
        assert!(log.contains(version), "{version} in the log:\n{log}");
    }
}

/// Retained messages reach later subscribers with RETAIN 1, once; `-r -n` deletes them.
#[test]
fn mosquitto_clients_retained_messages_and_their_deletion() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    for version in VERSIONS {
        let topic = format!("keep/{version}");
        server.mosquitto_pub(
            tools,
            &["-V", version, "-q", "1", "-r", "-t", &topic, "-m", "kept"],
        );
        let mut sub = Sub::start(&server, tools, &["-V", version, "-q", "1", "-t", "keep/#"]);
        assert_eq!(sub.messages(1), [msg(1, true, &topic, "kept")], "{version}");
        // A live copy has RETAIN 0.
        server.mosquitto_pub(
            tools,
            &["-V", version, "-q", "1", "-r", "-t", &topic, "-m", "new"],
        );
        assert_eq!(sub.messages(1), [msg(1, false, &topic, "new")], "{version}");
        server.mosquitto_pub(tools, &["-V", version, "-q", "1", "-r", "-t", &topic, "-n"]);
        assert_eq!(sub.messages(1), [msg(1, false, &topic, "")], "{version}");
        let (out, _) = server.mosquitto_sub_once(
            tools,
            &["-V", version, "-t", &topic, "-W", "1", "-F", "%t %p"],
        );
        assert!(!out.contains(&topic), "{version}: deleted, yet: {out}");
    }
}

/// A `mosquitto_sub` killed with SIGKILL (no DISCONNECT) has its will published; on 5.0 with a
/// Will Delay Interval, only after the delay.
#[test]
fn mosquitto_clients_wills_with_delay_on_5() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    let mut watch = Sub::start(&server, tools, &["-V", "mqttv5", "-q", "1", "-t", "will/#"]);
    for version in VERSIONS {
        let topic = format!("will/{version}");
        let dying = Sub::start(
            &server,
            tools,
            &[
                "-V",
                version,
                "-t",
                "nothing",
                "--will-topic",
                &topic,
                "--will-payload",
                "gone",
            ]
            .into_iter()
            .chain(["--will-qos", "1"])
            .collect::<Vec<_>>(),
        );
        drop(dying); // SIGKILL
        assert_eq!(
            watch.messages(1),
            [msg(1, false, &topic, "gone")],
            "{version}"
        );
    }
    let delayed = Sub::start(
        &server,
        tools,
        &[
            "-V",
            "mqttv5",
            "-t",
            "nothing",
            "--will-topic",
            "will/delayed",
            "--will-payload",
            "late",
            "-D",
            "will",
            "will-delay-interval",
            "2",
            "-D",
            "connect",
            "session-expiry-interval",
            "30",
        ],
    );
    let clock = StdClock::new();
    drop(delayed);
    let early = watch.messages(0);
    assert_eq!(early, [], "nothing before the delay");
    let got = watch.messages(1);
    let waited = millis_since(&clock);
    assert_eq!(got, [msg(0, false, "will/delayed", "late")]);
    assert!((1_800..=4_500).contains(&waited), "after {waited} ms");
}

/// A persistent session (`-c`) keeps its subscription while the client is away and gets the
/// QoS 1 and 2 messages published meanwhile when it comes back (QoS 0 ones are not queued).
#[test]
fn mosquitto_clients_persistent_session_gets_what_was_queued() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    for version in VERSIONS {
        let id = format!("persistent-{version}");
        let topic = format!("queued/{version}");
        let (out, ok) = server.mosquitto_sub_once(
            tools,
            &[
                "-V", version, "-c", "-i", &id, "-q", "2", "-t", &topic, "-E",
            ],
        );
        assert!(ok, "{version}: {out}");
        for (qos, payload) in [("1", "one"), ("2", "two"), ("0", "zero")] {
            server.mosquitto_pub(
                tools,
                &["-V", version, "-q", qos, "-t", &topic, "-m", payload],
            );
        }
        let (out, ok) = server.mosquitto_sub_once(
            tools,
            &[
                "-V",
                version,
                "-c",
                "-i",
                &id,
                "-q",
                "2",
                "-t",
                &topic,
                "-C",
                "2",
                "-W",
                "5",
                "-F",
                "%q %r %t %p",
            ],
        );
        assert!(ok, "{version}: {out}");
        let got: Vec<Msg> = out.lines().filter_map(parse_msg).collect();
        assert_eq!(
            sorted(got),
            [msg(1, false, &topic, "one"), msg(2, false, &topic, "two")],
            "{version}"
        );
    }
}

/// Overlapping and wildcard subscriptions of one client: one copy of each message, at the
/// highest QoS granted among them.
#[test]
fn mosquitto_clients_overlapping_and_wildcard_subscriptions() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    for version in ["mqttv311", "mqttv5"] {
        let mut sub = Sub::start(
            &server,
            tools,
            &[
                "-V", version, "-q", "2", "-t", "o/#", "-t", "o/+/c", "-t", "+/b/c", "-t", "o/b/c",
            ],
        );
        for topic in ["o/b/c", "o/x/c", "o/x", "o"] {
            server.mosquitto_pub(tools, &["-V", version, "-q", "2", "-t", topic, "-m", topic]);
        }
        server.mosquitto_pub(tools, &["-V", version, "-t", "p/b/x", "-m", "no"]);
        let got = sorted(sub.messages(4));
        let want: Vec<Msg> = ["o", "o/b/c", "o/x", "o/x/c"]
            .into_iter()
            .map(|t| msg(2, false, t, t))
            .collect();
        assert_eq!(got, want, "{version}");
    }
}

/// Topics beginning with `$` are not matched by `#` or `+/...`, only by filters that name
/// their first level.
#[test]
fn mosquitto_clients_dollar_topics() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    let mut wild = Sub::start(&server, tools, &["-t", "#", "-t", "+/state"]);
    let mut dollar = Sub::start(&server, tools, &["-t", "$app/#"]);
    server.mosquitto_pub(tools, &["-t", "$app/state", "-m", "dollar"]);
    server.mosquitto_pub(tools, &["-t", "app/state", "-m", "plain"]);
    assert_eq!(dollar.messages(1), [msg(0, false, "$app/state", "dollar")]);
    let got = wild.messages(1);
    assert_eq!(
        got.into_iter()
            .filter(|m| !m.topic.starts_with("probe/"))
            .collect::<Vec<_>>(),
        [msg(0, false, "app/state", "plain")]
    );
}

/// Shared subscriptions (`$share/...`, 5.0): each message to one member of the group, every
/// member gets some; an ordinary subscription gets them all.
#[test]
fn mosquitto_clients_shared_subscriptions() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    let mut members: Vec<Sub> = (0..2)
        .map(|_| {
            Sub::start(
                &server,
                tools,
                &["-V", "mqttv5", "-q", "1", "-t", "$share/g/jobs/#"],
            )
        })
        .collect();
    let mut all = Sub::start(&server, tools, &["-V", "mqttv5", "-q", "1", "-t", "jobs/#"]);
    let lines: Vec<String> = (0..20).map(|i| i.to_string()).collect();
    server.mosquitto_pub_lines(tools, &["-V", "mqttv5", "-q", "1", "-t", "jobs/x"], &lines);
    assert_eq!(all.messages(20).len(), 20);
    let clock = StdClock::new();
    let mut got: Vec<Vec<Msg>> = members.iter_mut().map(|m| m.messages(0)).collect();
    while got.iter().map(Vec::len).sum::<usize>() < 20 && millis_since(&clock) < 10_000 {
        for (m, g) in members.iter_mut().zip(got.iter_mut()) {
            g.extend(m.messages(0));
        }
    }
    let payloads: BTreeSet<u32> = got
        .iter()
        .flatten()
        .map(|m| m.payload.parse().unwrap())
        .collect();
    assert_eq!(got.iter().map(Vec::len).sum::<usize>(), 20, "{got:?}");
    assert_eq!(payloads, (0..20).collect(), "each once");
    assert!(got.iter().all(|g| !g.is_empty()), "each member: {got:?}");
}

/// Topic aliases from `mosquitto_pub -D publish topic-alias 1 -l` (5.0): the first message
/// sets the alias, the next ones carry an empty topic.
#[test]
fn mosquitto_clients_topic_alias_from_the_client() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start_with(&["-v"]);
    let mut sub = Sub::start(
        &server,
        tools,
        &["-V", "mqttv5", "-q", "1", "-t", "alias/#"],
    );
    let lines: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
    server.mosquitto_pub_lines(
        tools,
        &[
            "-V",
            "mqttv5",
            "-q",
            "1",
            "-t",
            "alias/t",
            "-D",
            "publish",
            "topic-alias",
            "1",
        ],
        &lines,
    );
    let got = sub.messages(3);
    assert_eq!(
        got,
        ["a", "b", "c"]
            .map(|p| msg(1, false, "alias/t", p))
            .to_vec()
    );
    // The client did use the alias alone (the broker's -v log shows the packets).
    assert!(
        server
            .log()
            .contains("topic: \"\", properties: [(TopicAlias, Int(1))]")
    );
}

/// Message Expiry Interval (5.0): a message queued for an absent session past its expiry is
/// not delivered.
#[test]
fn mosquitto_clients_message_expiry() {
    let Some(tools) = mosquitto() else { return };
    let server = Server::start();
    let (out, ok) = server.mosquitto_sub_once(
        tools,
        &[
            "-V", "mqttv5", "-c", "-i", "expiring", "-q", "1", "-t", "exp/#", "-E",
        ],
    );
    assert!(ok, "{out}");
    let expiring = ["-D", "publish", "message-expiry-interval"];
    server.mosquitto_pub(
        tools,
        &[
            &["-V", "mqttv5", "-q", "1", "-t", "exp/a", "-m", "short"],
            &expiring[..],
            &["1"],
        ]
        .concat(),
    );
    server.mosquitto_pub(
        tools,
        &[
            &["-V", "mqttv5", "-q", "1", "-t", "exp/b", "-m", "long"],
            &expiring[..],
            &["60"],
        ]
        .concat(),
    );
    std::thread::sleep(Duration::from_millis(2_200));
    let (out, _) = server.mosquitto_sub_once(
        tools,
        &[
            "-V",
            "mqttv5",
            "-c",
            "-i",
            "expiring",
            "-q",
            "1",
            "-t",
            "exp/#",
            "-W",
            "2",
            "-F",
            "%q %r %t %p",
        ],
    );
    let got: Vec<Msg> = out.lines().filter_map(parse_msg).collect();
    assert_eq!(got, [msg(1, false, "exp/b", "long")], "{out}");
}

/// The ACL file (tests/interop/acl) with `mosquitto_sub -d` and `mosquitto_pub -d`: a refused
/// subscription gets 0x87 (5.0) or 0x80 (3.1, 3.1.1) in SUBACK, a refused QoS 1 PUBLISH PUBACK
/// 0x87 (5.0) and is not delivered; a subscriber only gets what it may read.
#[test]
fn mosquitto_clients_acl_file() {
    let Some(tools) = mosquitto() else { return };
    let acl = acl_file();
    let server = Server::start_with(&["--acl-file", acl.to_str().unwrap()]);
    for (version, refused) in [("mqttv31", 128), ("mqttv311", 128), ("mqttv5", 135)] {
        let (out, _) = server.mosquitto_sub_once(
            tools,
            &[
                "-V", version, "-u", "alice", "-d", "-W", "1", "-t", "secret/#", "-t", "alice/#",
            ],
        );
        assert!(
            out.contains(&format!("Subscribed (mid: 1): {refused}, 0")),
            "{version}: {out}"
        );
    }
    let mut admin = Sub::start_probing(
        &server,
        tools,
        &["-V", "mqttv5", "-u", "admin", "-q", "1", "-t", "#"],
        &["-u", "admin"],
    );
    let mut alice = Sub::start_probing(
        &server,
        tools,
        &[
            "-V", "mqttv311", "-u", "alice", "-q", "1", "-t", "alice/#", "-t", "public/#",
        ],
        &["-u", "alice"],
    );
    // Alice may read public/# but not write it.
    let out = server.mosquitto_pub(
        tools,
        &[
            "-V", "mqttv5", "-u", "alice", "-d", "-q", "1", "-t", "public/x", "-m", "by alice",
        ],
    );
    assert!(out.contains("received PUBACK (Mid: 1, RC:135)"), "{out}");
    server.mosquitto_pub(
        tools,
        &[
            "-V", "mqttv311", "-u", "alice", "-q", "1", "-t", "public/y", "-m", "by alice",
        ],
    );
    // Alice reads alice/# except alice/secret.
    for (topic, payload) in [
        ("alice/inbox", "for alice"),
        ("alice/secret", "not for alice"),
    ] {
        server.mosquitto_pub(
            tools,
            &["-u", "admin", "-q", "1", "-t", topic, "-m", payload],
        );
    }
    assert_eq!(
        alice
            .messages(1)
            .into_iter()
            .filter(|m| !m.topic.starts_with("probe/"))
            .collect::<Vec<_>>(),
        [msg(1, false, "alice/inbox", "for alice")]
    );
    let seen: Vec<Msg> = admin
        .messages(2)
        .into_iter()
        .filter(|m| !m.topic.starts_with("probe/"))
        .collect();
    assert_eq!(
        seen,
        [
            msg(1, false, "alice/inbox", "for alice"),
            msg(1, false, "alice/secret", "not for alice")
        ]
    );
    // Pattern: a client writes its own subtree only.
    server.mosquitto_pub(
        tools,
        &["-i", "dev7", "-t", "clients/dev7/state", "-m", "mine"],
    );
    server.mosquitto_pub(
        tools,
        &["-i", "dev7", "-t", "clients/dev8/state", "-m", "other"],
    );
    let seen: Vec<Msg> = admin
        .messages(1)
        .into_iter()
        .filter(|m| !m.topic.starts_with("probe/"))
        .collect();
    assert_eq!(seen, [msg(0, false, "clients/dev7/state", "mine")]);
}

// ------------------------------------------------------------------------------ paho

macro_rules! paho_cases {
    ($($name:ident: $version:literal $case:literal $($arg:literal)*;)*) => {$(
        #[test]
        fn $name() {
            let Some(python) = python() else { return };
            let server = Server::start_with(&[$($arg),*]);
            server.paho(python, $version, $case);
        }
    )*};
}

paho_cases! {
    paho_qos_0_1_2_both_ways_v3_1_1: "3.1.1" "qos";
    paho_qos_0_1_2_both_ways_v5: "5" "qos";
    paho_retained_messages_and_their_deletion_v3_1_1: "3.1.1" "retained";
    paho_retained_messages_and_their_deletion_v5: "5" "retained";
    paho_will_on_a_lost_connection_v3_1_1: "3.1.1" "will";
    paho_will_on_a_lost_connection_v5: "5" "will";
    paho_will_delay_v5: "5" "will_delay";
    paho_persistent_session_with_messages_queued_offline_v3_1_1: "3.1.1" "persistent";
    paho_persistent_session_with_messages_queued_offline_v5: "5" "persistent";
    paho_session_takeover_v3_1_1: "3.1.1" "takeover";
    paho_session_takeover_v5: "5" "takeover";
    paho_overlapping_and_wildcard_subscriptions_v3_1_1: "3.1.1" "overlap";
    paho_overlapping_and_wildcard_subscriptions_v5: "5" "overlap";
    paho_dollar_topics_v3_1_1: "3.1.1" "dollar";
    paho_dollar_topics_v5: "5" "dollar";
    paho_shared_subscriptions_v5: "5" "shared";
    paho_topic_aliases_from_the_client_v5: "5" "alias";
    paho_subscription_identifiers_v5: "5" "subscription_ids";
    paho_message_expiry_v5: "5" "expiry";
    paho_keep_alive_expiry_v3_1_1: "3.1.1" "keepalive";
    paho_keep_alive_expiry_v5: "5" "keepalive";
    paho_acl_file_v3_1_1: "3.1.1" "acl" "--acl-file" "tests/interop/acl";
    paho_acl_file_v5: "5" "acl" "--acl-file" "tests/interop/acl";
    paho_client_exceeding_receive_maximum_is_disconnected_v5: "5" "receive_maximum" "--receive-maximum" "2";
}

// ------------------------------------------------------------------------------ example client

/// The crate's client example through the broker: QoS 0, 1 and 2 both ways on 3.1, 3.1.1
/// and 5.0, a retained message first (which also shows the subscription is in place), a
/// persistent session's queue, and a will.
#[test]
fn example_client_publishes_and_subscribes_through_the_broker() {
    let server = Server::start();
    for version in ["3.1", "3.1.1", "5"] {
        let base = format!("ex/{version}");
        server.example_pub(&[
            "-V",
            version,
            "-q",
            "1",
            "-r",
            "-t",
            &format!("{base}/ready"),
            "-m",
            "ready",
        ]);
        let sub = server
            .example(&[
                "sub",
                "-V",
                version,
                "-q",
                "2",
                "-t",
                &format!("{base}/#"),
                "-v",
                "-C",
                "4",
                "-W",
                "10",
            ])
            .spawn()
            .unwrap();
        let mut sub = sub;
        // The retained message is the first line: the subscription is in place.
        let mut lines = BufReader::new(sub.stdout.take().unwrap()).lines();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            format!("{base}/ready ready"),
            "{version}"
        );
        for qos in ["0", "1", "2"] {
            server.example_pub(&[
                "-V",
                version,
                "-q",
                qos,
                "-t",
                &format!("{base}/{qos}"),
                "-m",
                qos,
            ]);
        }
        let rest: Vec<String> = lines.map(Result::unwrap).collect();
        let out = finish(sub, "client sub");
        assert!(out.status.success(), "{version}: {}", text(&out.stderr));
        assert_eq!(
            rest,
            ["0", "1", "2"].map(|q| format!("{base}/{q} {q}")),
            "{version}"
        );
    }
    // A persistent session: subscribe, leave, messages queue, come back.
    let sub = |count: &str| {
        server
            .example(&[
                "sub", "-V", "5", "-c", "-i", "ex-keep", "-q", "1", "-t", "exq/#", "-C", count,
                "-W", "3",
            ])
            .spawn()
            .unwrap()
    };
    // -C 0 would wait forever: subscribe, then time out (status 1) with the session stored.
    let out = finish(sub("1"), "client sub");
    assert!(!out.status.success(), "nothing came: {}", text(&out.stdout));
    server.example_pub(&["-V", "5", "-q", "1", "-t", "exq/a", "-m", "queued"]);
    let out = finish(sub("1"), "client sub");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "queued\n");
    // A will: the client killed (no DISCONNECT) while a watcher listens.
    server.example_pub(&["-r", "-t", "exw/ready", "-m", "ready"]);
    let mut watch = server
        .example(&["sub", "-V", "5", "-t", "exw/#", "-v", "-C", "2", "-W", "10"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "exw/ready ready");
    let mut dying = server
        .example(&[
            "sub",
            "-V",
            "3.1.1",
            "-i",
            "ex-dying",
            "-t",
            "nothing",
            "--will-topic",
            "exw/will",
            "--will-payload",
            "bye",
        ])
        .spawn()
        .unwrap();
    wait_for_log(&server, "connected: client \"ex-dying\"");
    dying.kill().unwrap();
    let _ = dying.wait();
    assert_eq!(lines.next().unwrap().unwrap(), "exw/will bye");
    let out = finish(watch, "client sub");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Waits until the broker's log has a line that contains `what`.
fn wait_for_log(server: &Server, what: &str) {
    let clock = StdClock::new();
    while !server.log().contains(what) {
        assert!(
            millis_since(&clock) < 10_000,
            "{what:?} in\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ------------------------------------------------------------------------------ raw sockets

/// A CONNECT: `version` 4 (3.1.1) or 5, clean start, the keep alive, the client identifier.
fn connect_bytes(version: u8, keep_alive: u16, client_id: &str) -> Vec<u8> {
    let mut body = vec![0, 4, b'M', b'Q', b'T', b'T', version, 0x02];
    body.extend_from_slice(&keep_alive.to_be_bytes());
    if version == 5 {
        body.push(0); // no properties
    }
    body.extend_from_slice(&(client_id.len() as u16).to_be_bytes());
    body.extend_from_slice(client_id.as_bytes());
    let mut packet = vec![0x10, body.len() as u8];
    packet.extend(body);
    packet
}

/// Reads until the broker closes the connection or `max` passes: the bytes, and whether it
/// closed.
fn read_until_closed(stream: &mut TcpStream, max: Duration) -> (Vec<u8>, bool) {
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let clock = StdClock::new();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while millis_since(&clock) < max.as_millis() as u64 {
        match stream.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

/// A raw connection that completed its CONNECT (CONNACK read).
fn raw_connected(server: &Server, version: u8, keep_alive: u16, id: &str) -> TcpStream {
    let mut s = server.tcp();
    s.write_all(&connect_bytes(version, keep_alive, id))
        .unwrap();
    let mut connack = [0u8; 4];
    s.read_exact(&mut connack[..if version == 5 { 3 } else { 4 }])
        .unwrap();
    assert_eq!(connack[0], 0x20);
    if version == 5 {
        // 5.0 CONNACK: length, flags, reason, properties.
        let mut rest = vec![0u8; connack[1] as usize - 1];
        s.read_exact(&mut rest).unwrap();
        assert_eq!(rest[0], 0, "accepted");
    }
    s
}

/// Clients that send garbage, half a packet, or a 256 MB Remaining Length are disconnected;
/// a subscriber and a publisher connected meanwhile are not affected.
#[test]
fn bad_clients_are_disconnected_without_affecting_others() {
    let server = Server::start();
    let mut sub = raw_connected(&server, 4, 0, "good-sub");
    // SUBSCRIBE pid 1, "ok/#", QoS 0.
    sub.write_all(b"\x82\x09\x00\x01\x00\x04ok/#\x00").unwrap();
    let mut suback = [0u8; 5];
    sub.read_exact(&mut suback).unwrap();
    assert_eq!(suback, *b"\x90\x03\x00\x01\x00");

    // Garbage instead of CONNECT.
    let mut garbage = server.tcp();
    garbage.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    assert!(read_until_closed(&mut garbage, WAIT).1, "garbage");
    // A CONNECT announcing 256 MB.
    let mut huge_connect = server.tcp();
    huge_connect
        .write_all(b"\x10\xff\xff\xff\x7f\x00\x04MQTT")
        .unwrap();
    assert!(read_until_closed(&mut huge_connect, WAIT).1, "huge CONNECT");
    // A PUBLISH announcing 256 MB after a good CONNECT: 5.0 DISCONNECT 0x95 Packet too large.
    let mut huge = raw_connected(&server, 5, 0, "huge");
    huge.write_all(b"\x30\xff\xff\xff\x7f\x00\x01t").unwrap();
    let (bytes, closed) = read_until_closed(&mut huge, WAIT);
    assert!(closed, "huge PUBLISH");
    assert!(
        bytes.first() == Some(&0xe0) && bytes.get(2) == Some(&0x95),
        "{bytes:x?}"
    );
    // Half a PUBLISH, then silence: keep alive 1 s ends it after 1.5 s.
    let mut half = raw_connected(&server, 4, 1, "half");
    half.write_all(b"\x30\x10\x00\x04ok/x").unwrap();
    let clock = StdClock::new();
    assert!(read_until_closed(&mut half, WAIT).1, "half a packet");
    let waited = millis_since(&clock);
    assert!((1_400..4_000).contains(&waited), "closed after {waited} ms");
    // Half a CONNECT: the connect timeout (10 s) ends it.
    let mut half_connect = server.tcp();
    half_connect.write_all(b"\x10\x20\x00\x04MQ").unwrap();
    assert!(
        read_until_closed(&mut half_connect, WAIT + WAIT).1,
        "half a CONNECT"
    );

    // The others did not notice.
    let mut publisher = raw_connected(&server, 4, 0, "good-pub");
    publisher.write_all(b"\x30\x08\x00\x04ok/xhi").unwrap();
    let mut delivered = [0u8; 10];
    sub.read_exact(&mut delivered).unwrap();
    assert_eq!(&delivered, b"\x30\x08\x00\x04ok/xhi");
    let log = server.log();
    for id in ["good-sub", "good-pub"] {
        assert!(
            !log.contains(&format!("client \"{id}\": ")),
            "{id} disconnected:\n{log}"
        );
    }
}

/// A client that exceeds the broker's Receive Maximum (three QoS 2 PUBLISHes without PUBREL
/// against 2) is disconnected with 0x93 (5.0).
#[test]
fn a_client_exceeding_receive_maximum_is_disconnected() {
    let server = Server::start_with(&["--receive-maximum", "2"]);
    let mut s = server.tcp();
    s.write_all(&connect_bytes(5, 0, "greedy")).unwrap();
    // CONNACK announcing Receive Maximum 2.
    let mut head = [0u8; 2];
    s.read_exact(&mut head).unwrap();
    let mut connack = head.to_vec();
    connack.resize(2 + usize::from(head[1]), 0);
    s.read_exact(&mut connack[2..]).unwrap();
    let mut decoder = Decoder::new(Version::V5);
    let mut buf = BytesMut::from(&connack[..]);
    let Some(Packet::ConnAck(connack)) = decoder.decode(&mut buf).unwrap() else {
        panic!("no CONNACK")
    };
    assert_eq!(connack.properties.receive_maximum(), Some(2));
    for pid in 1..=3u8 {
        s.write_all(&[0x34, 0x07, 0x00, 0x01, b'r', 0x00, pid, 0x00, b'x'])
            .unwrap();
    }
    let (bytes, closed) = read_until_closed(&mut s, WAIT);
    assert!(closed);
    // DISCONNECT 0x93 Receive Maximum exceeded, after the PUBRECs of the first two that were
    // written before the third PUBLISH was read (the rest go with the connection).
    let mut buf = BytesMut::from(&bytes[..]);
    let mut packets = Vec::new();
    while let Some(p) = decoder.decode(&mut buf).unwrap() {
        packets.push(p);
    }
    let Some((Packet::Disconnect(d), before)) = packets.split_last() else {
        panic!("{packets:?}")
    };
    assert_eq!(d.reason_code.0, 0x93, "{packets:?}");
    assert!(
        before.iter().all(|p| matches!(p, Packet::PubRec(_))),
        "{packets:?}"
    );
}

/// A subscriber that stops reading while 20 MB are published to its topic: the broker keeps
/// serving a subscriber that reads (every message arrives; the publisher sends 200 at a time,
/// as fast as that one takes them) and its memory stays bounded (the stalled client's queue
/// drops its oldest QoS 0 messages).
#[test]
fn a_client_that_stops_reading_does_not_stall_the_others() {
    const MESSAGES: usize = 20_000;
    const BATCH: usize = 200;
    let server = Server::start();
    let subscribe = b"\x82\x0c\x00\x01\x00\x07flood/#\x00";
    let mut stalled = raw_connected(&server, 4, 0, "stalled");
    stalled.write_all(subscribe).unwrap();
    let mut reader = raw_connected(&server, 4, 0, "reader");
    reader.write_all(subscribe).unwrap();
    let mut suback = [0u8; 5];
    stalled.read_exact(&mut suback).unwrap();
    reader.read_exact(&mut suback).unwrap();
    // `stalled` never reads again.

    // Remaining Length 2 + 7 + 1024 = 1033: 0x89 0x08.
    let mut packet = vec![0x30, 0x89, 0x08, 0x00, 0x07];
    packet.extend_from_slice(b"flood/x");
    packet.extend_from_slice(&[b'x'; 1024]);
    assert_eq!(packet.len() - 3, 1033);
    let batch = packet.repeat(BATCH);
    let mut publisher = raw_connected(&server, 4, 0, "flooder");
    let mut decoder = Decoder::new(Version::V3_1_1);
    let mut buf = BytesMut::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let mut received = 0;
    let clock = StdClock::new();
    while received < MESSAGES {
        publisher.write_all(&batch).unwrap();
        let want = received + BATCH;
        while received < want {
            assert!(
                millis_since(&clock) < 60_000,
                "{received} of {MESSAGES} after 60 s"
            );
            let n = reader.read(&mut chunk).unwrap();
            assert!(n > 0, "the reader was disconnected after {received}");
            buf.extend_from_slice(&chunk[..n]);
            while let Some(p) = decoder.decode(&mut buf).unwrap() {
                assert!(matches!(p, Packet::Publish(_)));
                received += 1;
            }
        }
    }
    assert_eq!(received, MESSAGES);
    let rss = server.rss_bytes().unwrap_or(0);
    assert!(
        rss < 200 << 20,
        "the broker holds {} MiB after {MESSAGES} KiB to a stalled reader",
        rss >> 20
    );
    let _ = writeln!(
        std::io::stderr(),
        "interop_broker: {MESSAGES} KiB published past a stalled reader in {} ms; broker RSS {} KiB",
        millis_since(&clock),
        rss / 1024
    );
    drop(stalled);
}

/// `--max-connections 2`: a third connection is closed at once; once one of the two is gone,
/// another is let in.
#[test]
fn max_connections_closes_the_ones_beyond() {
    let server = Server::start_with(&["--max-connections", "2"]);
    let first = raw_connected(&server, 4, 0, "first");
    let _second = raw_connected(&server, 5, 0, "second");
    let mut third = server.tcp();
    let _ = third.write_all(&connect_bytes(4, 0, "third"));
    let (bytes, closed) = read_until_closed(&mut third, WAIT);
    assert!(closed && bytes.is_empty(), "{bytes:?}");
    assert!(server.log().contains("refused: --max-connections 2"));
    drop(first);
    wait_for_log(&server, "first\": the connection closed");
    let _fourth = raw_connected(&server, 4, 0, "fourth");
}

/// SIGTERM and SIGINT stop the broker at once, with connections open, and it exits with 0.
#[test]
fn sigterm_and_sigint_stop_the_broker_at_once() {
    for signal in ["TERM", "INT"] {
        let mut server = Server::start();
        let mut client = raw_connected(&server, 4, 30, "connected");
        let clock = StdClock::new();
        server.signal(signal);
        let status = server.exited_within(Duration::from_secs(2));
        let took = millis_since(&clock);
        assert!(
            status.is_some_and(|s| s.success()),
            "SIG{signal}: {status:?}"
        );
        assert!(took < 1_000, "SIG{signal}: {took} ms");
        assert!(read_until_closed(&mut client, WAIT).1);
        assert!(server.log().contains("stopping"), "{}", server.log());
    }
}

/// One line per connection event on standard error; `-v` adds every packet both ways.
#[test]
fn the_log_has_a_line_per_connection_event_and_packets_with_v() {
    let server = Server::start_with(&["-v"]);
    let mut s = raw_connected(&server, 4, 0, "logged");
    s.write_all(b"\xc0\x00").unwrap(); // PINGREQ
    let mut pingresp = [0u8; 2];
    s.read_exact(&mut pingresp).unwrap();
    assert_eq!(pingresp, *b"\xd0\x00");
    s.write_all(b"\xe0\x00").unwrap(); // DISCONNECT
    assert!(read_until_closed(&mut s, WAIT).1);
    wait_for_log(&server, " closed: ");
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    let find = |what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("{what:?} in\n{log}"))
    };
    let order = [
        find(" accepted"),
        find("<- Connect("),
        find("-> ConnAck("),
        find("connected: client \"logged\", MQTT 3.1.1, session present 0"),
        find("<- PingReq"),
        find("-> PingResp"),
        find("<- Disconnect("),
        find("disconnected: client \"logged\""),
        find(" closed: "),
    ];
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}\n{log}");
}

/// Thousands of idle connections: the broker accepts them, serves a publish to a subscriber
/// among them promptly, and reports the memory each costs.
#[test]
fn two_thousand_idle_connections_cost_only_memory() {
    const IDLE: usize = 2_000;
    let server = Server::start();
    let before = server.rss_bytes();
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|i| {
            let mut s = server.tcp();
            s.write_all(&connect_bytes(4, 0, &format!("idle-{i}")))
                .unwrap();
            s
        })
        .collect();
    for mut s in &idle {
        let mut connack = [0u8; 4];
        s.read_exact(&mut connack).unwrap();
        assert_eq!(connack, *b"\x20\x02\x00\x00");
    }
    let after = server.rss_bytes();
    let mut sub = raw_connected(&server, 4, 0, "busy-sub");
    sub.write_all(b"\x82\x06\x00\x01\x00\x01b\x00").unwrap();
    let mut suback = [0u8; 5];
    sub.read_exact(&mut suback).unwrap();
    let mut publisher = raw_connected(&server, 4, 0, "busy-pub");
    let clock = StdClock::new();
    for _ in 0..100 {
        publisher.write_all(b"\x30\x04\x00\x01bx").unwrap();
        let mut got = [0u8; 6];
        sub.read_exact(&mut got).unwrap();
    }
    let took = millis_since(&clock);
    assert!(took < 5_000, "100 round trips took {took} ms");
    if let (Some(before), Some(after)) = (before, after) {
        let per = after.saturating_sub(before) / IDLE as u64;
        let _ = writeln!(
            std::io::stderr(),
            "interop_broker: {IDLE} idle connections: {per} bytes each (RSS {} -> {} KiB)",
            before / 1024,
            after / 1024
        );
        assert!(per < 64 * 1024, "{per} bytes per idle connection");
    }
    drop(idle);
}

/// Out of file descriptors (the broker runs with 64 at most), `accept` fails and the clients
/// beyond wait in the listener's backlog; once some connections close, the broker accepts the
/// one that waited, although no new connection arrives to wake its listener, and says once in
/// its log that accepting failed.
#[test]
fn accepts_again_after_running_out_of_file_descriptors() {
    let Some(prlimit) = on_path("prlimit") else {
        missing("prlimit not found (util-linux)");
        return;
    };
    let prlimit = prlimit.to_str().unwrap();
    let server = Server::start_wrapped(&[prlimit, "--nofile=64:64", "--"], &[]);
    let mut connected = Vec::new();
    let mut waiting = None;
    for i in 0..200 {
        let mut s = server.tcp();
        s.write_all(&connect_bytes(4, 0, &format!("fd-{i}")))
            .unwrap();
        s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let mut connack = [0u8; 4];
        match s.read_exact(&mut connack) {
            Ok(()) => {
                assert_eq!(connack, *b"\x20\x02\x00\x00");
                connected.push(s);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                waiting = Some(s);
                break;
            }
            Err(e) => panic!("connection {i}: {e}\n{}", server.log()),
        }
    }
    let mut waiting = waiting.expect("200 connections accepted with 64 file descriptors");
    assert!(connected.len() >= 40, "{} accepted", connected.len());
    connected.truncate(connected.len() - 5);
    waiting.set_read_timeout(Some(WAIT)).unwrap();
    let mut connack = [0u8; 4];
    waiting
        .read_exact(&mut connack)
        .unwrap_or_else(|e| panic!("the waiting client: {e}\n{}", server.log()));
    assert_eq!(connack, *b"\x20\x02\x00\x00");
    let log = server.log();
    assert_eq!(log.matches("accept: ").count(), 1, "{log}");
    assert!(log.contains("Too many open files"), "{log}");
    assert!(log.contains("accepting again"), "{log}");
}
