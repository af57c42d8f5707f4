//! A load generator for MQTT brokers: many `ClientSession`s on one thread, over `mio`.
//!
//! ```text
//! cargo run --release --example loadgen -- --host 127.0.0.1 --port 1883 \
//!     --scenario qos0-1to1 --duration 10 --payload 64
//! ```
//!
//! Scenarios:
//!
//! | name        | publishers | subscribers                 | QoS | rate            |
//! |-------------|------------|-----------------------------|-----|-----------------|
//! | `qos0-1to1` | 1          | 1                           | 0   | as fast as it can |
//! | `qos1-1to1` | 1          | 1                           | 1   | as fast as it can |
//! | `10to10`    | 10         | 10, one topic each          | 0   | as fast as it can |
//! | `fanout100` | 1          | 100, all on its topic       | 0   | as fast as it can |
//! | `idle1000`  | 1          | 1, and 1,000 idle clients   | 0   | 1,000 msg/s     |
//!
//! `--qos` and `--rate` (messages per second over all publishers) override the defaults.
//!
//! Every client connects (MQTT 5.0 by default, `-V 3.1.1`), the subscribers subscribe, and only
//! when every SUBACK has come does publishing start; it runs `--duration` seconds, then the
//! messages still under way are given up to two seconds to arrive. Each payload starts with the
//! time it was published (nanoseconds on the process's clock, little-endian); a subscriber takes
//! the time again when it reads the message, and the difference is its latency.
//!
//! A publisher publishes as fast as back-pressure lets it: at QoS 0 while the socket takes
//! the bytes (nothing waits in the session or in this program's buffer when a message is made,
//! so its timestamp is taken as it leaves); at QoS 1 while the server's Receive Maximum has room.
//! On top of that, at most `--window` deliveries are under way (a message published and not yet
//! received counts once per subscriber of its topic; 10,000 by default, shared evenly by the
//! publishers, at least one message each): a broker that reads faster than it delivers would
//! otherwise queue without bound, and the latency would measure the length of the run rather
//! than the broker. `--window 0` lifts the limit. What is measured is then what the broker
//! delivers, on a machine the generator shares with it.
//!
//! At full speed the latency is mostly the wait behind the deliveries under way (by Little's
//! law, about the window divided by the rate); the latency of a broker that keeps up is measured
//! with `--rate` below its throughput.
//!
//! The result is one line for people and one for scripts (`R` messages per second received
//! during the run, latencies `A`, `B`, `C`, `S` messages sent, `N` received of the `E` expected):
//!
//! ```text
//! qos1-1to1: 1 -> 1, QoS 1, 64 B, 10.0 s: R msg/s received; latency p50 A ms, p99 B ms, max C ms; sent S, received N of E
//! RESULT scenario=qos1-1to1 qos=1 publishers=1 subscribers=1 idle=0 payload=64 rate=R p50_us=A p99_us=B max_us=C sent=S received=N expected=E
//! ```
//!
//! `--broker-pid PID` adds the broker's resident memory (`VmRSS` of `/proc/PID/status`) before the
//! clients connect and once they all have: the memory per connection, for `idle1000` the cost of
//! an idle client.

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use mqtt_wire::bytes::{Buf, BufMut};
use mqtt_wire::session::{ClientConfig, ClientEvent, ClientSession, ConnectionError, Instant};
use mqtt_wire::session::{Message, Status};
use mqtt_wire::{
    ByteString, BytesMut, Connect, Disconnect, QoS, SubscribeFilters, SubscribeProperties,
    SubscriptionOptions, TopicFilter, TopicName, Version,
};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: loadgen [--host HOST] [--port PORT] --scenario NAME [options]

  --host HOST        broker host (default 127.0.0.1)
  --port PORT        broker port (default 1883)
  --scenario NAME    qos0-1to1, qos1-1to1, 10to10, fanout100 or idle1000
  --duration SECS    how long to publish (default 10)
  --payload BYTES    payload size, at least 12 (default 64)
  --qos Q            0 or 1: the publishers' QoS and the subscriptions' maximum
  --rate N           messages per second over all publishers (default: as fast as possible;
                     idle1000: 1000)
  --idle N           idle clients (idle1000: 1000)
  --window N         deliveries under way at most, over all publishers (a message counts
                     once per subscriber of its topic; default 10000; 0: no limit)
  -V VERSION         5 (default) or 3.1.1
  --broker-pid PID   report the broker's resident memory before and after connecting
  --help             print this help";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("loadgen: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    match Run::new(options).and_then(Run::run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------ command line

struct Options {
    addr: SocketAddr,
    scenario: String,
    publishers: usize,
    subscribers: usize,
    /// All subscribers on the one publisher's topic (else subscriber `i` on publisher `i`'s).
    fanout: bool,
    idle: usize,
    qos: QoS,
    /// Messages per second over all publishers; `None`: as fast as possible.
    rate: Option<f64>,
    duration: Duration,
    payload: usize,
    /// Deliveries under way at most, over all publishers; 0: no limit.
    window: u64,
    version: Version,
    broker_pid: Option<u32>,
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    if args.iter().any(|a| a == "--help") {
        return Ok(None);
    }
    let mut host = String::from("127.0.0.1");
    let mut port: u16 = 1883;
    let mut scenario = None;
    let mut duration = 10.0_f64;
    let mut payload = 64;
    let mut qos = None;
    let mut rate = None;
    let mut idle = None;
    let mut window = 10_000;
    let mut version = Version::V5;
    let mut broker_pid = None;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--host" => host = value()?.to_owned(),
            "--port" => port = number(flag, value()?)?,
            "--scenario" => scenario = Some(value()?.to_owned()),
            "--duration" => duration = number(flag, value()?)?,
            "--payload" => payload = number(flag, value()?)?,
            "--qos" => {
                qos = Some(match value()? {
                    "0" => QoS::AtMostOnce,
                    "1" => QoS::AtLeastOnce,
                    other => return Err(format!("--qos: 0 or 1, not {other:?}")),
                })
            }
            "--rate" => rate = Some(number::<f64>(flag, value()?)?),
            "--idle" => idle = Some(number(flag, value()?)?),
            "--window" => window = number(flag, value()?)?,
            "-V" => {
                version = match value()? {
                    "5" | "5.0" => Version::V5,
                    "3.1.1" | "311" => Version::V3_1_1,
                    other => return Err(format!("-V: 5 or 3.1.1, not {other:?}")),
                }
            }
            "--broker-pid" => broker_pid = Some(number(flag, value()?)?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let scenario = scenario.ok_or("--scenario is needed")?;
    // (publishers, subscribers, fanout, idle, QoS, rate)
    let (publishers, subscribers, fanout, default_idle, default_qos, default_rate) =
        match scenario.as_str() {
            "qos0-1to1" => (1, 1, false, 0, QoS::AtMostOnce, None),
            "qos1-1to1" => (1, 1, false, 0, QoS::AtLeastOnce, None),
            "10to10" => (10, 10, false, 0, QoS::AtMostOnce, None),
            "fanout100" => (1, 100, true, 0, QoS::AtMostOnce, None),
            "idle1000" => (1, 1, false, 1000, QoS::AtMostOnce, Some(1000.0)),
            other => return Err(format!("unknown scenario {other:?}")),
        };
    if payload < 12 {
        return Err("--payload: at least 12 bytes (timestamp and publisher)".into());
    }
    if !(duration > 0.0 && duration.is_finite()) {
        return Err("--duration: a positive number of seconds".into());
    }
    let rate = rate.or(default_rate);
    if rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err("--rate: a positive number".into());
    }
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    Ok(Some(Options {
        addr,
        scenario,
        publishers,
        subscribers,
        fanout,
        idle: idle.unwrap_or(default_idle),
        qos: qos.unwrap_or(default_qos),
        rate,
        duration: Duration::from_secs_f64(duration),
        payload,
        window,
        version,
        broker_pid,
    }))
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: not a valid number: {value:?}"))
}

// ------------------------------------------------------------------------------ time

/// The process's clock: nanoseconds since the generator started, for the timestamps in the
/// payloads, and the sessions' millisecond `Instant` on the same base.
struct Clock {
    base: std::time::Instant,
}

impl Clock {
    #[allow(
        clippy::disallowed_methods,
        reason = "a load generator measures latency on the real clock"
    )]
    fn new() -> Clock {
        Clock {
            base: std::time::Instant::now(),
        }
    }

    #[allow(
        clippy::disallowed_methods,
        reason = "a load generator measures latency on the real clock"
    )]
    fn nanos(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn session(nanos: u64) -> Instant {
        Instant::from_millis(nanos / 1_000_000)
    }
}

