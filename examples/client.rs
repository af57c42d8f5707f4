//! A command-line MQTT client on `mqtt_wire::session::ClientSession` over a blocking
//! `std::net::TcpStream`, shaped like `mosquitto_pub` and `mosquitto_sub`.
//!
//! ```text
//! cargo run --example client -- pub -h 127.0.0.1 -p 1883 -t sensors/1 -m 21.5 -q 1 [-r]
//! cargo run --example client -- sub -h 127.0.0.1 -p 1883 -t 'sensors/#' -q 2 [-C 10] [-v]
//! ```
//!
//! `pub` sends one message (`-m`, `-n`) or one per line of standard input (`-l`), and exits once
//! every message is acknowledged (QoS 0: written), after a DISCONNECT. `sub` prints each payload
//! on its own line (`-v`: `topic payload`) and, with `-C N`, disconnects and exits after N
//! messages. `--help` lists every option. Exit status 0 on success; otherwise 1 with a one-line
//! error on standard error (2 for a bad command line).
//!
//! The run loop is the one the `session` module documents: after every input, write what
//! `poll_transmit` gives, take every event, close when `should_close` says so, and wait for bytes
//! no longer than `poll_timeout` allows (the socket's read timeout).

use mqtt_wire::session::{ClientConfig, ClientEvent, ClientSession, ConnectionError, Message};
use mqtt_wire::session::{Instant, Status, StdClock};
use mqtt_wire::{
    ByteString, Bytes, BytesMut, Connect, ConnectProperties, ConnectPropertiesBuilder, Disconnect,
    PacketType, QoS, SubscribeFilters, SubscribeProperties, SubscriptionOptions, TopicFilter,
    TopicName, Version, Will,
};
use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

const USAGE: &str = "\
usage: client pub -t TOPIC (-m MESSAGE | -n | -l) [options]
       client sub -t FILTER [-t FILTER ...] [-C COUNT] [-v] [-W SECONDS] [options]

pub: publishes one message, or one per line of standard input, and exits once all are
     acknowledged (QoS 0: once written).
