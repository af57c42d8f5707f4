//! Interoperability with a real broker: Eclipse Mosquitto (`/usr/sbin/mosquitto`, Debian package
//! `mosquitto`) and its command-line clients (`mosquitto-clients`).
//!
//! Each test starts its own broker on a free port of 127.0.0.1 and stops it at the end. The
//! client session is driven over a blocking `TcpStream` by a small loop here ([`Client`]);
//! `mosquitto_pub` and `mosquitto_sub` are the other side. The last tests run the command-line
//! example (`examples/client.rs`) against the broker.
//!
//! Without mosquitto (the broker on `PATH` or in `/usr/sbin`, the clients on `PATH`) the tests
//! that need it say why on standard error and pass without running, except when the `CI`
//! variable is set: there a missing broker fails. The last test plays the server itself.

use mqtt_wire::session::{
    AckMode, ClientConfig, ClientEvent, ClientSession, ConnectionError, Message, StdClock,
};
use mqtt_wire::{
    ByteString, Bytes, BytesMut, Connect, ConnectProperties, ConnectPropertiesBuilder, Disconnect,
    Publish, QoS, ReasonCode, SubscribeFilters, SubscribeProperties, SubscriptionOptions,
    TopicFilter, TopicName, Version, Will,
};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, mpsc};
use std::time::Duration;

/// The longest any single expected thing may take.
const WAIT: Duration = Duration::from_secs(10);
/// How long to keep listening for duplicates after the expected messages arrived.
const SETTLE: Duration = Duration::from_millis(700);

// ------------------------------------------------------------------------------ the tools