// ------------------------------------------------------------------------------ latency

/// Latencies in nanoseconds, in buckets of about 1.6 % width: 128 exact values, then 64
/// buckets for each power of two. Constant memory, whatever the number of messages.
struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
const HALF: u64 = SUB / 2;

impl Histogram {
    fn new() -> Histogram {
        let buckets = SUB + (64 - u64::from(SUB_BITS)) * HALF;
        Histogram {
            counts: vec![0; buckets as usize],
            total: 0,
            max: 0,
        }
    }

    fn index(value: u64) -> usize {
        if value < SUB {
            return value as usize;
        }
        let exponent = 63 - value.leading_zeros(); // at least SUB_BITS
        let shift = exponent - (SUB_BITS - 1);
        let top = value >> shift; // in HALF..SUB
        (SUB + u64::from(exponent - SUB_BITS) * HALF + (top - HALF)) as usize
    }

    /// The middle of bucket `index`.
    fn value(index: usize) -> u64 {
        let index = index as u64;
        if index < SUB {
            return index;
        }
        let k = (index - SUB) / HALF;
        let shift = k + 1;
        let low = (HALF + (index - SUB) % HALF) << shift;
        low + (1 << shift) / 2
    }

    fn record(&mut self, value: u64) {
        if let Some(count) = self.counts.get_mut(Histogram::index(value)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(value);
    }

    /// The value below which the fraction `q` of the recorded values lie.
    fn quantile(&self, q: f64) -> u64 {
        let target = ((self.total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= target {
                return Histogram::value(index).min(self.max);
            }
        }
        self.max
    }
}

// ------------------------------------------------------------------------------ connections

enum Role {
    Publisher {
        topic: TopicName,
        /// When the next message is due (rate-limited runs), in nanoseconds.
        next_due: u64,
        /// Messages published.
        sent: u64,
    },
    Subscriber {
        filter: TopicFilter,
    },
    Idle,
}

/// One client: its socket, session and buffers.
struct Conn {
    stream: TcpStream,
    session: ClientSession,
    role: Role,
    /// Bytes received and not yet taken by the session.
    rx: BytesMut,
    /// Bytes from `poll_transmit` not yet written to the socket.
    tx: BytesMut,
    /// The TCP connection is established (the first writable event came).
    tcp_up: bool,
    /// The socket may have bytes to read (edge-triggered: until a read would block).
    read_ready: bool,
    /// A write would block: wait for the next writable event.
    write_blocked: bool,
    connected: bool,
    subscribed: bool,
    closed: bool,
}

/// Where the run is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Opening connections, waiting for every CONNACK and SUBACK.
    Setup,
    /// Publishing until `end`.
    Measuring { start: u64, end: u64 },
    /// Publishing stopped; waiting for what is under way, until `until` at the latest.
    Draining { until: u64 },
    /// Disconnecting.
    Done,
}

#[derive(Default)]
struct Counts {
    connected: usize,
    subscribed: usize,
    /// Messages published during the measurement.
    sent: u64,
    /// QoS 1 messages acknowledged.
    acked: u64,
    /// Messages received, in total and in the measurement window.
    received: u64,
    received_in_window: u64,
    /// When `received` last grew (draining ends when it stops).
    last_receipt: u64,
}

struct Run {
    options: Options,
    clock: Clock,
    poll: Poll,
    conns: Vec<Conn>,
    phase: Phase,
    counts: Counts,
    latency: Histogram,
    /// The first fault, which ends the run.
    error: Option<String>,
    /// Read buffer shared by every connection.
    scratch: Vec<u8>,
    /// Payloads are cut from this buffer without an allocation each.
    payloads: BytesMut,
    rss_before: Option<u64>,
    rss_connected: Option<u64>,
    /// Messages received from each publisher, by all its subscribers together.
    delivered: Vec<u64>,
}

/// Connections still opening, at most: a burst of thousands of SYNs overflows listen queues.
const MAX_OPENING: usize = 64;
/// Messages one publisher queues in a turn, at most, before others get theirs.
const BURST: usize = 32;
/// Bytes read from one socket in a turn, at most, before others get theirs.
const READ_TURN: usize = 1 << 20;
/// How long setup and the final disconnection may take.
const SETUP_LIMIT: Duration = Duration::from_secs(60);
/// How long the messages under way may take to arrive after publishing stops.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);
/// Draining ends when nothing arrived for this long.
const DRAIN_QUIET: Duration = Duration::from_millis(300);

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Run {
    fn new(options: Options) -> Result<Run, String> {
        let options_publishers = options.publishers;
        let rss_before = options.broker_pid.and_then(rss_kib);
        Ok(Run {
            options,
            clock: Clock::new(),
            poll: Poll::new().map_err(|e| format!("poll: {e}"))?,
            conns: Vec::new(),
            phase: Phase::Setup,
            counts: Counts::default(),
            latency: Histogram::new(),
            error: None,
            scratch: vec![0; 64 * 1024],
            payloads: BytesMut::new(),
            rss_before,
            rss_connected: None,
            delivered: vec![0; options_publishers],
        })
    }

    fn total(&self) -> usize {
        self.options.publishers + self.options.subscribers + self.options.idle
    }

    /// The role of client `index`: publishers first, then subscribers, then idle clients.
    fn role(&self, index: usize) -> Result<Role, String> {
        let o = &self.options;
        let topic = |i: usize| format!("loadgen/{}/{i}", std::process::id());
        if index < o.publishers {
            let topic = TopicName::try_from(topic(index)).map_err(|e| e.to_string())?;
            return Ok(Role::Publisher {
                topic,
                next_due: 0,
                sent: 0,
            });
        }
        let sub = index - o.publishers;
        if sub < o.subscribers {
            let i = if o.fanout { 0 } else { sub % o.publishers };
            let filter = TopicFilter::try_from(topic(i)).map_err(|e| e.to_string())?;
            return Ok(Role::Subscriber { filter });
        }
        Ok(Role::Idle)
    }

    fn open(&mut self) -> Result<(), String> {
        let index = self.conns.len();
        let mut stream =
            TcpStream::connect(self.options.addr).map_err(|e| format!("connect: {e}"))?;
        self.poll
            .registry()
            .register(
                &mut stream,
                Token(index),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|e| format!("register: {e}"))?;
        let mut session = ClientSession::new(ClientConfig::default());
        let client_id = format!("loadgen-{}-{index}", std::process::id());
        let connect = Connect::new(self.options.version, ByteString::from(client_id), 60);
        let now = Clock::session(self.clock.nanos());
        session
            .connect(now, connect)
            .map_err(|e| format!("CONNECT: {e}"))?;
        let role = self.role(index)?;
        self.conns.push(Conn {
            stream,
            session,
            role,
            rx: BytesMut::with_capacity(64 * 1024),
            tx: BytesMut::with_capacity(64 * 1024),
            tcp_up: false,
            read_ready: false,
            write_blocked: false,
            connected: false,
            subscribed: false,
            closed: false,
        });
        Ok(())
    }

    fn fail(&mut self, error: String) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    fn run(mut self) -> Result<(), String> {
        let mut events = Events::with_capacity(4096);
        let setup_started = self.clock.nanos();
        let mut next_tick = 0;
        let mut again: Vec<usize> = Vec::new();
        loop {
            let now = self.clock.nanos();
            if let Some(error) = self.error.take() {
                return Err(error);
            }
            match self.phase {
                Phase::Setup => {
                    let opening = self.conns.iter().filter(|c| !c.connected).count();
                    for _ in opening..MAX_OPENING {
                        if self.conns.len() == self.total() {
                            break;
                        }
                        self.open()?;
                    }
                    if self.counts.connected == self.total()
                        && self.counts.subscribed == self.options.subscribers
                    {
                        self.rss_connected = self.options.broker_pid.and_then(rss_kib);
                        eprintln!(
                            "loadgen: {} clients connected and subscribed in {:.2} s; publishing",
                            self.total(),
                            (now - setup_started) as f64 / 1e9
                        );
                        self.phase = Phase::Measuring {
                            start: now,
                            end: now + nanos(self.options.duration),
                        };
                        continue;
                    }
                    if now - setup_started > nanos(SETUP_LIMIT) {
                        return Err(format!(
                            "setup took over {SETUP_LIMIT:?}: {} of {} connected, {} of {} subscribed",
                            self.counts.connected,
                            self.total(),
                            self.counts.subscribed,
                            self.options.subscribers
                        ));
                    }
                }
                Phase::Measuring { end, .. } if now >= end => {
                    self.counts.last_receipt = now;
                    self.phase = Phase::Draining {
                        until: now + nanos(DRAIN_LIMIT),
                    };
                    continue;
                }
                Phase::Measuring { .. } => {}
                Phase::Draining { until } => {
                    let quiet = now.saturating_sub(self.counts.last_receipt) > nanos(DRAIN_QUIET);
                    let acked = self.options.qos == QoS::AtMostOnce
                        || self.counts.acked == self.counts.sent;
                    if now >= until || (quiet && acked) {
                        self.phase = Phase::Done;
                        return self.finish();
                    }
                }
                Phase::Done => return self.finish(),
            }

            // Publishers queue their messages, then the sockets are served.
            let mut busy = false;
            if let Phase::Measuring { .. } = self.phase {
                for index in 0..self.options.publishers.min(self.conns.len()) {
                    busy |= self.publish(index);
                }
            }
            for index in std::mem::take(&mut again) {
                if self.drive(index) {
                    again.push(index);
                }
            }
            if now >= next_tick {
                next_tick = now + 100_000_000;
                self.timers();
            }
            let timeout = if busy || !again.is_empty() {
                Duration::ZERO
            } else {
                self.idle_timeout(now)
            };
            match self.poll.poll(&mut events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("poll: {e}")),
            }
            for event in events.iter() {
                let index = event.token().0;
                let Some(conn) = self.conns.get_mut(index) else {
                    continue;
                };
                if event.is_writable() {
                    if !conn.tcp_up {
                        if let Ok(Some(e)) | Err(e) = conn.stream.take_error() {
                            let addr = self.options.addr;
                            self.fail(format!("cannot connect to {addr}: {e}"));
                            continue;
                        }
                        conn.tcp_up = true;
                        let _ = conn.stream.set_nodelay(true);
                    }
                    conn.write_blocked = false;
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    conn.read_ready = true;
                }
                if self.drive(index) {
                    again.push(index);
                }
            }
        }
    }