sub: prints each message's payload on its own line until COUNT messages (or forever).

  -h HOST            broker host (default localhost)
  -p PORT            broker port (default 1883)
  -t TOPIC           topic to publish to; sub: a filter to subscribe to (repeatable)
  -q QOS             0, 1 or 2 (default 0): pub: the messages' QoS; sub: the maximum QoS
  -V VERSION         3.1 (mqttv31), 3.1.1 (311, mqttv311) or 5 (5.0, mqttv5; the default)
  -i ID              client identifier (default mqtt-wire-PID)
  -k SECONDS         keep alive (default 60; 0 turns it off)
  -c                 keep the session: clean start 0, and on 5.0 a session expiry of 3600 s
  -x SECONDS         session expiry interval (5.0)
  -u USER, -P PASS   credentials
  --will-topic T     will message topic; --will-payload P (default empty),
  --will-qos Q       --will-qos (default 0) and --will-retain set the rest
  --will-retain
  pub only:
  -m MESSAGE         the payload
  -n                 an empty payload (with -r: deletes the retained message)
  -l                 one message per line of standard input, until its end
  -r                 retain the message(s)
  sub only:
  -C COUNT           disconnect and exit after COUNT messages
  -v                 print `topic payload` instead of the payload alone
  -W SECONDS         give up with an error after SECONDS
      --help         print this help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("client: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("client: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------ command line

/// What the command line asks for.
struct Options {
    host: String,
    port: u16,
    version: Version,
    client_id: String,
    keep_alive: u16,
    clean_start: bool,
    session_expiry: Option<u32>,
    username: Option<String>,
    password: Option<String>,
    will: Option<Will>,
    qos: QoS,
    role: Role,
}

enum Role {
    Pub {
        topic: TopicName,
        input: Input,
        retain: bool,
    },
    Sub {
        filters: Vec<TopicFilter>,
        count: Option<u64>,
        verbose: bool,
        wait: Option<Duration>,
    },
}

enum Input {
    Message(Bytes),
    Lines,
}

/// Options that only one of the commands takes.
const PUB_ONLY: &[&str] = &["-m", "-n", "-l", "-r"];
const SUB_ONLY: &[&str] = &["-C", "-v", "-W"];

/// The parsed options, `None` for `--help`.
fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    if args.iter().any(|a| a == "--help") {
        return Ok(None);
    }
    let (command, rest) = args.split_first().ok_or("no command: pub or sub")?;
    let publishing = match command.as_str() {
        "pub" => true,
        "sub" => false,
        other => return Err(format!("unknown command {other:?}: pub or sub")),
    };
    let mut host = String::from("localhost");
    let mut port = 1883;
    let mut version = Version::V5;
    let mut client_id = format!("mqtt-wire-{}", std::process::id());
    let mut keep_alive = 60;
    let mut keep_session = false;
    let mut session_expiry = None;
    let (mut username, mut password) = (None, None);
    let (mut will_topic, mut will_payload, mut will_qos, mut will_retain) =
        (None, None, QoS::AtMostOnce, false);
    let mut qos = QoS::AtMostOnce;
    let mut topics: Vec<String> = Vec::new();
    let mut input = None;
    let mut retain = false;
    let (mut count, mut verbose, mut wait) = (None, false, None);

    let mut args = rest.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        if PUB_ONLY.contains(&flag.as_str()) && !publishing {
            return Err(format!("{flag} is for pub"));
        }
        if SUB_ONLY.contains(&flag.as_str()) && publishing {
            return Err(format!("{flag} is for sub"));
        }
        match flag.as_str() {
            "-h" => host = value()?.to_owned(),
            "-p" => port = number(flag, value()?)?,
            "-V" => version = parse_version(value()?)?,
            "-i" => client_id = value()?.to_owned(),
            "-k" => keep_alive = number(flag, value()?)?,
            "-c" => keep_session = true,
            "-x" => session_expiry = Some(number(flag, value()?)?),
            "-u" => username = Some(value()?.to_owned()),
            "-P" => password = Some(value()?.to_owned()),
            "-q" => qos = parse_qos(value()?)?,
            "-t" => topics.push(value()?.to_owned()),
            "--will-topic" => will_topic = Some(value()?.to_owned()),
            "--will-payload" => will_payload = Some(value()?.to_owned()),
            "--will-qos" => will_qos = parse_qos(value()?)?,
            "--will-retain" => will_retain = true,
            "-m" => input = Some(Input::Message(Bytes::from(value()?.to_owned()))),
            "-n" => input = Some(Input::Message(Bytes::new())),
            "-l" => input = Some(Input::Lines),
            "-r" => retain = true,
            "-C" => count = Some(number(flag, value()?)?),
            "-v" => verbose = true,
            "-W" => wait = Some(Duration::from_secs(number(flag, value()?)?)),
            other => return Err(format!("unknown option {other:?}")),
        }
    }

    let will = match (will_topic, will_payload) {
        (Some(topic), payload) => {
            let topic = TopicName::try_from(topic).map_err(|e| format!("--will-topic: {e}"))?;
            Some(Will {
                qos: will_qos,
                retain: will_retain,
                ..Will::new(topic, Bytes::from(payload.unwrap_or_default()))
            })
        }
        (None, Some(_)) => return Err("--will-payload needs --will-topic".into()),
        (None, None) => None,
    };
    if session_expiry.is_some() && version != Version::V5 {
        return Err("-x needs MQTT 5 (-V 5)".into());
    }
    if keep_session && version == Version::V5 {
        session_expiry.get_or_insert(3600);
    }
    if password.is_some() && username.is_none() && version != Version::V5 {
        return Err("-P needs -u before MQTT 5".into());
    }

    let role = if publishing {
        let [topic] = &topics[..] else {
            return Err("pub needs exactly one -t TOPIC".into());
        };
        Role::Pub {
            topic: TopicName::try_from(topic.as_str()).map_err(|e| format!("-t {topic}: {e}"))?,
            input: input.ok_or("pub needs -m MESSAGE, -n or -l")?,
            retain,
        }
    } else {
        if topics.is_empty() {
            return Err("sub needs -t FILTER".into());
        }
        let filters = topics
            .iter()
            .map(|t| TopicFilter::try_from(t.as_str()).map_err(|e| format!("-t {t}: {e}")))
            .collect::<Result<_, _>>()?;
        Role::Sub {
            filters,
            count,
            verbose,
            wait,
        }
    };
    Ok(Some(Options {
        host,
        port,
        version,
        client_id,
        keep_alive,
        clean_start: !keep_session,
        session_expiry,
        username,
        password,
        will,
        qos,
        role,
    }))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: not a valid number: {value:?}"))
}

