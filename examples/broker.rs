//! An MQTT broker: `mqtt_wire::broker::Broker` behind a single-threaded `mio` event loop.
//!
//! ```text
//! cargo run --release --features broker --example broker -- \
//!     [--port 1883] [--bind 127.0.0.1] [--acl-file FILE] [--max-connections N]
//!     [--receive-maximum N] [--max-queued N] [-v]
//! ```
//!
//! MQTT 3.1, 3.1.1 and 5.0 on one TCP port; anonymous clients are let in. Every connection
//! event is one line on standard error (`-v` adds every packet, both ways). SIGINT and SIGTERM
//! stop it at once: the listener and every connection are closed and the process exits with
//! status 0.
//!
//! `--acl-file` reads mosquitto's `acl_file` format (`topic [read|write|readwrite|deny]
//! FILTER`, `user NAME` sections, `pattern` lines with `%c` and `%u`; see
//! `mqtt_wire::broker::acl`): a PUBLISH to a topic the client may not write is dropped (QoS 1
//! and 2: acknowledged with 0x87 on 5.0), a SUBSCRIBE to a filter it may not read is refused in
//! SUBACK (0x87; 0x80 on 3.1 and 3.1.1), and every delivery is checked against the
//! subscriber's read rights.
//!
//! # The I/O loop
//!
//! All protocol work happens in the broker core; this file only moves bytes:
//!
//! - **Reading.** A readable socket is read into one shared buffer, appended to its
//!   connection's buffer (empty but for a partial packet) and handed to
//!   [`Broker::handle_input`], at most [`READS_PER_TURN`] times per wake-up so one busy client
//!   cannot hold the others back. When the connection's session has no room for more (its
//!   acknowledgements wait for a socket that does not take them), reading stops, and the TCP
//!   window pushes back on the client, until its output moved on.
//! - **Writing.** [`Broker::poll_ready`] names the connections with output; a connection's bytes
//!   are pulled with [`Broker::transmit`] only while its socket takes them. Bytes a socket did
//!   not take wait in that connection's buffer, and nothing more is pulled until they are
//!   written. What a slow reader cannot take meanwhile stays in its session, bounded by the
//!   queue limits (QoS 0 dropped first; when even that fails the broker disconnects it with
//!   0x97), so it costs the others nothing.
//! - **Closing.** Once a connection the broker ended has its last bytes written, its write
//!   side is shut down and what the client still sends is read and dropped until it closes
//!   (closing a socket with unread bytes resets the connection, and the client may then lose
//!   the DISCONNECT that says why); after [`LINGER`] it is closed anyway.
//! - **Timers.** The broker's next deadline is asked for after every turn (a constant-time
//!   call) and is the longest the loop sleeps.
//! - **Accepting.** When `accept` fails (out of file descriptors: EMFILE, ENFILE) the clients
//!   wait in the listener's backlog, and it is tried again every [`ACCEPT_RETRY`] until it
//!   succeeds (the listener is edge-triggered and would not report them again).
//! - **Idle connections** cost their session, their socket and nothing per wake-up but their
//!   place in the broker's timer scan. Once a socket is read out, or its output written,
//!   [`Broker::shrink_to_fit`] releases the session's empty queues, and the connection's own
//!   buffers are freed when empty, so an idle connection keeps no spare capacity.
//!
//! Why `mio`: one thread holds the broker (the core is a synchronous state machine, routing
//! between connections happens inside one call), so an async runtime's tasks, wakers and
//! channels would only add hand-offs; `mio` is the readiness API (epoll) with nothing on top.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};
use mqtt_wire::broker::acl::{Access, AclFile};
use mqtt_wire::broker::{Broker, BrokerConfig, BrokerEvent, ClientInfo, ConnId, Policy};
use mqtt_wire::session::{Instant, ServerConfig, StdClock};
use mqtt_wire::{ByteString, BytesMut, Version};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

const USAGE: &str = "\
usage: broker [--port PORT] [--bind ADDRESS] [--acl-file FILE] [--max-connections N]
              [--receive-maximum N] [--max-queued N] [-v]

  --port PORT           TCP port to listen on (default 1883; 0: any free port)
  --bind ADDRESS        address to listen on (default 127.0.0.1)
  --acl-file FILE       topic access rules in mosquitto's acl_file format
  --max-connections N   connections at once, at most (default: no limit); more are closed
                        as soon as they are accepted
  --receive-maximum N   QoS 1 and 2 messages a client may have unacknowledged at once
                        (announced to 5.0 clients, who are disconnected with 0x93 for more;
                        3.1 and 3.1.1 clients are not limited; default 100)
  --max-queued N        messages waiting for one client, at most (default 100000; also at
                        most 16 MiB of them): beyond, its oldest QoS 0 message is dropped,
                        or, with none, it is disconnected (0x97)
  -v                    log every packet, both ways
  --help                print this help";