    /// How long to wait for the sockets when no publisher has work: until the next
    /// rate-limited message is due, or 10 ms.
    fn idle_timeout(&self, now: u64) -> Duration {
        let mut wait = 10_000_000;
        if let (Phase::Measuring { .. }, Some(_)) = (self.phase, self.options.rate) {
            for conn in self.conns.iter().take(self.options.publishers) {
                if let Role::Publisher { next_due, .. } = conn.role {
                    wait = wait.min(next_due.saturating_sub(now));
                }
            }
        }
        Duration::from_nanos(wait)
    }

    /// The subscribers of each publisher's topic.
    fn per_topic(&self) -> u64 {
        let per_topic = if self.options.fanout {
            self.options.subscribers
        } else {
            self.options.subscribers / self.options.publishers.max(1)
        };
        per_topic as u64
    }

    /// The messages every subscriber together should receive for what was sent.
    fn expected(&self) -> u64 {
        self.counts.sent * self.per_topic()
    }

    /// Lets publisher `index` queue what back-pressure and the rate allow. True when it could
    /// queue more right away (the loop then does not sleep).
    fn publish(&mut self, index: usize) -> bool {
        let qos = self.options.qos;
        let interval = self
            .options
            .rate
            .map(|rate| (1e9 * self.options.publishers as f64 / rate) as u64);
        let payload_len = self.options.payload;
        let per_topic = self.per_topic();
        // This publisher's share of the window, at least one message.
        let publishers = self.options.publishers.max(1) as u64;
        let window = (self.options.window / publishers).max(per_topic);
        let delivered = self.delivered.get(index).copied().unwrap_or_default();
        let Some(conn) = self.conns.get_mut(index) else {
            return false;
        };
        if !conn.connected || conn.closed || conn.write_blocked || !conn.tx.is_empty() {
            return false;
        }
        let mut queued = 0;
        let mut more = false;
        while queued < BURST {
            let room = match qos {
                // The session sends all of them on the next `poll_transmit`.
                QoS::AtMostOnce => conn.session.pending() < BURST,
                // Only within the server's Receive Maximum.
                _ => conn.session.pending() < usize::from(conn.session.send_quota()),
            };
            if !room {
                break;
            }
            let now = self.clock.nanos();
            let Role::Publisher {
                topic,
                next_due,
                sent,
            } = &mut conn.role
            else {
                return false;
            };
            // Deliveries still under way, against the window.
            if self.options.window > 0 && (*sent * per_topic).saturating_sub(delivered) >= window {
                break;
            }
            if let Some(interval) = interval {
                if *next_due == 0 {
                    *next_due = now;
                }
                if now < *next_due {
                    break;
                }
                *next_due += interval;
            }
            self.payloads.reserve(payload_len.max(64 * 1024));
            self.payloads.put_u64_le(now);
            self.payloads
                .put_u32_le(u32::try_from(index).unwrap_or(u32::MAX));
            self.payloads.put_bytes(0, payload_len - 12);
            let payload = self.payloads.split().freeze();
            let message = Message::new(topic.clone(), payload).qos(qos);
            match conn.session.publish(Clock::session(now), message) {
                Ok(_) => {
                    self.counts.sent += 1;
                    *sent += 1;
                    queued += 1;
                }
                Err(e) => {
                    let error = format!("publish: {e}");
                    self.fail(error);
                    return false;
                }
            }
            more = queued == BURST;
        }
        if queued > 0 {
            self.transmit(index);
        }
        more && interval.is_none()
    }