fn parse_version(value: &str) -> Result<Version, String> {
    Ok(match value {
        "3.1" | "31" | "mqttv31" => Version::V3_1,
        "3.1.1" | "311" | "mqttv311" => Version::V3_1_1,
        "5" | "5.0" | "mqttv5" => Version::V5,
        other => return Err(format!("-V: unknown protocol version {other:?}")),
    })
}

fn parse_qos(value: &str) -> Result<QoS, String> {
    Ok(match value {
        "0" => QoS::AtMostOnce,
        "1" => QoS::AtLeastOnce,
        "2" => QoS::ExactlyOnce,
        other => return Err(format!("not a QoS: {other:?} (0, 1 or 2)")),
    })
}

impl Options {
    fn connect_packet(&self) -> Result<Connect, String> {
        let mut connect = Connect::new(
            self.version,
            ByteString::from(self.client_id.as_str()),
            self.keep_alive,
        );
        connect.clean_start = self.clean_start;
        connect.will = self.will.clone();
        connect.username = self.username.as_deref().map(ByteString::from);
        connect.password = self.password.clone().map(Bytes::from);
        if self.version == Version::V5 {
            let properties = ConnectPropertiesBuilder {
                session_expiry_interval: self.session_expiry,
                // The session resolves the server's topic aliases: sub accepts 16 of them.
                topic_alias_maximum: matches!(self.role, Role::Sub { .. }).then_some(16),
                ..ConnectProperties::builder()
            };
            connect.properties = properties
                .build()
                .map_err(|e| format!("CONNECT properties: {e}"))?;
        }
        Ok(connect)
    }
}

// ------------------------------------------------------------------------------ the run loop

type Error = String;

fn run(options: Options) -> Result<(), Error> {
    let connect = options.connect_packet()?;
    let mut link = Link::open(&options.host, options.port, connect)?;
    match options.role {
        Role::Pub {
            topic,
            input,
            retain,
        } => {
            let lines = match input {
                Input::Message(payload) => {
                    let message = Message::new(topic.clone(), payload)
                        .qos(options.qos)
                        .retain(retain);
                    Lines::One(Some(message))
                }
                Input::Lines => Lines::Stdin(stdin_lines()),
            };
            link.run(&mut Publisher {
                topic,
                qos: options.qos,
                retain,
                lines,
                connected: false,
                unacked: 0,
                failure: None,
            })
        }
        Role::Sub {
            filters,
            count,
            verbose,
            wait,
        } => {
            let clock = link.clock;
            link.run(&mut Subscriber {
                filters,
                qos: options.qos,
                count,
                verbose,
                deadline: wait.map(|w| clock.now() + w),
                received: 0,
                subscribed: false,
                failure: None,
            })
        }
    }
}

/// What `pub` or `sub` does with the session; the run loop is shared.
trait App {
    /// Handles one event other than `Disconnected`.
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: ClientEvent);
    /// Called once per turn of the loop, after the events: new input, deadlines, completion.
    fn poll(&mut self, session: &mut ClientSession, now: Instant) -> Turn;
    /// The longest the loop may wait for the network before calling `poll` again.
    fn wake_within(&self, now: Instant) -> Option<Duration>;
    /// After the application's own DISCONNECT: the outcome.
    fn outcome(&mut self) -> Result<(), Error>;
}

/// What the run loop does after [`App::poll`].
enum Turn {
    /// Wait for the network (nothing new was queued).
    Wait,
    /// Go round again: something was queued for the server.
    Again,
    /// End now, without a DISCONNECT (the connection is not up).
    Stop(Error),
}

/// The session, its TCP connection and its buffers.
struct Link {
    session: ClientSession,
    stream: TcpStream,
    clock: StdClock,
    rx: BytesMut,
    tx: BytesMut,
    /// The I/O error that ended the connection, for the message.
    io_error: Option<io::Error>,
}