const LISTENER: Token = Token(0);
const SIGNAL: Token = Token(1);
/// A connection's token is its broker slot index plus this.
const FIRST_CONN: usize = 2;
/// Bytes read from a socket at once.
const READ_SIZE: usize = 64 * 1024;
/// Reads of one socket per wake-up, at most.
const READS_PER_TURN: usize = 4;
/// How long a connection the broker ended may take to read its last bytes.
const LINGER: Duration = Duration::from_secs(5);
/// How long to wait before accepting again after `accept` failed (out of file descriptors,
/// most likely). The listener is edge-triggered: the clients waiting in its backlog wake it
/// no more, so the loop has to come back to them by itself.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse_args(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("broker: {e} (see --help)");
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("broker: {e}");
            ExitCode::FAILURE
        }
    }
}

// ------------------------------------------------------------------------------ command line

struct Options {
    addr: SocketAddr,
    acl: Option<AclFile>,
    max_connections: usize,
    receive_maximum: u16,
    max_queued: usize,
    verbose: bool,
}

fn parse_args(args: &[String]) -> Result<Option<Options>, String> {
    let mut port: u16 = 1883;
    let mut bind: IpAddr = [127, 0, 0, 1].into();
    let mut acl = None;
    let mut max_connections = usize::MAX;
    // Mosquitto announces 20. A bound of this order keeps a QoS 1/2 publisher from running
    // far ahead of what is delivered: against 65,535, the load generator's QoS 1 run kept
    // about as many messages per second and its p99 latency was four times as long.
    let mut receive_maximum = 100;
    let mut max_queued = 100_000;
    let mut verbose = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--help" | "-h" => return Ok(None),
            "--port" | "-p" => {
                let v = value("--port")?;
                port = v.parse().map_err(|_| format!("bad port `{v}`"))?;
            }
            "--bind" => {
                let v = value("--bind")?;
                bind = v.parse().map_err(|_| format!("bad address `{v}`"))?;
            }
            "--acl-file" => {
                let path = value("--acl-file")?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
                acl = Some(AclFile::parse(&text).map_err(|e| format!("{path}: {e}"))?);
            }
            "--max-connections" => {
                let v = value("--max-connections")?;
                max_connections = v
                    .parse()
                    .map_err(|_| format!("bad --max-connections `{v}`"))?;
            }
            "--receive-maximum" => {
                let v = value("--receive-maximum")?;
                receive_maximum = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("bad --receive-maximum `{v}` (1 to 65535)"))?;
            }
            "--max-queued" => {
                let v = value("--max-queued")?;
                max_queued = v
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("bad --max-queued `{v}`"))?;
            }
            "-v" | "--verbose" => verbose = true,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(Options {
        addr: SocketAddr::new(bind, port),
        acl,
        max_connections,
        receive_maximum,
        max_queued,
        verbose,
    }))
}

// ------------------------------------------------------------------------------ the policy

/// The `--acl-file` rules (everything allowed without one).
struct AclPolicy {
    acl: Option<AclFile>,
}

impl Policy for AclPolicy {
    fn may_publish(&mut self, client: &ClientInfo<'_>, topic: &str) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.allows(client.client_id, client.username, topic, Access::Write))
    }

    fn may_subscribe(&mut self, client: &ClientInfo<'_>, filter: &str) -> bool {
        // A shared subscription's topics are those of the filter after `$share/{name}/`.
        let filter = match filter.strip_prefix("$share/") {
            Some(rest) => rest.split_once('/').map_or("", |(_, f)| f),
            None => filter,
        };
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.allows_subscribe(client.client_id, client.username, filter))
    }

    fn may_receive(&mut self, client: &ClientInfo<'_>, topic: &str) -> bool {
        self.acl
            .as_ref()
            .is_none_or(|acl| acl.allows(client.client_id, client.username, topic, Access::Read))
    }
}

// ------------------------------------------------------------------------------ the loop