    /// Reads what the socket has, and feeds it to the session. True when the connection stopped
    /// reading for the others' turn and should be driven again.
    fn drive(&mut self, index: usize) -> bool {
        let mut read = 0;
        loop {
            self.feed(index);
            let Some(conn) = self.conns.get_mut(index) else {
                return false;
            };
            // With its queues full (the socket does not take its bytes), the session reads no
            // more: the writable event that unblocks it drives it again.
            if conn.closed || !conn.read_ready || !conn.session.wants_read() {
                return false;
            }
            if read >= READ_TURN {
                return true;
            }
            match conn.stream.read(&mut self.scratch) {
                Ok(0) => {
                    conn.read_ready = false;
                    conn.session
                        .handle_transport_closed(Clock::session(self.clock.nanos()));
                }
                Ok(n) => {
                    read += n;
                    conn.rx
                        .extend_from_slice(self.scratch.get(..n).unwrap_or_default());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => conn.read_ready = false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    conn.read_ready = false;
                    let now = Clock::session(self.clock.nanos());
                    conn.session.handle_transport_closed(now);
                    self.fail(format!("read: {e}"));
                }
            }
        }
    }

    /// The run loop of one session: input, events, then bytes out; again while the session
    /// takes more of the input (it stops when its event queue is full).
    fn feed(&mut self, index: usize) {
        loop {
            let now = self.clock.nanos();
            let Some(conn) = self.conns.get_mut(index) else {
                return;
            };
            let before = conn.rx.len();
            if before > 0 && conn.session.wants_read() {
                conn.session.handle_input(Clock::session(now), &mut conn.rx);
            }
            self.take_events(index, now);
            self.transmit(index);
            let Some(conn) = self.conns.get_mut(index) else {
                return;
            };
            if conn.rx.is_empty() || conn.rx.len() == before {
                return;
            }
        }
    }