struct Tools {
    broker: PathBuf,
    publisher: PathBuf,
    subscriber: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn find_tools() -> Option<Tools> {
    let publisher = on_path("mosquitto_pub")?;
    let subscriber = on_path("mosquitto_sub")?;
    // The broker lives in sbin, which is not on every user's PATH.
    let broker = on_path("mosquitto").or_else(|| {
        ["/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    })?;
    Some(Tools {
        broker,
        publisher,
        subscriber,
    })
}

/// The mosquitto programs; `None` (the test is skipped) when they are not installed.
fn tools() -> Option<&'static Tools> {
    static TOOLS: OnceLock<Option<Tools>> = OnceLock::new();
    TOOLS
        .get_or_init(|| {
            let tools = find_tools();
            if tools.is_none() {
                let what = "mosquitto, mosquitto_pub or mosquitto_sub not found \
                            (apt-get install mosquitto mosquitto-clients)";
                assert!(
                    std::env::var_os("CI").is_none(),
                    "{what}: the interop tests must run in CI"
                );
                // Straight to standard error, past the test harness's capture: once, visible.
                let _ = writeln!(
                    std::io::stderr(),
                    "interop_mosquitto: {what}: the tests pass without running"
                );
            }
            tools
        })
        .as_ref()
}

/// Runs a command to its end, at most 20 seconds.
fn finish(mut child: Child, what: &str) -> Output {
    let clock = StdClock::new();
    while child.try_wait().unwrap().is_none() {
        if clock.now().as_millis() > 20_000 {
            child.kill().unwrap();
            panic!("{what} still runs after 20 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

// ------------------------------------------------------------------------------ the broker

/// A mosquitto process on its own port, killed when dropped.
struct Broker {
    child: Child,
    port: u16,
    dir: PathBuf,
    tools: &'static Tools,
}

static DIRS: AtomicUsize = AtomicUsize::new(0);

impl Broker {
    /// A broker that lets anyone in; `None` when mosquitto is not installed.
    fn start() -> Option<Broker> {
        Broker::start_with("allow_anonymous true\n")
    }

    /// A broker with `settings` added to its configuration.
    fn start_with(settings: &str) -> Option<Broker> {
        let tools = tools()?;
        for _ in 0..5 {
            // A port the system just gave out, released for the broker. Another process may take
            // it in between: then the broker exits, and the next round picks another.
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let dir = std::env::temp_dir().join(format!(
                "mqtt-wire-interop-{}-{}",
                std::process::id(),
                DIRS.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let config = dir.join("mosquitto.conf");
            std::fs::write(
                &config,
                format!(
                    "listener {port} 127.0.0.1\n{settings}persistence false\n\
                     log_dest stderr\nlog_type all\n"
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.join("mosquitto.log")).unwrap();
            let child = Command::new(&tools.broker)
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            let mut broker = Broker {
                child,
                port,
                dir,
                tools,
            };
            if broker.wait_until_listening() {
                return Some(broker);
            }
        }
        panic!("mosquitto did not start on any of 5 ports");
    }

    /// True once the port accepts connections; false when the broker exited first.
    fn wait_until_listening(&mut self) -> bool {
        let clock = StdClock::new();
        while clock.now().as_millis() < WAIT.as_millis() as u64 {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("mosquitto does not listen on {} after {WAIT:?}", self.port);
    }

    /// Runs `mosquitto_pub` with `args` to its end and checks that it succeeded.
    fn mosquitto_pub(&self, args: &[&str]) {
        let child = Command::new(&self.tools.publisher)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, "mosquitto_pub");
        assert!(
            out.status.success(),
            "mosquitto_pub {args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }

    fn client(&self) -> Client {
        self.client_with(ClientConfig::default())
    }

    fn client_with(&self, config: ClientConfig) -> Client {
        Client {
            session: ClientSession::new(config),
            stream: None,
            clock: StdClock::new(),
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            events: VecDeque::new(),
            port: self.port,
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        // SIGTERM first: mosquitto then flushes its log (its standard error is buffered when
        // it is a file); SIGKILL when it does not stop.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let clock = StdClock::new();
        while matches!(self.child.try_wait(), Ok(None)) && clock.now().as_millis() < 2_000 {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = std::fs::read(self.dir.join("mosquitto.log"));
            let log = log.map_or_else(|e| e.to_string(), |bytes| text(&bytes));
            eprintln!("--- mosquitto log (port {}):\n{log}", self.port);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

// ------------------------------------------------------------------------------ mosquitto_sub

/// A message as `mosquitto_sub -d -v` printed it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Delivery {
    topic: String,
    /// `None` for an empty payload (printed `(null)`).
    payload: Option<String>,
    qos: u8,
    retain: bool,
    dup: bool,
}

/// A running `mosquitto_sub`, killed when dropped.
struct MosquittoSub {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Lines read while waiting for the subscription, not looked at yet.
    early: VecDeque<String>,
    probe: String,
}

static PROBES: AtomicUsize = AtomicUsize::new(0);

impl MosquittoSub {
    /// Subscribes to `filter` with `qos`, speaking `version` (`mqttv31`, `mqttv311`, `mqttv5`),
    /// and returns once the subscription is in place.
    fn start(broker: &Broker, version: &str, qos: u8, filter: &str) -> MosquittoSub {
        let probe = format!("probe/{}", PROBES.fetch_add(1, Ordering::Relaxed));
        let mut child = Command::new(&broker.tools.subscriber)
            .args(["-h", "127.0.0.1", "-p", &broker.port.to_string()])
            .args(["-V", version, "-q", &qos.to_string(), "-v", "-d"])
            .args(["-t", filter, "-t", &probe])
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
        let mut sub = MosquittoSub {
            child,
            lines,
            early: VecDeque::new(),
            probe,
        };
        // mosquitto_sub flushes its output after each message only, so "subscribed" is seen as
        // a probe message coming through.
        let clock = StdClock::new();
        loop {
            assert!(
                clock.now().as_millis() < WAIT.as_millis() as u64,
                "mosquitto_sub did not subscribe within {WAIT:?}"
            );
            broker.mosquitto_pub(&["-t", &sub.probe, "-m", "probe"]);
            // The buffered output comes with the probe's line; it may hold messages (retained
            // ones) for `deliveries`.
            while let Ok(line) = sub.lines.recv_timeout(Duration::from_millis(200)) {
                let probed = line.starts_with(&format!("{} ", sub.probe));
                sub.early.push_back(line);
                if probed {
                    return sub;
                }
            }
        }
    }

    /// The messages received (probes left out): waits for `want` of them, then listens for
    /// [`SETTLE`] more to catch duplicates.
    fn deliveries(&mut self, want: usize) -> Vec<Delivery> {
        let mut found = Vec::new();
        // PUBLISH lines whose message line has not come yet: a QoS 2 message is printed after
        // its PUBREL, so other PUBLISH lines may come in between.
        let mut headers: Vec<Delivery> = Vec::new();
        let clock = StdClock::new();
        let mut settle_until = None;
        loop {
            let now = clock.now();
            let limit = match settle_until {
                Some(end) => end,
                None if found.len() >= want => {
                    let end = now + SETTLE;
                    settle_until = Some(end);
                    end
                }
                None => mqtt_wire::session::Instant::ZERO + WAIT,
            };
            let line = match self.early.pop_front() {
                Some(line) => line,
                None => {
                    let left = limit.saturating_duration_since(now);
                    match self.lines.recv_timeout(left) {
                        Ok(line) if !left.is_zero() => line,
                        _ => break,
                    }
                }
            };
            if let Some(header) = parse_publish_line(&line) {
                headers.push(header);
                continue;
            }
            let first = headers
                .iter()
                .position(|h| line.starts_with(&format!("{} ", h.topic)));
            if let Some(i) = first {
                let mut d = headers.remove(i);
                let rest = &line[d.topic.len() + 1..];
                d.payload = (rest != "(null)").then(|| rest.to_owned());
                if d.topic != self.probe {
                    found.push(d);
                }
            }
        }
        found
    }
}

impl Drop for MosquittoSub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `Client X received PUBLISH (d0, q1, r0, m1, 'a/b', ... (3 bytes))` as a delivery without its
/// payload.
fn parse_publish_line(line: &str) -> Option<Delivery> {
    let rest = line.split_once(" received PUBLISH (")?.1;
    let (flags, rest) = rest.split_once(", '")?;
    let topic = rest.rsplit_once("', ...")?.0.to_owned();
    let flag = |prefix: char| -> Option<u8> {
        flags
            .split(", ")
            .find_map(|f| f.strip_prefix(prefix))
            .and_then(|v| v.parse().ok())
    };
    Some(Delivery {
        topic,
        payload: None,
        qos: flag('q')?,
        retain: flag('r')? == 1,
        dup: flag('d')? == 1,
    })
}

/// `items` split by QoS, keeping their order: mosquitto_sub prints a QoS 2 message when its
/// PUBREL arrives, so messages of different QoS may print in another order than published.
fn by_qos<T: Clone>(items: &[T], qos: impl Fn(&T) -> u8) -> [Vec<T>; 3] {
    [0, 1, 2].map(|q| items.iter().filter(|i| qos(i) == q).cloned().collect())
}

fn payloads(deliveries: &[Delivery]) -> Vec<&str> {
    deliveries
        .iter()
        .map(|d| d.payload.as_deref().unwrap_or(""))
        .collect()
}

// ------------------------------------------------------------------------------ our client

/// A [`ClientSession`] over a blocking `TcpStream`: the run loop of the session module, with
/// events kept for the test to look at.
struct Client {
    session: ClientSession,
    stream: Option<TcpStream>,
    clock: StdClock,
    rx: BytesMut,
    tx: BytesMut,
    events: VecDeque<ClientEvent>,
    port: u16,
}

fn connect_packet(version: Version, client_id: &str) -> Connect {
    Connect::new(version, ByteString::from(client_id), 30)
}

/// A CONNECT that keeps the session: Clean Start 0, and on 5.0 a Session Expiry Interval.
fn persistent(version: Version, client_id: &str) -> Connect {
    let mut connect = connect_packet(version, client_id);
    connect.clean_start = false;
    if version == Version::V5 {
        connect.properties = ConnectPropertiesBuilder {
            session_expiry_interval: Some(300),
            ..ConnectProperties::builder()
        }
        .build()
        .unwrap();
    }
    connect
}

fn message(topic: &str, payload: &str, qos: QoS) -> Message {
    Message::new(TopicName::try_from(topic).unwrap(), payload.to_owned()).qos(qos)
}

impl Client {
    /// Opens a connection and sends `connect`; returns Session Present.
    fn connect(&mut self, connect: Connect) -> bool {
        match self.try_connect(connect) {
            Ok(present) => present,
            Err(e) => panic!("connection failed: {e:?}"),
        }
    }

    fn try_connect(&mut self, connect: Connect) -> Result<bool, ConnectionError> {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_nodelay(true).unwrap();
        self.stream = Some(stream);
        self.rx.clear();
        self.session.connect(self.clock.now(), connect).unwrap();
        self.wait_for("CONNACK", |e| match e {
            ClientEvent::Connected {
                session_present, ..
            } => Some(Ok(*session_present)),
            ClientEvent::Disconnected { error, .. } => Some(Err(error.clone())),
            _ => None,
        })
    }

    /// Writes what the session owes the server and takes its events; in automatic mode taking
    /// a message queues its acknowledgement, written on the next round.
    fn pump(&mut self) {
        loop {
            self.flush();
            match self.session.poll_event() {
                Some(event) => self.events.push_back(event),
                None => break,
            }
        }
        if self.session.should_close() {
            if let Some(stream) = self.stream.take() {
                let _ = stream.shutdown(Shutdown::Write);
            }
            self.session.handle_transport_closed(self.clock.now());
        }
    }

    fn flush(&mut self) {
        self.tx.clear();
        if self.session.poll_transmit(self.clock.now(), &mut self.tx) == 0 {
            return;
        }
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        if stream.write_all(&self.tx).is_err() {
            self.stream = None;
            self.session.handle_transport_closed(self.clock.now());
        }
    }

    /// Waits at most `max` (and no later than the session's timer) for bytes, and hands the
    /// session what happened.
    fn read_once(&mut self, max: Duration) {
        let now = self.clock.now();
        let timer = self
            .session
            .poll_timeout()
            .map_or(max, |t| t.saturating_duration_since(now));
        let timeout = timer.min(max).max(Duration::from_millis(1));
        let Some(stream) = self.stream.as_mut() else {
            std::thread::sleep(timeout);
            return;
        };
        stream.set_read_timeout(Some(timeout)).unwrap();
        let mut buf = [0u8; 8192];
        match stream.read(&mut buf) {
            Ok(0) => {
                self.stream = None;
                self.session.handle_transport_closed(self.clock.now());
            }
            Ok(n) => {
                self.rx.extend_from_slice(&buf[..n]);
                self.session.handle_input(self.clock.now(), &mut self.rx);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                self.session.handle_timeout(self.clock.now());
            }
            Err(_) => {
                self.stream = None;
                self.session.handle_transport_closed(self.clock.now());
            }
        }
    }

    fn turn(&mut self, max: Duration) {
        self.pump();
        self.read_once(max);
        self.pump();
    }

    /// Runs the loop until an event `f` accepts (removed from the kept events); panics after
    /// [`WAIT`], or when the connection ended first.
    fn wait_for<T>(&mut self, what: &str, mut f: impl FnMut(&ClientEvent) -> Option<T>) -> T {
        let deadline = self.clock.now() + WAIT;
        loop {
            let hit = self
                .events
                .iter()
                .enumerate()
                .find_map(|(i, e)| f(e).map(|t| (i, t)));
            if let Some((i, t)) = hit {
                self.events.remove(i);
                return t;
            }
            let ended = self
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Disconnected { .. }));
            assert!(
                !ended,
                "the connection ended waiting for {what}: {:?}",
                self.events
            );
            assert!(
                self.clock.now() < deadline,
                "no {what} within {WAIT:?}: {:?}",
                self.events
            );
            self.turn(Duration::from_millis(50));
        }
    }

    fn subscribe(&mut self, filter: &str, qos: QoS) -> ReasonCode {
        let filters = SubscribeFilters::new(
            TopicFilter::try_from(filter).unwrap(),
            SubscriptionOptions::qos(qos),
        );
        let pid = self
            .session
            .subscribe(self.clock.now(), filters, SubscribeProperties::default())
            .unwrap();
        self.wait_for("SUBACK", |e| match e {
            ClientEvent::Subscribed { packet_id, suback } if *packet_id == pid => {
                Some(suback.reason_codes[0])
            }
            _ => None,
        })
    }

    /// Publishes and waits for completion (QoS 1/2), or until written (QoS 0).
    fn publish(&mut self, message: Message) -> Option<ReasonCode> {
        let qos = message.qos;
        let id = self.session.publish(self.clock.now(), message).unwrap();
        if qos == QoS::AtMostOnce {
            self.pump();
            assert_eq!(
                self.session.pending(),
                0,
                "the QoS 0 message was not written"
            );
            return None;
        }
        Some(self.wait_for("the publish's completion", |e| match e {
            ClientEvent::Published {
                id: done, reason, ..
            } if *done == id => Some(*reason),
            ClientEvent::PublishFailed { id: failed, reason } if *failed == id => {
                panic!("publish failed: {reason:?}")
            }
            _ => None,
        }))
    }

    fn next_message(&mut self) -> Publish {
        self.wait_for("a message", |e| match e {
            ClientEvent::Message { publish, .. } => Some(publish.clone()),
            _ => None,
        })
    }

    /// Every message received within `period`.
    fn messages_during(&mut self, period: Duration) -> Vec<Publish> {
        let end = self.clock.now() + period;
        loop {
            let left = end.saturating_duration_since(self.clock.now());
            if left.is_zero() {
                break;
            }
            self.turn(left.min(Duration::from_millis(50)));
        }
        let mut messages = Vec::new();
        self.events.retain(|e| match e {
            ClientEvent::Message { publish, .. } => {
                messages.push(publish.clone());
                false
            }
            _ => true,
        });
        messages
    }

    /// DISCONNECT, then the end of the connection.
    fn disconnect(&mut self) {
        self.session
            .disconnect(self.clock.now(), Disconnect::default())
            .unwrap();
        self.pump();
        self.wait_for("the end of the connection", |e| match e {
            ClientEvent::Disconnected {
                error: ConnectionError::LocallyClosed,
                ..
            } => Some(()),
            _ => None,
        });
        self.stream = None;
    }

    /// Closes the TCP connection without DISCONNECT; returns whether the session kept its
    /// state.
    fn drop_connection(&mut self) -> bool {
        let stream = self.stream.take().expect("a connection");
        drop(stream);
        self.session.handle_transport_closed(self.clock.now());
        self.pump();
        self.wait_for("the end of the connection", |e| match e {
            ClientEvent::Disconnected {
                error: ConnectionError::TransportClosed,
                session_kept,
            } => Some(*session_kept),
            _ => None,
        })
    }
}

fn payload_str(publish: &Publish) -> &str {
    std::str::from_utf8(&publish.payload).unwrap()
}

fn mosquitto_version(version: Version) -> &'static str {
    match version {
        Version::V3_1 => "mqttv31",
        Version::V3_1_1 => "mqttv311",
        Version::V5 => "mqttv5",
    }
}

fn qos_number(qos: QoS) -> u8 {
    qos as u8
}

/// The PUBACK of a message nobody subscribed to: 0x10 No matching subscribers on 5.0 (mosquitto
/// says so), plain success on 3.1.1.
fn no_subscribers(version: Version) -> ReasonCode {
    if version == Version::V5 {
        ReasonCode::NO_MATCHING_SUBSCRIBERS
    } else {
        ReasonCode::SUCCESS
    }
}

const VERSIONS: [Version; 2] = [Version::V3_1_1, Version::V5];
const ALL_QOS: [QoS; 3] = [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce];

// ------------------------------------------------------------------------------ round trips

/// Our client publishes at QoS 0, 1 and 2; `mosquitto_sub` (subscribed at QoS 2) gets every
/// message once, in order, at the QoS it was published with.
fn publish_to_mosquitto_sub(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut sub = MosquittoSub::start(&broker, mosquitto_version(version), 2, "up/#");
    let mut client = broker.client();
    assert!(!client.connect(connect_packet(version, "rt-pub")));
    let mut expected = Vec::new();
    for qos in ALL_QOS {
        for i in 0..3 {
            let payload = format!("q{}-{i}", qos_number(qos));
            let reason = client.publish(message(&format!("up/{i}"), &payload, qos));
            assert_eq!(reason.is_some(), qos != QoS::AtMostOnce);
            assert!(
                reason.is_none_or(|r| r == ReasonCode::SUCCESS),
                "{reason:?}"
            );
            expected.push((format!("up/{i}"), payload, qos_number(qos)));
        }
    }
    client.disconnect();
    let got = sub.deliveries(expected.len());
    assert!(got.iter().all(|d| !d.dup && !d.retain), "{got:?}");
    let got: Vec<_> = got
        .iter()
        .map(|d| (d.topic.clone(), d.payload.clone().unwrap(), d.qos))
        .collect();
    assert_eq!(by_qos(&got, |d| d.2), by_qos(&expected, |d| d.2));
}

#[test]
fn publish_qos_0_1_2_to_mosquitto_sub_v3_1_1() {
    publish_to_mosquitto_sub(Version::V3_1_1);
}

#[test]
fn publish_qos_0_1_2_to_mosquitto_sub_v5() {
    publish_to_mosquitto_sub(Version::V5);
}

/// `mosquitto_pub` publishes at QoS 0, 1 and 2; our client (subscribed at QoS 2) gets every
/// message once, at its QoS.
fn receive_from_mosquitto_pub(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut client = broker.client();
    client.connect(connect_packet(version, "rt-sub"));
    assert_eq!(client.subscribe("down/#", QoS::ExactlyOnce), ReasonCode(2));
    let v = mosquitto_version(version);
    for qos in ALL_QOS {
        let q = qos_number(qos).to_string();
        for i in 0..3 {
            let payload = format!("q{q}-{i}");
            broker.mosquitto_pub(&["-V", v, "-q", &q, "-t", "down/x", "-m", &payload]);
        }
    }
    let mut got = Vec::new();
    while got.len() < 9 {
        let m = client.next_message();
        got.push((payload_str(&m).to_owned(), m.qos.qos(), m.dup, m.retain));
    }
    got.extend(
        client
            .messages_during(SETTLE)
            .iter()
            .map(|m| (payload_str(m).to_owned(), m.qos.qos(), m.dup, m.retain)),
    );
    let expected: Vec<_> = ALL_QOS
        .iter()
        .flat_map(|&qos| {
            (0..3).map(move |i| (format!("q{}-{i}", qos_number(qos)), qos, false, false))
        })
        .collect();
    assert_eq!(got, expected);
    client.disconnect();
}

#[test]
fn receive_qos_0_1_2_from_mosquitto_pub_v3_1_1() {
    receive_from_mosquitto_pub(Version::V3_1_1);
}

#[test]
fn receive_qos_0_1_2_from_mosquitto_pub_v5() {
    receive_from_mosquitto_pub(Version::V5);
}

#[test]
fn mqtt_3_1_round_trip_both_ways() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut sub = MosquittoSub::start(&broker, "mqttv31", 2, "old/#");
    let mut client = broker.client();
    client.connect(connect_packet(Version::V3_1, "v31-client"));
    assert_eq!(client.subscribe("old/in", QoS::ExactlyOnce), ReasonCode(2));
    assert_eq!(
        client.publish(message("old/out", "from 3.1", QoS::ExactlyOnce)),
        Some(ReasonCode::SUCCESS)
    );
    broker.mosquitto_pub(&["-V", "mqttv31", "-q", "2", "-t", "old/in", "-m", "to 3.1"]);
    let m = client.next_message();
    assert_eq!((&m.topic[..], payload_str(&m)), ("old/in", "to 3.1"));
    assert_eq!(m.qos.qos(), QoS::ExactlyOnce);
    client.disconnect();
    let got = sub.deliveries(2);
    let got: Vec<_> = got.iter().map(|d| (d.topic.as_str(), d.qos)).collect();
    // The subscriber sees both: ours, and the one mosquitto_pub sent to us.
    assert_eq!(got, [("old/out", 2), ("old/in", 2)]);
}

// ------------------------------------------------------------------------------ retained

/// A retained message reaches later subscribers (ours and mosquitto_sub) with RETAIN set; an
/// empty retained message deletes it.
fn retained(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let v = mosquitto_version(version);
    let mut publisher = broker.client();
    publisher.connect(connect_packet(version, "ret-pub"));
    let kept = message("ret/a", "kept", QoS::AtLeastOnce).retain(true);
    assert_eq!(publisher.publish(kept), Some(no_subscribers(version)));

    // A later subscriber: ours.
    let mut late = broker.client();
    late.connect(connect_packet(version, "ret-late"));
    late.subscribe("ret/#", QoS::ExactlyOnce);
    let m = late.next_message();
    assert_eq!(
        (&m.topic[..], payload_str(&m), m.retain),
        ("ret/a", "kept", true)
    );
    late.disconnect();

    // And mosquitto_sub.
    let mut sub = MosquittoSub::start(&broker, v, 1, "ret/#");
    let got = sub.deliveries(1);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].payload.as_deref(), got[0].retain),
        (Some("kept"), true)
    );
    drop(sub);

    // mosquitto_pub's retained message reaches our later subscriber too.
    broker.mosquitto_pub(&["-V", v, "-q", "1", "-r", "-t", "ret/b", "-m", "theirs"]);
    let mut late = broker.client();
    late.connect(connect_packet(version, "ret-late2"));
    late.subscribe("ret/b", QoS::AtLeastOnce);
    let m = late.next_message();
    assert_eq!(
        (payload_str(&m), m.retain, m.qos.qos()),
        ("theirs", true, QoS::AtLeastOnce)
    );
    late.disconnect();

    // An empty retained message deletes both.
    for topic in ["ret/a", "ret/b"] {
        let delete = message(topic, "", QoS::AtLeastOnce).retain(true);
        // 0x00 or 0x10: the subscribers that just left may not be gone from the broker yet.
        let reason = publisher.publish(delete).unwrap();
        assert!(reason.is_success(), "{reason:?}");
    }
    publisher.disconnect();
    let mut later = broker.client();
    later.connect(connect_packet(version, "ret-later"));
    later.subscribe("ret/#", QoS::ExactlyOnce);
    let none = later.messages_during(SETTLE);
    assert!(none.is_empty(), "deleted retained messages came: {none:?}");
    later.disconnect();
}

#[test]
fn retained_messages_v3_1_1() {
    retained(Version::V3_1_1);
}

#[test]
fn retained_messages_v5() {
    retained(Version::V5);
}

// ------------------------------------------------------------------------------ will

fn with_will(version: Version, client_id: &str, topic: &str, payload: &str) -> Connect {
    let mut connect = connect_packet(version, client_id);
    connect.will = Some(Will {
        qos: QoS::AtLeastOnce,
        ..Will::new(
            TopicName::try_from(topic).unwrap(),
            Bytes::from(payload.to_owned()),
        )
    });
    connect
}

/// The will goes out when the TCP connection drops without DISCONNECT, and not after a
/// DISCONNECT.
fn will(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut sub = MosquittoSub::start(&broker, mosquitto_version(version), 1, "will/#");
    let mut polite = broker.client();
    polite.connect(with_will(version, "will-polite", "will/polite", "gone"));
    polite.disconnect();
    let mut dropped = broker.client();
    dropped.connect(with_will(version, "will-drop", "will/dropped", "lost"));
    let kept = dropped.drop_connection();
    assert!(
        !kept,
        "a clean-start session with expiry 0 ends with its connection"
    );
    let got = sub.deliveries(1);
    let got: Vec<_> = got
        .iter()
        .map(|d| (d.topic.as_str(), d.payload.as_deref(), d.qos))
        .collect();
    assert_eq!(got, [("will/dropped", Some("lost"), 1)]);
}

#[test]
fn will_on_dropped_connection_v3_1_1() {
    will(Version::V3_1_1);
}

#[test]
fn will_on_dropped_connection_v5() {
    will(Version::V5);
}

#[test]
fn will_on_disconnect_with_reason_0x04_v5() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut sub = MosquittoSub::start(&broker, "mqttv5", 1, "will/#");
    let mut client = broker.client();
    client.connect(with_will(Version::V5, "will-0x04", "will/asked", "bye"));
    let disconnect = Disconnect {
        reason_code: ReasonCode(0x04),
        ..Disconnect::default()
    };
    client
        .session
        .disconnect(client.clock.now(), disconnect)
        .unwrap();
    client.pump();
    let got = sub.deliveries(1);
    assert_eq!(payloads(&got), ["bye"]);
}

// ------------------------------------------------------------------------------ sessions

/// QoS 1 to our subscriber: it takes a message without acknowledging it and the connection
/// drops; two more are published meanwhile. The resumed session gets the unacknowledged one
/// again (DUP) and the two others: at least once, nothing lost.
fn qos1_inbound_resumed(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let v = mosquitto_version(version);
    let mut client = broker.client_with(ClientConfig::default().ack_mode(AckMode::Manual));
    assert!(!client.connect(persistent(version, "s1-in")));
    client.subscribe("s1/#", QoS::AtLeastOnce);
    broker.mosquitto_pub(&["-V", v, "-q", "1", "-t", "s1/x", "-m", "m1"]);
    let first = client.next_message();
    assert_eq!(payload_str(&first), "m1");
    assert!(
        client.drop_connection(),
        "the session outlives the connection"
    );

    for m in ["m2", "m3"] {
        broker.mosquitto_pub(&["-V", v, "-q", "1", "-t", "s1/x", "-m", m]);
    }
    assert!(
        client.connect(persistent(version, "s1-in")),
        "session present"
    );
    let mut got = Vec::new();
    let mut acks = Vec::new();
    while got.len() < 3 {
        let (publish, token) = client.wait_for("a message", |e| match e {
            ClientEvent::Message { publish, ack } => Some((publish.clone(), *ack)),
            _ => None,
        });
        got.push((payload_str(&publish).to_owned(), publish.dup));
        acks.push(token.unwrap());
    }
    for token in acks {
        client
            .session
            .ack(
                client.clock.now(),
                token,
                ReasonCode::SUCCESS,
                Default::default(),
            )
            .unwrap();
    }
    client.pump();
    assert!(client.messages_during(SETTLE).is_empty());
    assert_eq!(
        got,
        [
            ("m1".into(), true),
            ("m2".into(), false),
            ("m3".into(), false)
        ]
    );
    client.disconnect();

    // Everything was acknowledged: a third connection gets nothing.
    assert!(client.connect(persistent(version, "s1-in")));
    assert!(client.messages_during(SETTLE).is_empty());
    client.disconnect();
}

#[test]
fn persistent_session_qos1_inbound_resumed_after_drop_v3_1_1() {
    qos1_inbound_resumed(Version::V3_1_1);
}

#[test]
fn persistent_session_qos1_inbound_resumed_after_drop_v5() {
    qos1_inbound_resumed(Version::V5);
}

/// QoS 2 to our subscriber, dropped at both points of the flow: m1 taken and not acknowledged
/// (the server sends the PUBLISH again), m2 acknowledged with PUBREC and PUBREL not read (the
/// server sends PUBREL again). m3 and m4 are published while it is away. Each message reaches
/// the application exactly once.
fn qos2_inbound_resumed(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let v = mosquitto_version(version);
    let mut client = broker.client_with(ClientConfig::default().ack_mode(AckMode::Manual));
    assert!(!client.connect(persistent(version, "s2-in")));
    client.subscribe("s2/#", QoS::ExactlyOnce);
    let mut got = Vec::new();

    // m1: delivered, no PUBREC.
    broker.mosquitto_pub(&["-V", v, "-q", "2", "-t", "s2/x", "-m", "m1"]);
    got.push(payload_str(&client.next_message()).to_owned());
    assert!(client.drop_connection());
    assert!(client.connect(persistent(version, "s2-in")));

    // The server sends m1 again (DUP): answered PUBREC by the session, not delivered again.
    // m2: delivered and acknowledged; PUBREC written, then the connection drops before the
    // PUBREL is read.
    broker.mosquitto_pub(&["-V", v, "-q", "2", "-t", "s2/x", "-m", "m2"]);
    let (m2, token) = client.wait_for("m2", |e| match e {
        ClientEvent::Message { publish, ack } => Some((publish.clone(), *ack)),
        _ => None,
    });
    got.push(payload_str(&m2).to_owned());
    client
        .session
        .ack(
            client.clock.now(),
            token.unwrap(),
            ReasonCode::SUCCESS,
            Default::default(),
        )
        .unwrap();
    client.pump(); // PUBREC out; nothing more is read
    std::thread::sleep(Duration::from_millis(200));
    assert!(client.drop_connection());

    for m in ["m3", "m4"] {
        broker.mosquitto_pub(&["-V", v, "-q", "2", "-t", "s2/x", "-m", m]);
    }
    assert!(client.connect(persistent(version, "s2-in")));
    while got.len() < 4 {
        let (publish, token) = client.wait_for("a message", |e| match e {
            ClientEvent::Message { publish, ack } => Some((publish.clone(), *ack)),
            _ => None,
        });
        got.push(payload_str(&publish).to_owned());
        client
            .session
            .ack(
                client.clock.now(),
                token.unwrap(),
                ReasonCode::SUCCESS,
                Default::default(),
            )
            .unwrap();
    }
    let extra = client.messages_during(SETTLE);
    assert!(extra.is_empty(), "delivered twice: {extra:?}");
    assert_eq!(got, ["m1", "m2", "m3", "m4"]);
    client.disconnect();

    // Every flow finished: a third connection gets nothing.
    assert!(client.connect(persistent(version, "s2-in")));
    assert!(client.messages_during(SETTLE).is_empty());
    client.disconnect();
}

#[test]
fn persistent_session_qos2_inbound_exactly_once_after_drops_v3_1_1() {
    qos2_inbound_resumed(Version::V3_1_1);
}

#[test]
fn persistent_session_qos2_inbound_exactly_once_after_drops_v5() {
    qos2_inbound_resumed(Version::V5);
}

/// Our publisher with a persistent session drops in the middle of its flows: a QoS 1 PUBLISH
/// without its PUBACK read, a QoS 2 PUBLISH without its PUBREC read, and a QoS 2 message whose
/// PUBREL was written without its PUBCOMP read. The resumed session sends them again
/// (PUBLISH with DUP, PUBREL); each completes, and mosquitto_sub gets the QoS 2 messages
/// exactly once and the QoS 1 message at least once.
fn outbound_resumed(version: Version) {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut sub = MosquittoSub::start(&broker, mosquitto_version(version), 2, "so/#");
    let mut client = broker.client();
    assert!(!client.connect(persistent(version, "s-out")));

    // q2-released: through PUBREC, PUBREL written, PUBCOMP not read.
    let released = client
        .session
        .publish(
            client.clock.now(),
            message("so/r", "q2-released", QoS::ExactlyOnce),
        )
        .unwrap();
    client.pump(); // PUBLISH out
    std::thread::sleep(Duration::from_millis(200));
    client.read_once(Duration::from_secs(2)); // PUBREC in
    client.pump(); // PUBREL out
    // q1 and q2: PUBLISH written, acks never read.
    let q1 = client
        .session
        .publish(client.clock.now(), message("so/1", "q1", QoS::AtLeastOnce))
        .unwrap();
    let q2 = client
        .session
        .publish(client.clock.now(), message("so/2", "q2", QoS::ExactlyOnce))
        .unwrap();
    client.pump();
    assert_eq!(client.session.inflight(), 3);
    assert!(
        !client
            .events
            .iter()
            .any(|e| matches!(e, ClientEvent::Published { .. })),
        "a flow completed before the drop: {:?}",
        client.events
    );
    std::thread::sleep(Duration::from_millis(200));
    assert!(client.drop_connection());

    assert!(
        client.connect(persistent(version, "s-out")),
        "session present"
    );
    let mut done = Vec::new();
    while done.len() < 3 {
        done.push(client.wait_for("a completion", |e| match e {
            ClientEvent::Published { id, reason, .. } => Some((*id, *reason)),
            _ => None,
        }));
    }
    done.sort();
    let mut expected = [
        (released, ReasonCode::SUCCESS),
        (q1, ReasonCode::SUCCESS),
        (q2, ReasonCode::SUCCESS),
    ];
    expected.sort();
    assert_eq!(done, expected);
    assert_eq!(client.session.inflight(), 0);
    client.disconnect();

    let got = sub.deliveries(3);
    let count = |p: &str| {
        got.iter()
            .filter(|d| d.payload.as_deref() == Some(p))
            .count()
    };
    assert_eq!(count("q2-released"), 1, "{got:?}");
    assert_eq!(count("q2"), 1, "{got:?}");
    assert!(count("q1") >= 1, "{got:?}");
    assert_eq!(got.len(), 2 + count("q1"), "{got:?}");
}

#[test]
fn persistent_session_outbound_resumed_after_drop_v3_1_1() {
    outbound_resumed(Version::V3_1_1);
}

#[test]
fn persistent_session_outbound_resumed_after_drop_v5() {
    outbound_resumed(Version::V5);
}

// ------------------------------------------------------------------------------ 5.0 details

/// Our CONNECT offers a Topic Alias Maximum; mosquitto accepts it. Whether mosquitto then
/// uses aliases towards us is its choice (2.0 does not): every message reaches the
/// application with its full topic either way, and the count of aliased ones is printed.
#[test]
fn topic_alias_maximum_accepted_and_topics_always_whole_v5() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut client = broker.client();
    let mut connect = connect_packet(Version::V5, "alias");
    connect.properties = ConnectPropertiesBuilder {
        topic_alias_maximum: Some(10),
        ..ConnectProperties::builder()
    }
    .build()
    .unwrap();
    client.connect(connect);
    client.subscribe("alias/#", QoS::AtLeastOnce);
    for i in 0..4 {
        let topic = format!("alias/{}", i % 2);
        broker.mosquitto_pub(&[
            "-V",
            "mqttv5",
            "-q",
            "1",
            "-t",
            &topic,
            "-m",
            &i.to_string(),
        ]);
    }
    let mut aliased = 0;
    for i in 0..4 {
        let m = client.next_message();
        assert_eq!(&m.topic[..], format!("alias/{}", i % 2));
        assert_eq!(payload_str(&m), i.to_string());
        aliased += usize::from(m.properties.topic_alias().is_some());
    }
    eprintln!("messages that came with a topic alias: {aliased} of 4");
    client.disconnect();
}

#[test]
fn connack_limits_of_mosquitto_are_read_v5() {
    let Some(broker) = Broker::start_with("allow_anonymous true\nmax_inflight_messages 3\n") else {
        return;
    };
    let mut client = broker.client();
    client.connect(connect_packet(Version::V5, "limits"));
    let negotiated = client.session.negotiated().unwrap().clone();
    assert_eq!(negotiated.receive_maximum, 3);
    assert_eq!(client.session.send_quota(), 3);
    // Ten QoS 1 messages through a window of three.
    let mut sub = MosquittoSub::start(&broker, "mqttv5", 1, "win/#");
    let ids: Vec<_> = (0..10)
        .map(|i| {
            client
                .session
                .publish(
                    client.clock.now(),
                    message("win/x", &i.to_string(), QoS::AtLeastOnce),
                )
                .unwrap()
        })
        .collect();
    client.pump();
    assert_eq!(client.session.inflight(), 3);
    for id in ids {
        client.wait_for("a completion", |e| match e {
            ClientEvent::Published { id: done, .. } if *done == id => Some(()),
            _ => None,
        });
    }
    client.disconnect();
    let got = sub.deliveries(10);
    let expected: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(payloads(&got), expected);
}

#[test]
fn keep_alive_pings_are_answered() {
    let Some(broker) = Broker::start() else {
        return;
    };
    for version in VERSIONS {
        let mut client = broker.client();
        let mut connect = connect_packet(version, "pinger");
        connect.keep_alive = 1;
        client.connect(connect);
        // Three keep-alive periods with nothing to send: PINGREQ, PINGRESP, and no timeout.
        let quiet = client.messages_during(Duration::from_millis(3_500));
        assert!(quiet.is_empty());
        assert!(
            !client
                .events
                .iter()
                .any(|e| matches!(e, ClientEvent::Disconnected { .. })),
            "{:?}",
            client.events
        );
        assert_eq!(
            client.publish(message("ka/x", "still here", QoS::AtLeastOnce)),
            Some(no_subscribers(version))
        );
        client.disconnect();
    }
}

#[test]
fn refused_connection_gives_the_reason_v3_1_1_and_v5() {
    let Some(broker) = Broker::start_with("allow_anonymous false\n") else {
        return;
    };
    for version in VERSIONS {
        let mut client = broker.client();
        match client.try_connect(connect_packet(version, "nobody")) {
            Err(ConnectionError::Refused { reason, .. }) => {
                // 3.1.1 return code 5 reads as its 5.0 equivalent, 0x87.
                assert_eq!(reason, ReasonCode::NOT_AUTHORIZED, "{version}");
            }
            other => panic!("{version}: {other:?}"),
        }
    }
}

// ------------------------------------------------------------------------------ the example

/// The command-line example, built (once) for this test run with the features this test was
/// built with, so nothing is compiled twice.
fn example_client() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<this test> -> target/<profile>/examples/client
        let profile_dir = exe.parent().and_then(Path::parent).unwrap();
        let mut features = Vec::new();
        if cfg!(feature = "std") {
            features.push("std");
        }
        if cfg!(feature = "arbitrary") {
            features.push("arbitrary");
        }
        if cfg!(feature = "tokio-util") {
            features.push("tokio-util");
        }
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args([
                "build",
                "--quiet",
                "--example",
                "client",
                "--no-default-features",
            ])
            .args(["--features", &features.join(",")])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cargo.arg("--release");
        }
        let out = cargo.output().unwrap();
        assert!(
            out.status.success(),
            "cargo build --example client: {}",
            text(&out.stderr)
        );
        let path = profile_dir
            .join("examples")
            .join(format!("client{}", std::env::consts::EXE_SUFFIX));
        assert!(path.exists(), "{} is missing", path.display());
        path
    })
}

fn example(broker: &Broker, args: &[&str]) -> Command {
    let mut command = Command::new(example_client());
    command
        .args(&args[..1])
        .args(["-h", "127.0.0.1", "-p", &broker.port.to_string()])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn example_publishes_and_subscribes_through_mosquitto() {
    let Some(broker) = Broker::start() else {
        return;
    };
    let mut mosquitto_sub = MosquittoSub::start(&broker, "mqttv311", 2, "cli/#");
    // Our subscriber, waiting for five messages; ready once it got a retained marker.
    let mut pre = broker.client();
    pre.connect(connect_packet(Version::V5, "cli-marker"));
    pre.publish(message("cli/ready", "ready", QoS::AtLeastOnce).retain(true));
    let mut sub = example(
        &broker,
        &["sub", "-t", "cli/#", "-q", "2", "-v", "-C", "5", "-W", "20"],
    )
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(sub.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "cli/ready ready");
    pre.disconnect();

    // -m at each QoS and version, then -l from standard input.
    for (qos, version) in [("0", "5"), ("1", "3.1.1"), ("2", "mqttv5")] {
        let out = finish(
            example(
                &broker,
                &[
                    "pub",
                    "-t",
                    "cli/m",
                    "-m",
                    &format!("q{qos}"),
                    "-q",
                    qos,
                    "-V",
                    version,
                ],
            )
            .spawn()
            .unwrap(),
            "client pub",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "");
    }
    let mut publisher = example(&broker, &["pub", "-t", "cli/l", "-l", "-q", "1"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    publisher
        .stdin
        .take()
        .unwrap()
        .write_all(b"line 1\nline 2\n")
        .unwrap();
    let out = finish(publisher, "client pub -l");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest, ["cli/m q0", "cli/m q1", "cli/m q2", "cli/l line 1"]);
    let out = finish(sub, "client sub");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let got = mosquitto_sub.deliveries(6);
    let got: Vec<_> = got
        .iter()
        .map(|d| (d.topic.as_str(), d.payload.as_deref().unwrap_or(""), d.qos))
        .collect();
    let expected = [
        ("cli/ready", "ready", 1),
        ("cli/m", "q0", 0),
        ("cli/m", "q1", 1),
        ("cli/m", "q2", 2),
        ("cli/l", "line 1", 1),
        ("cli/l", "line 2", 1),
    ];
    assert_eq!(by_qos(&got, |d| d.2), by_qos(&expected, |d| d.2));
}

#[test]
fn example_reports_failures_on_one_line() {
    let Some(broker) = Broker::start_with("allow_anonymous false\n") else {
        return;
    };
    for version in ["3.1.1", "5"] {
        let out = finish(
            example(&broker, &["pub", "-t", "x", "-m", "y", "-V", version])
                .spawn()
                .unwrap(),
            "client pub",
        );
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(
            text(&out.stderr),
            "client: connection refused: 0x87 Not authorized\n"
        );
    }
    drop(broker);

    let Some(broker) = Broker::start() else {
        return;
    };
    let out = finish(
        example(&broker, &["sub", "-t", "nothing/here", "-W", "1"])
            .spawn()
            .unwrap(),
        "client sub",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "client: timeout: 0 message(s) received\n"
    );

    let out = finish(
        example(&broker, &["pub", "-t", "a/#", "-m", "y"])
            .spawn()
            .unwrap(),
        "client pub",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("client: -t a/#:"),
        "{}",
        text(&out.stderr)
    );

    let out = finish(
        Command::new(example_client())
            .arg("--help")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
        "client --help",
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("usage: client pub"));
}

/// A server played by the test: accepts one connection, reads the CONNECT, answers `reply`,
/// then closes. Returns its port.
fn scripted_server(reply: &'static [u8]) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        let mut connect = [0u8; 256];
        let _ = stream.read(&mut connect).unwrap();
        stream.write_all(reply).unwrap();
        // Until the client closes, or a while.
        let _ = stream.read(&mut connect);
    });
    (port, server)
}

#[test]
fn example_reports_protocol_errors_and_lost_connections() {
    // These need no broker, only the example.
    let cases: [(&[u8], &str); 2] = [
        // CONNACK, then a PUBLISH with QoS 3.
        (
            &[
                0x20, 0x03, 0x00, 0x00, 0x00, 0x36, 0x05, 0x00, 0x01, b'a', 0x00, 0x01,
            ],
            "client: protocol error (0x81 Malformed Packet): ",
        ),
        // CONNACK, then the end of the connection.
        (
            &[0x20, 0x03, 0x00, 0x00, 0x00],
            "client: connection lost: the server closed it\n",
        ),
    ];
    for (reply, expected) in cases {
        let (port, server) = scripted_server(reply);
        let child = Command::new(example_client())
            .args(["sub", "-h", "127.0.0.1", "-p", &port.to_string(), "-t", "a"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = finish(child, "client sub");
        server.join().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with(expected), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}