/// One accepted socket.
struct Client {
    id: ConnId,
    stream: TcpStream,
    peer: SocketAddr,
    /// Bytes read and not yet taken by the broker (a partial packet, or whole ones while the
    /// session has no room).
    rx: BytesMut,
    /// Bytes pulled from the broker that the socket has not taken yet.
    tx: BytesMut,
    /// No write would-blocked since the last writable event.
    writable: bool,
    /// The broker has output for it that was not pulled yet.
    ready: bool,
    /// Reading stopped because the session had no room: resume once its output moved.
    stalled: bool,
    /// The broker ended the connection (it is closed [`LINGER`] later at the latest).
    ended: bool,
    /// The broker has handed out its last bytes: close once `tx` is written.
    close_when_written: bool,
    /// Everything is written and the write side shut down: what the client still sends is
    /// read and dropped until it closes too (closing with unread bytes would reset the
    /// connection, and the client could lose the last packets, the DISCONNECT's reason).
    draining: bool,
}

struct Server {
    poll: Poll,
    listener: TcpListener,
    clock: StdClock,
    broker: Broker<AclPolicy>,
    /// By broker slot index.
    clients: Vec<Option<Client>>,
    live: usize,
    max_connections: usize,
    verbose: bool,
    /// Sockets that may have more to read (their turn ended first).
    again: Vec<usize>,
    /// `again` of the previous turn, being read (kept to reuse its allocation).
    again_now: Vec<usize>,
    /// The broker's next deadline, as of the last turn.
    next_deadline: Option<Instant>,
    /// Connections the broker ended, with the time they are closed at the latest.
    lingering: Vec<(Instant, ConnId)>,
    /// `accept` failed: when to try again.
    accept_retry: Option<Instant>,
    read_buf: Box<[u8]>,
    tx_buf: BytesMut,
}

fn run(options: Options) -> io::Result<()> {
    let poll = Poll::new()?;
    let mut listener = TcpListener::bind(options.addr)?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    let waker = Arc::new(Waker::new(poll.registry(), SIGNAL)?);
    ctrlc::set_handler(move || {
        let _ = waker.wake();
    })
    .map_err(io::Error::other)?;
    eprintln!(
        "listening on {} (MQTT 3.1, 3.1.1, 5.0){}",
        listener.local_addr()?,
        if options.acl.is_some() {
            ", with the ACL file"
        } else {
            ""
        }
    );
    let mut server = Server {
        poll,
        listener,
        clock: StdClock::new(),
        broker: Broker::with_policy(
            BrokerConfig::default().server(
                ServerConfig::default()
                    .receive_maximum(options.receive_maximum)
                    .max_queued(options.max_queued),
            ),
            AclPolicy { acl: options.acl },
        ),
        clients: Vec::new(),
        live: 0,
        max_connections: options.max_connections,
        verbose: options.verbose,
        again: Vec::new(),
        again_now: Vec::new(),
        next_deadline: None,
        lingering: Vec::new(),
        accept_retry: None,
        read_buf: vec![0; READ_SIZE].into_boxed_slice(),
        tx_buf: BytesMut::with_capacity(READ_SIZE),
    };
    server.run()
}

impl Server {
    fn run(&mut self) -> io::Result<()> {
        let mut events = Events::with_capacity(1024);
        loop {
            let timeout = self.timeout();
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            let now = self.clock.now();
            for event in events.iter() {
                match event.token() {
                    LISTENER => self.accept(now),
                    SIGNAL => {
                        eprintln!("stopping: {} connections closed", self.live);
                        return Ok(());
                    }
                    Token(t) => {
                        let index = t - FIRST_CONN;
                        if event.is_writable() {
                            self.writable(now, index);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.read(now, index);
                        }
                    }
                }
            }
            if self.accept_retry.is_some_and(|t| t <= now) {
                self.accept(now);
            }
            std::mem::swap(&mut self.again, &mut self.again_now);
            let mut again = std::mem::take(&mut self.again_now);
            for &index in &again {
                self.read(now, index);
            }
            again.clear();
            self.again_now = again;
            if self.next_deadline.is_some_and(|t| t <= now) {
                self.broker.handle_timeout(now);
            }
            self.linger(now);
            self.settle(now);
            self.next_deadline = self.broker.poll_timeout();
        }
    }

    /// How long to wait for sockets: until the broker's next deadline, the next accept retry
    /// or a lingering connection's end; not at all when a socket has more to read.
    fn timeout(&self) -> Option<Duration> {
        if !self.again.is_empty() {
            return Some(Duration::ZERO);
        }
        let lingering = self.lingering.iter().map(|(at, _)| *at);
        let next = self
            .next_deadline
            .into_iter()
            .chain(self.accept_retry)
            .chain(lingering)
            .min()?;
        let now = self.clock.now();
        Some(Duration::from_millis(
            next.as_millis().saturating_sub(now.as_millis()),
        ))
    }