    /// Writes what the session owes the server, as far as the socket takes it.
    fn transmit(&mut self, index: usize) {
        let now = Clock::session(self.clock.nanos());
        let Some(conn) = self.conns.get_mut(index) else {
            return;
        };
        loop {
            if conn.tx.is_empty() {
                conn.tx.clear();
                if conn.session.poll_transmit(now, &mut conn.tx) == 0 {
                    break;
                }
            }
            if !conn.tcp_up || conn.write_blocked {
                break;
            }
            match conn.stream.write(&conn.tx) {
                Ok(n) => conn.tx.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => conn.write_blocked = true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    conn.session.handle_transport_closed(now);
                    let error = format!("write: {e}");
                    self.fail(error);
                    return;
                }
            }
        }
        if conn.session.should_close() {
            conn.session.handle_transport_closed(now);
        }
    }

    /// Takes every event of connection `index`, at `now` (nanoseconds) for the latencies.
    fn take_events(&mut self, index: usize, now: u64) {
        let measuring = match self.phase {
            Phase::Measuring { start, end } => Some((start, end)),
            _ => None,
        };
        let qos = self.options.qos;
        let Some(conn) = self.conns.get_mut(index) else {
            return;
        };
        while let Some(event) = conn.session.poll_event() {
            match event {
                ClientEvent::Connected { .. } => {
                    conn.connected = true;
                    self.counts.connected += 1;
                    if let Role::Subscriber { filter } = &conn.role {
                        let options = SubscriptionOptions::qos(qos);
                        let subscribed =
                            SubscribeFilters::try_from_iter([(filter.clone(), options)])
                                .map_err(|e| e.to_string())
                                .and_then(|filters| {
                                    conn.session
                                        .subscribe(
                                            Clock::session(now),
                                            filters,
                                            SubscribeProperties::default(),
                                        )
                                        .map_err(|e| e.to_string())
                                });
                        if let Err(e) = subscribed {
                            self.error.get_or_insert(format!("subscribe: {e}"));
                        }
                    }
                }
                ClientEvent::Subscribed { suback, .. } => {
                    if let Some(code) = suback.reason_codes.iter().find(|c| !c.is_success()) {
                        let code = u8::from(*code);
                        self.error
                            .get_or_insert(format!("subscription refused: 0x{code:02X}"));
                    }
                    conn.subscribed = true;
                    self.counts.subscribed += 1;
                }
                ClientEvent::Message { publish, .. } => {
                    self.counts.received += 1;
                    self.counts.last_receipt = now;
                    let publisher = publish.payload.get(8..12).map(|b| {
                        let mut bytes = [0; 4];
                        bytes.copy_from_slice(b);
                        u32::from_le_bytes(bytes) as usize
                    });
                    if let Some(count) = publisher.and_then(|i| self.delivered.get_mut(i)) {
                        *count += 1;
                    }
                    if let (Some((start, end)), Some(stamp)) = (measuring, publish.payload.get(..8))
                    {
                        let mut bytes = [0; 8];
                        bytes.copy_from_slice(stamp);
                        let sent = u64::from_le_bytes(bytes);
                        if sent >= start && now <= end {
                            self.latency.record(now.saturating_sub(sent));
                            self.counts.received_in_window += 1;
                        }
                    }
                }
                ClientEvent::Published { reason, .. } => {
                    self.counts.acked += 1;
                    if !reason.is_success() {
                        let code = u8::from(reason);
                        self.error
                            .get_or_insert(format!("publish refused: 0x{code:02X}"));
                    }
                }
                ClientEvent::PublishFailed { reason, .. } => {
                    self.error
                        .get_or_insert(format!("publish failed: {reason}"));
                }
                ClientEvent::Disconnected { error, .. } => {
                    conn.closed = true;
                    if !matches!(error, ConnectionError::LocallyClosed) && self.phase != Phase::Done
                    {
                        self.error
                            .get_or_insert(format!("client {index} disconnected: {error}"));
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs the sessions' timers (keep alive, CONNACK timeout).
    fn timers(&mut self) {
        let now = self.clock.nanos();
        for index in 0..self.conns.len() {
            let due = self.conns.get(index).is_some_and(|conn| {
                !conn.closed
                    && conn
                        .session
                        .poll_timeout()
                        .is_some_and(|t| t <= Clock::session(now))
            });
            if due {
                if let Some(conn) = self.conns.get_mut(index) {
                    conn.session.handle_timeout(Clock::session(now));
                }
                self.drive(index);
            }
        }
    }

    /// Prints the results and disconnects every client.
    fn finish(mut self) -> Result<(), String> {
        let (start, end) = (0, nanos(self.options.duration));
        let seconds = (end - start) as f64 / 1e9;
        let rate = self.counts.received_in_window as f64 / seconds;
        let o = &self.options;
        let us = |ns: u64| ns / 1000;
        let ms = |ns: u64| ns as f64 / 1e6;
        let (p50, p99, max) = (
            self.latency.quantile(0.50),
            self.latency.quantile(0.99),
            self.latency.max,
        );
        let expected = self.expected();
        let qos = match o.qos {
            QoS::AtMostOnce => 0,
            QoS::AtLeastOnce => 1,
            QoS::ExactlyOnce => 2,
        };
        let mut who = format!("{} -> {}", o.publishers, o.subscribers);
        if o.idle > 0 {
            who.push_str(&format!(" (+{} idle)", o.idle));
        }
        println!(
            "{}: {who}, QoS {qos}, {} B, {seconds:.1} s: {rate:.0} msg/s received; \
             latency p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; sent {}, received {} of {}",
            o.scenario,
            o.payload,
            ms(p50),
            ms(p99),
            ms(max),
            self.counts.sent,
            self.counts.received,
            expected
        );
        let mut result = format!(
            "RESULT scenario={} qos={qos} publishers={} subscribers={} idle={} payload={} \
             rate={rate:.0} p50_us={} p99_us={} max_us={} sent={} received={} expected={}",
            o.scenario,
            o.publishers,
            o.subscribers,
            o.idle,
            o.payload,
            us(p50),
            us(p99),
            us(max),
            self.counts.sent,
            self.counts.received,
            expected
        );
        if let (Some(before), Some(after)) = (self.rss_before, self.rss_connected) {
            let per = (after.saturating_sub(before) * 1024) / self.total().max(1) as u64;
            println!(
                "broker resident memory: {before} KiB before, {after} KiB with {} clients \
                 connected: {per} bytes per connection",
                self.total()
            );
            result.push_str(&format!(
                " rss_before_kib={before} rss_connected_kib={after} rss_per_conn_bytes={per}"
            ));
        }
        println!("{result}");

        // Disconnect everyone, and give the DISCONNECTs a moment to leave.
        let now = Clock::session(self.clock.nanos());
        for conn in &mut self.conns {
            if conn.session.status() == Status::Connected {
                let _ = conn.session.disconnect(now, Disconnect::default());
            }
        }
        self.phase = Phase::Done;
        for index in 0..self.conns.len() {
            self.transmit(index);
        }
        let deadline = self.clock.nanos() + 1_000_000_000;
        let mut events = Events::with_capacity(1024);
        while self.conns.iter().any(|c| !c.tx.is_empty() && !c.closed)
            && self.clock.nanos() < deadline
        {
            let _ = self.poll.poll(&mut events, Some(Duration::from_millis(10)));
            for event in events.iter() {
                if let Some(conn) = self.conns.get_mut(event.token().0) {
                    conn.write_blocked = false;
                }
            }
            for index in 0..self.conns.len() {
                self.transmit(index);
            }
        }
        Ok(())
    }
}

/// The resident memory of process `pid` in KiB (`VmRSS` of `/proc/PID/status`), on Linux.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