impl Link {
    fn open(host: &str, port: u16, connect: Connect) -> Result<Link, Error> {
        // The CONNECT is checked (it must encode) before the network is touched.
        let clock = StdClock::new();
        let mut session = ClientSession::new(ClientConfig::default());
        session
            .connect(clock.now(), connect)
            .map_err(|e| format!("CONNECT: {e}"))?;
        let stream = TcpStream::connect((host, port))
            .map_err(|e| format!("cannot connect to {host}:{port}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Link {
            session,
            stream,
            clock,
            rx: BytesMut::with_capacity(8 * 1024),
            tx: BytesMut::new(),
            io_error: None,
        })
    }

    /// Runs the session until its connection ends.
    fn run(&mut self, app: &mut impl App) -> Result<(), Error> {
        loop {
            self.flush();
            if let Some(event) = self.session.poll_event() {
                let now = self.clock.now();
                match event {
                    ClientEvent::Disconnected { error, .. } => {
                        // A silent or closed peer has nothing more to say: no lingering.
                        let linger = !matches!(
                            error,
                            ConnectionError::TransportClosed
                                | ConnectionError::KeepAliveTimeout
                                | ConnectionError::ConnectTimeout
                        );
                        self.close(linger);
                        return match error {
                            ConnectionError::LocallyClosed => app.outcome(),
                            other => Err(self.describe(other)),
                        };
                    }
                    event => app.on_event(&mut self.session, now, event),
                }
                // An event may have queued an acknowledgement: flush before anything else.
                continue;
            }
            match app.poll(&mut self.session, self.clock.now()) {
                Turn::Wait => self.wait(app.wake_within(self.clock.now())),
                Turn::Again => {}
                Turn::Stop(error) => {
                    self.close(true);
                    return Err(error);
                }
            }
        }
    }

    /// Writes every byte the session owes the server.
    fn flush(&mut self) {
        self.tx.clear();
        if self.session.poll_transmit(self.clock.now(), &mut self.tx) == 0 {
            return;
        }
        if let Err(e) = self.stream.write_all(&self.tx) {
            self.io_error = Some(e);
            self.session.handle_transport_closed(self.clock.now());
        }
    }

    /// Waits for bytes until the session's next timer (or `cap`), then hands the session what
    /// happened: bytes, a timeout, or the end of the connection.
    fn wait(&mut self, cap: Option<Duration>) {
        let now = self.clock.now();
        let timer = self
            .session
            .poll_timeout()
            .map(|t| t.saturating_duration_since(now));
        let timeout = match (timer, cap) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if timeout == Some(Duration::ZERO) {
            self.session.handle_timeout(now);
            return;
        }
        // `None` blocks until bytes come: no timer runs (keep alive 0) and nothing else waits.
        if let Err(e) = self.stream.set_read_timeout(timeout) {
            self.io_error = Some(e);
            self.session.handle_transport_closed(now);
            return;
        }
        let mut buf = [0u8; 8 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => self.session.handle_transport_closed(self.clock.now()),
            Ok(n) => {
                self.rx.extend_from_slice(&buf[..n]);
                self.session.handle_input(self.clock.now(), &mut self.rx);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.session.handle_timeout(self.clock.now());
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                self.io_error = Some(e);
                self.session.handle_transport_closed(self.clock.now());
            }
        }
    }

    /// Closes the TCP connection. With `linger`, after the last bytes: our side first, then
    /// the server's end of stream (2 s at most), so nothing we wrote is lost to a reset.
    fn close(&mut self, linger: bool) {
        if linger && self.io_error.is_none() && self.stream.shutdown(Shutdown::Write).is_ok() {
            let _ = self.stream.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 1024];
            while matches!(self.stream.read(&mut buf), Ok(n) if n > 0) {}
        }
        let _ = self.stream.shutdown(Shutdown::Both);
        self.session.handle_transport_closed(self.clock.now());
    }

    fn describe(&self, error: ConnectionError) -> Error {
        match (error, &self.io_error) {
            (ConnectionError::TransportClosed, Some(e)) => format!("connection lost: {e}"),
            (ConnectionError::TransportClosed, None) => {
                "connection lost: the server closed it".into()
            }
            (ConnectionError::Refused { reason, .. }, _) => {
                format!("connection refused: {}", named(reason, PacketType::ConnAck))
            }
            (ConnectionError::PeerDisconnected { reason, .. }, _) => format!(
                "disconnected by the server: {}",
                named(reason, PacketType::Disconnect)
            ),
            (ConnectionError::Protocol { reason, rule }, _) => {
                let reason = named(reason, PacketType::Disconnect);
                format!("protocol error ({reason}): {rule}")
            }
            (ConnectionError::Decode(e), _) => {
                let reason = named(e.reason_code(), PacketType::Disconnect);
                format!("protocol error ({reason}): {e}")
            }
            (ConnectionError::ConnectTimeout, _) => "timeout: no CONNACK from the server".into(),
            (ConnectionError::KeepAliveTimeout, _) => "timeout: no PINGRESP from the server".into(),
            (other, _) => other.to_string(),
        }
    }
}