    fn accept(&mut self, now: Instant) {
        loop {
            let (mut stream, peer) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.accept_retry = None;
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of file descriptors, most likely (EMFILE, ENFILE): the client stays
                    // in the backlog, and the listener, edge-triggered, will not say so again;
                    // try again shortly, and say so once.
                    if self.accept_retry.is_none() {
                        eprintln!(
                            "accept: {e}; trying again every {} ms",
                            ACCEPT_RETRY.as_millis()
                        );
                    }
                    self.accept_retry = Some(now + ACCEPT_RETRY);
                    return;
                }
            };
            if self.accept_retry.take().is_some() {
                eprintln!("accepting again");
            }
            if self.live >= self.max_connections {
                eprintln!("{peer} refused: --max-connections {}", self.max_connections);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let id = self
                .broker
                .open(now, Some(ByteString::from(peer.to_string())));
            let index = id.index() as usize;
            let token = Token(index + FIRST_CONN);
            if let Err(e) = self.poll.registry().register(
                &mut stream,
                token,
                Interest::READABLE | Interest::WRITABLE,
            ) {
                eprintln!("{peer}: {e}");
                self.broker.handle_transport_closed(now, id);
                continue;
            }
            if self.clients.len() <= index {
                self.clients.resize_with(index + 1, || None);
            }
            self.clients[index] = Some(Client {
                id,
                stream,
                peer,
                rx: BytesMut::new(),
                tx: BytesMut::new(),
                writable: true,
                ready: false,
                stalled: false,
                ended: false,
                close_when_written: false,
                draining: false,
            });
            self.live += 1;
            eprintln!("{id} {peer} accepted");
        }
    }

    /// Reads what the socket has (a few times at most) and hands it to the broker.
    fn read(&mut self, now: Instant, index: usize) {
        for _ in 0..READS_PER_TURN {
            let Some(c) = self.clients.get_mut(index).and_then(Option::as_mut) else {
                return;
            };
            if !c.draining && !self.broker.session(c.id).is_some_and(|s| s.wants_read()) {
                c.stalled = true;
                return;
            }
            match c.stream.read(&mut self.read_buf) {
                Ok(0) if c.draining => return self.close(now, index, "closed by the broker"),
                Ok(0) => return self.close(now, index, "closed by the client"),
                Ok(_) if c.draining => {}
                Ok(n) => {
                    c.rx.extend_from_slice(&self.read_buf[..n]);
                    let before = self.verbose.then(|| c.rx.clone());
                    self.broker.handle_input(now, c.id, &mut c.rx);
                    if let Some(before) = before {
                        let version = self.broker.session(c.id).map(|s| s.version());
                        log_packets(c.id, "<-", &before[..before.len() - c.rx.len()], version);
                    }
                    if c.rx.is_empty() {
                        // Let go of the read's allocation (the packets own their part of it).
                        c.rx = BytesMut::new();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Read out: the session's empty queues need not keep their memory.
                    self.broker.shrink_to_fit(c.id);
                    return;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return self.close(now, index, &e.to_string()),
            }
        }
        self.again.push(index);
    }

    /// The socket takes bytes again: write what waits, then pull more if the broker has some.
    fn writable(&mut self, now: Instant, index: usize) {
        let Some(c) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        c.writable = true;
        if !c.tx.is_empty() {
            match write_some(&mut c.stream, &c.tx) {
                Ok(n) => {
                    let _ = c.tx.split_to(n);
                    if !c.tx.is_empty() {
                        c.writable = false;
                        return;
                    }
                    c.tx = BytesMut::new();
                }
                Err(e) => return self.close(now, index, &e.to_string()),
            }
        }
        if c.close_when_written {
            return self.shut_down(now, index);
        }
        if c.ready || c.stalled {
            self.send(now, index);
        }
    }

    /// Pulls the connection's output from the broker and writes it; what the socket does not
    /// take waits in `tx`. Then resumes reading if it had stopped for want of room.
    fn send(&mut self, now: Instant, index: usize) {
        let Some(c) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        c.ready = false;
        self.tx_buf.clear();
        let n = self.broker.transmit(now, c.id, &mut self.tx_buf);
        if n > 0 {
            if self.verbose {
                let version = self.broker.session(c.id).map(|s| s.version());
                log_packets(c.id, "->", &self.tx_buf, version);
            }
            match write_some(&mut c.stream, &self.tx_buf) {
                Ok(written) if written == n => {}
                Ok(written) => {
                    c.tx.extend_from_slice(&self.tx_buf[written..]);
                    c.writable = false;
                }
                Err(e) => return self.close(now, index, &e.to_string()),
            }
        }
        // What was owed is handed out: the session's empty queues need not keep their memory.
        self.broker.shrink_to_fit(c.id);
        if c.stalled && self.broker.session(c.id).is_some_and(|s| s.wants_read()) {
            c.stalled = false;
            self.broker.handle_input(now, c.id, &mut c.rx);
            self.again.push(index);
        }
    }

    /// Writes out what the broker has for every connection that can take it and acts on its
    /// events, until there is nothing left (each step may give the other more).
    fn settle(&mut self, now: Instant) {
        loop {
            let mut busy = false;
            while let Some(id) = self.broker.poll_ready() {
                busy = true;
                let index = id.index() as usize;
                let Some(c) = self.clients.get_mut(index).and_then(Option::as_mut) else {
                    continue;
                };
                c.ready = true;
                if c.writable && c.tx.is_empty() {
                    self.send(now, index);
                }
            }
            while let Some(event) = self.broker.poll_event() {
                busy = true;
                self.on_event(now, event);
            }
            if !busy {
                return;
            }
        }
    }

    fn on_event(&mut self, now: Instant, event: BrokerEvent) {
        match event {
            BrokerEvent::Connected {
                conn,
                client_id,
                session_present,
            } => {
                let version = self
                    .broker
                    .session(conn)
                    .map_or(Version::V5, |s| s.version());
                eprintln!(
                    "{conn} connected: client {client_id:?}, MQTT {version}, session present {}",
                    u8::from(session_present)
                );
            }
            BrokerEvent::Disconnected {
                conn,
                client_id,
                error,
            } => {
                let who = client_id.map_or_else(|| "before CONNECT".into(), |id| format!("{id:?}"));
                eprintln!("{conn} disconnected: client {who}: {error}");
                if let Some(c) = self.client_mut(conn)
                    && !c.ended
                {
                    c.ended = true;
                    self.lingering.push((now + LINGER, conn));
                }
            }
            BrokerEvent::Close { conn } => {
                if let Some(c) = self.client_mut(conn) {
                    c.close_when_written = true;
                    if c.tx.is_empty() {
                        self.shut_down(now, conn.index() as usize);
                    }
                }
            }
            _ => {}
        }
    }

    /// Closes the connections whose last bytes took longer than [`LINGER`].
    fn linger(&mut self, now: Instant) {
        if self.lingering.first().is_none_or(|(at, _)| *at > now) {
            return;
        }
        let (late, waiting) = std::mem::take(&mut self.lingering)
            .into_iter()
            .partition(|(at, _)| *at <= now);
        self.lingering = waiting;
        for (_, id) in late {
            if self.client_mut(id).is_some() {
                self.close(
                    now,
                    id.index() as usize,
                    "its last bytes were not read in time",
                );
            }
        }
    }

    /// The broker's last bytes are written: shuts the write side down and drains the rest
    /// (closed when the client closes too, or [`LINGER`] after the broker ended it).
    fn shut_down(&mut self, now: Instant, index: usize) {
        let Some(c) = self.clients.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if c.draining {
            return;
        }
        c.draining = true;
        if c.stream.shutdown(std::net::Shutdown::Write).is_err() {
            return self.close(now, index, "closed by the broker");
        }
        self.read(now, index);
    }

    fn client_mut(&mut self, id: ConnId) -> Option<&mut Client> {
        self.clients
            .get_mut(id.index() as usize)?
            .as_mut()
            .filter(|c| c.id == id)
    }

    fn close(&mut self, now: Instant, index: usize, why: &str) {
        let Some(mut c) = self.clients.get_mut(index).and_then(Option::take) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut c.stream);
        drop(c.stream);
        self.live -= 1;
        self.broker.handle_transport_closed(now, c.id);
        // The broker's account of the end first (it may come from bytes read just before).
        while let Some(event) = self.broker.poll_event() {
            self.on_event(now, event);
        }
        eprintln!("{} {} closed: {why}", c.id, c.peer);
    }
}

/// Writes as much of `bytes` as the socket takes now.
fn write_some(stream: &mut TcpStream, bytes: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < bytes.len() {
        match stream.write(&bytes[written..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(written)
}

/// `-v`: one line per whole packet in `bytes`.
fn log_packets(id: ConnId, direction: &str, mut bytes: &[u8], version: Option<Version>) {
    let version = version.unwrap_or(Version::V5);
    while !bytes.is_empty() {
        match mqtt_wire::decode_slice(bytes, version, u32::MAX) {
            Ok(Some((packet, used))) => {
                eprintln!("{id} {direction} {packet:?}");
                bytes = &bytes[used..];
            }
            Ok(None) => return,
            Err(e) => {
                eprintln!("{id} {direction} {} bytes: {e}", bytes.len());
                return;
            }
        }
    }
}