/// `0x87 Not authorized`, with the name the code has in `packet`.
fn named(reason: mqtt_wire::ReasonCode, packet: PacketType) -> String {
    match reason.name_in(packet) {
        Some(name) => format!("{} {name}", reason_hex(reason)),
        None => reason_hex(reason),
    }
}

fn reason_hex(reason: mqtt_wire::ReasonCode) -> String {
    format!("0x{:02X}", u8::from(reason))
}

// ------------------------------------------------------------------------------ pub

struct Publisher {
    topic: TopicName,
    qos: QoS,
    retain: bool,
    lines: Lines,
    connected: bool,
    /// QoS 1/2 messages published and not completed.
    unacked: usize,
    failure: Option<Error>,
}

/// Where the messages come from.
enum Lines {
    /// `-m` / `-n`: one message, taken once connected.
    One(Option<Message>),
    /// `-l`: lines read by a thread; `None` once standard input ended.
    Stdin(Option<mpsc::Receiver<io::Result<String>>>),
}

/// Standard input, line by line, from a thread: the run loop waits on the socket, and looks
/// for lines between waits.
fn stdin_lines() -> Option<mpsc::Receiver<io::Result<String>>> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in io::stdin().lock().lines() {
            if send.send(line).is_err() {
                return;
            }
        }
    });
    Some(receive)
}

impl Publisher {
    fn publish(&mut self, session: &mut ClientSession, now: Instant, message: Message) {
        let qos = message.qos;
        match session.publish(now, message) {
            Ok(_) if qos != QoS::AtMostOnce => self.unacked += 1,
            Ok(_) => {}
            Err(e) => self.fail(session, now, format!("publish: {e}")),
        }
    }

    fn fail(&mut self, session: &mut ClientSession, now: Instant, error: Error) {
        self.failure.get_or_insert(error);
        let _ = session.disconnect(now, Disconnect::default());
    }

    /// Whether every message was read, sent and (QoS 1/2) acknowledged.
    fn done(&self, session: &ClientSession) -> bool {
        let input_done = match &self.lines {
            Lines::One(message) => message.is_none(),
            Lines::Stdin(receiver) => receiver.is_none(),
        };
        input_done && self.unacked == 0 && session.pending() == 0
    }
}

impl Publisher {
    /// The next message to publish, if one is ready.
    fn next_message(&mut self) -> Option<io::Result<Message>> {
        let line = match &mut self.lines {
            Lines::One(message) => return message.take().map(Ok),
            Lines::Stdin(receiver) => match receiver.as_ref()?.try_recv() {
                Ok(line) => line,
                Err(mpsc::TryRecvError::Empty) => return None,
                Err(mpsc::TryRecvError::Disconnected) => {
                    *receiver = None;
                    return None;
                }
            },
        };
        Some(line.map(|line| {
            Message::new(self.topic.clone(), line)
                .qos(self.qos)
                .retain(self.retain)
        }))
    }
}

impl App for Publisher {
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: ClientEvent) {
        match event {
            ClientEvent::Connected { .. } => self.connected = true,
            ClientEvent::Published { reason, .. } => {
                self.unacked = self.unacked.saturating_sub(1);
                if !reason.is_success() {
                    let why = named(reason, PacketType::PubAck);
                    self.fail(session, now, format!("publish refused: {why}"));
                }
            }
            ClientEvent::PublishFailed { reason, .. } => {
                self.unacked = self.unacked.saturating_sub(1);
                self.fail(session, now, format!("publish failed: {reason:?}"));
            }
            _ => {}
        }
    }

    fn poll(&mut self, session: &mut ClientSession, now: Instant) -> Turn {
        if !self.connected || self.failure.is_some() {
            return Turn::Wait;
        }
        let mut queued = false;
        while let Some(next) = self.next_message() {
            queued = true;
            match next {
                Ok(message) => self.publish(session, now, message),
                Err(e) => self.fail(session, now, format!("standard input: {e}")),
            }
            if self.failure.is_some() {
                return Turn::Again;
            }
        }
        // QoS 0 messages are done once written: `pending` is 0 after the `poll_transmit` that
        // wrote them, which comes before the next `poll`.
        if self.done(session) {
            let _ = session.disconnect(now, Disconnect::default());
            return Turn::Again;
        }
        if queued { Turn::Again } else { Turn::Wait }
    }

    fn wake_within(&self, _now: Instant) -> Option<Duration> {
        // While standard input is open, look for new lines every 50 ms.
        match &self.lines {
            Lines::Stdin(Some(_)) => Some(Duration::from_millis(50)),
            _ => None,
        }
    }

    fn outcome(&mut self) -> Result<(), Error> {
        self.failure.take().map_or(Ok(()), Err)
    }
}

// ------------------------------------------------------------------------------ sub

struct Subscriber {
    filters: Vec<TopicFilter>,
    qos: QoS,
    count: Option<u64>,
    verbose: bool,
    deadline: Option<Instant>,
    received: u64,
    subscribed: bool,
    failure: Option<Error>,
}

impl Subscriber {
    fn finish(&mut self, session: &mut ClientSession, now: Instant, failure: Option<Error>) {
        if self.failure.is_none() {
            self.failure = failure;
        }
        let _ = session.disconnect(now, Disconnect::default());
    }

    fn finished(&self) -> bool {
        self.count.is_some_and(|c| self.received >= c)
    }

    fn print(&self, topic: &str, payload: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if self.verbose {
            out.write_all(topic.as_bytes())?;
            out.write_all(b" ")?;
        }
        out.write_all(payload)?;
        out.write_all(b"\n")?;
        out.flush()
    }
}

impl App for Subscriber {
    fn on_event(&mut self, session: &mut ClientSession, now: Instant, event: ClientEvent) {
        match event {
            ClientEvent::Connected { .. } if !self.subscribed => {
                self.subscribed = true;
                let options = SubscriptionOptions::qos(self.qos);
                let filters = SubscribeFilters::try_from_iter(
                    self.filters.iter().map(|f| (f.clone(), options)),
                );
                let result = filters.map_err(|e| e.to_string()).and_then(|filters| {
                    session
                        .subscribe(now, filters, SubscribeProperties::default())
                        .map_err(|e| e.to_string())
                });
                if let Err(e) = result {
                    self.finish(session, now, Some(format!("subscribe: {e}")));
                }
            }
            ClientEvent::Subscribed { suback, .. } => {
                let refused = self.filters.iter().zip(&suback.reason_codes);
                if let Some((filter, code)) = refused.into_iter().find(|(_, c)| !c.is_success()) {
                    let why = named(*code, PacketType::SubAck);
                    self.finish(
                        session,
                        now,
                        Some(format!("subscription to {filter} refused: {why}")),
                    );
                }
            }
            ClientEvent::Message { publish, .. } if !self.finished() => {
                self.received += 1;
                match self.print(&publish.topic, &publish.payload) {
                    Ok(()) if self.finished() => self.finish(session, now, None),
                    Ok(()) => {}
                    // The reader went away (`| head`): stop quietly.
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                        self.finish(session, now, None)
                    }
                    Err(e) => self.finish(session, now, Some(format!("standard output: {e}"))),
                }
            }
            _ => {}
        }
    }

    fn poll(&mut self, session: &mut ClientSession, now: Instant) -> Turn {
        let Some(deadline) = self.deadline else {
            return Turn::Wait;
        };
        if now < deadline {
            return Turn::Wait;
        }
        self.deadline = None;
        let error = format!("timeout: {} message(s) received", self.received);
        if session.status() == Status::Connected {
            self.finish(session, now, Some(error));
            Turn::Again
        } else {
            Turn::Stop(error)
        }
    }

    fn wake_within(&self, now: Instant) -> Option<Duration> {
        self.deadline.map(|d| d.saturating_duration_since(now))
    }

    fn outcome(&mut self) -> Result<(), Error> {
        self.failure.take().map_or(Ok(()), Err)
    }
}
