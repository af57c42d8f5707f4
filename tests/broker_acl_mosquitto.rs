//! `AclFile` against mosquitto: one ACL file, loaded by a mosquitto broker (`acl_file`) and by
//! `AclFile::parse`, and probes of what a client may read and write, answered by both.
//!
//! A read probe subscribes with `mosquitto_sub` as the client under test, waits for its SUBACK,
//! has an administrator publish to the topic and looks for the message; a write probe publishes
//! with `mosquitto_pub` at QoS 1 on MQTT 5.0 and reads the PUBACK's reason code (0x87 Not
//! authorized when refused). Where this crate deliberately refuses what mosquitto 2.0 grants
//! (see `mqtt_wire::broker::acl`), the probe asserts that difference.
//!
//! Without mosquitto the test says so on standard error and passes without running, except when
//! the `CI` variable is set: there a missing broker fails.

use mqtt_wire::broker::acl::{Access, AclFile};
use mqtt_wire::session::StdClock;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a probe waits for what must come (a SUBACK, a PUBACK, the broker's port).
const WAIT: Duration = Duration::from_secs(10);
/// How long a read probe waits for a message that may not come.
const DELIVERY: Duration = Duration::from_millis(1500);

const ACL: &str = "\
topic read public/#
topic read $SYS/#
topic deny public/private/#

user alice
topic readwrite home/#
topic write out/+/cmd
topic deny home/locked
topic read #

user bob
topic readwrite secret/#

user sysop
topic readwrite $SYS/#

user admin
topic readwrite #

pattern readwrite dev/%c/#
pattern read users/%u/inbox
pattern deny secret/%c/#
pattern write $SYS/broker/connection/%c/state
";

struct Tools {
    broker: PathBuf,
    publisher: PathBuf,
    subscriber: PathBuf,
    /// coreutils' `stdbuf`: the clients buffer their standard output when it is a pipe, and the
    /// probes read it line by line as it comes.
    stdbuf: PathBuf,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn tools() -> Option<Tools> {
    let found = (|| {
        let publisher = on_path("mosquitto_pub")?;
        let subscriber = on_path("mosquitto_sub")?;
        let stdbuf = on_path("stdbuf")?;
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
            stdbuf,
        })
    })();
    if found.is_none() {
        let what = "mosquitto, mosquitto_pub, mosquitto_sub or stdbuf not found \
                    (apt-get install mosquitto mosquitto-clients)";
        assert!(
            std::env::var_os("CI").is_none(),
            "{what}: the ACL interop test must run in CI"
        );
        let _ = writeln!(
            std::io::stderr(),
            "broker_acl_mosquitto: {what}: the test passes without running"
        );
    }
    found
}

/// A mosquitto process with the ACL file, stopped (by its process id) when dropped.
struct Broker {
    child: Child,
    port: u16,
    dir: PathBuf,
    tools: Tools,
}

impl Broker {
    fn start(tools: Tools) -> Broker {
        let dir = std::env::temp_dir().join(format!("mqtt-wire-acl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("acl"), ACL).unwrap();
        for _ in 0..5 {
            // A port the system just gave out, released for the broker; if another process
            // takes it first, the broker exits and the next round picks another.
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let config = dir.join("mosquitto.conf");
            std::fs::write(
                &config,
                format!(
                    "listener {port} 127.0.0.1\nallow_anonymous true\nacl_file {}\n\
                     persistence false\nlog_dest stderr\nlog_type all\n",
                    dir.join("acl").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(dir.join("mosquitto.log")).unwrap();
            let mut child = Command::new(&tools.broker)
                .arg("-c")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .unwrap();
            let clock = StdClock::new();
            loop {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Broker {
                        child,
                        port,
                        dir,
                        tools,
                    };
                }
                assert!(
                    clock.now().as_millis() < WAIT.as_millis() as u64,
                    "mosquitto does not listen on {port}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("mosquitto did not start on any of 5 ports");
    }

    /// `program` (a mosquitto client) with line-buffered standard output.
    fn command(&self, program: &PathBuf) -> Command {
        let mut command = Command::new(&self.tools.stdbuf);
        command.arg("-oL").arg(program);
        command
    }

    fn client_args(&self, command: &mut Command, username: Option<&str>, client_id: &str) {
        command
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-i",
                client_id,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(username) = username {
            command.args(["-u", username]);
        }
    }

    /// The lines `command` prints, as they come.
    fn lines(mut child: Child) -> (Child, mpsc::Receiver<String>) {
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        (child, rx)
    }

    /// Waits up to `wait` for a line for which `want` holds.
    fn wait_for(rx: &mpsc::Receiver<String>, wait: Duration, want: impl Fn(&str) -> bool) -> bool {
        let clock = StdClock::new();
        loop {
            let elapsed = Duration::from_millis(clock.now().as_millis());
            let Some(left) = wait.checked_sub(elapsed) else {
                return false;
            };
            match rx.recv_timeout(left) {
                Ok(line) if want(&line) => return true,
                Ok(_) => {}
                Err(_) => return false,
            }
        }
    }

    /// Whether the client receives a message on `topic`: published by the administrator when
    /// `publish`, else one the broker retains (`$SYS/broker/version`).
    fn reads(&self, username: Option<&str>, client_id: &str, topic: &str, publish: bool) -> bool {
        let mut sub = self.command(&self.tools.subscriber);
        self.client_args(&mut sub, username, client_id);
        sub.args(["-d", "-v", "-t", topic, "-W", "20"]);
        let (mut child, rx) = Broker::lines(sub.spawn().unwrap());
        assert!(
            Broker::wait_for(&rx, WAIT, |line| line.contains("received SUBACK")),
            "{client_id}: no SUBACK"
        );
        let payload = format!("probe-{client_id}");
        if publish {
            let mut publisher = self.command(&self.tools.publisher);
            // An administrator's client id of its own for each probe.
            let admin_id = format!("adm-{}", client_id.replace(['/', '+', '#'], "_"));
            self.client_args(&mut publisher, Some("admin"), &admin_id);
            publisher.args(["-q", "1", "-t", topic, "-m", &payload]);
            let status = publisher.status().unwrap();
            assert!(status.success(), "admin publish to {topic}");
        }
        let prefix = format!("{topic} ");
        let received = Broker::wait_for(&rx, DELIVERY, |line| {
            line.starts_with(&prefix) && (!publish || line.ends_with(&payload))
        });
        let _ = child.kill();
        let _ = child.wait();
        received
    }

    /// Whether the broker accepts the client's QoS 1 PUBLISH to `topic` (MQTT 5.0 PUBACK 0x00
    /// rather than 0x87 Not authorized).
    fn writes(&self, username: Option<&str>, client_id: &str, topic: &str) -> bool {
        let mut publisher = self.command(&self.tools.publisher);
        self.client_args(&mut publisher, username, client_id);
        publisher.args(["-d", "-V", "mqttv5", "-q", "1", "-t", topic, "-m", "w"]);
        let (mut child, rx) = Broker::lines(publisher.spawn().unwrap());
        let (tx, answer) = mpsc::channel();
        let found = Broker::wait_for(&rx, WAIT, |line| {
            if line.contains("received PUBACK") {
                let _ = tx.send(!line.contains("RC:135"));
                true
            } else {
                false
            }
        });
        let _ = child.kill();
        let _ = child.wait();
        assert!(found, "{client_id}: no PUBACK for {topic}");
        answer.recv().unwrap()
    }

    /// The QoS mosquitto grants the anonymous client's SUBSCRIBE to `filter` (128: refused).
    fn granted(&self, client_id: &str, filter: &str) -> u8 {
        let mut sub = self.command(&self.tools.subscriber);
        self.client_args(&mut sub, None, client_id);
        sub.args(["-d", "-V", "mqttv5", "-t", filter, "-W", "20"]);
        let (mut child, rx) = Broker::lines(sub.spawn().unwrap());
        let (tx, answer) = mpsc::channel();
        let found = Broker::wait_for(&rx, WAIT, |line| {
            // "Subscribed (mid: 1): 0"
            if let Some(rest) = line.strip_prefix("Subscribed (mid: 1): ") {
                let _ = tx.send(rest.trim().parse::<u8>().unwrap());
                true
            } else {
                false
            }
        });
        let _ = child.kill();
        let _ = child.wait();
        assert!(found, "{client_id}: no SUBACK for {filter}");
        answer.recv().unwrap()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
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
            let log = std::fs::read_to_string(self.dir.join("mosquitto.log"));
            eprintln!("--- mosquitto log:\n{}", log.unwrap_or_default());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One read probe: who, the topic, whether an administrator publishes to it (else the broker
/// retains a message there), and what mosquitto and this crate answer.
struct ReadProbe {
    username: Option<&'static str>,
    client_id: &'static str,
    topic: &'static str,
    publish: bool,
    mosquitto: bool,
    ours: bool,
}

const fn read(
    username: Option<&'static str>,
    client_id: &'static str,
    topic: &'static str,
    both: bool,
) -> ReadProbe {
    ReadProbe {
        username,
        client_id,
        topic,
        publish: true,
        mosquitto: both,
        ours: both,
    }
}

const READS: &[ReadProbe] = &[
    read(None, "an1", "public/news", true),
    read(None, "an2", "public/private/x", false),
    read(None, "an3", "home/x", false),
    read(Some("alice"), "al1", "home/x", true),
    read(Some("alice"), "al2", "home/locked", false),
    read(Some("alice"), "al3", "random/x", true),
    read(Some("carol"), "dv1", "dev/dv1/temp", true),
    read(Some("carol"), "dv2", "dev/dv1/temp", false),
    read(Some("carol"), "ca1", "users/carol/inbox", true),
    read(None, "an4", "users/carol/inbox", false),
    // Mosquitto refuses patterns to a client id with `+`; so does this crate.
    read(Some("carol"), "evil+", "users/carol/inbox", false),
    read(Some("bob"), "bob2", "secret/x", true),
    // The broker's retained `$SYS/broker/version`: `$SYS/#` reads it, `#` does not.
    ReadProbe {
        publish: false,
        ..read(None, "an5", "$SYS/broker/version", true)
    },
    ReadProbe {
        publish: false,
        ..read(Some("alice"), "al4", "$SYS/broker/version", false)
    },
    ReadProbe {
        publish: false,
        ..read(Some("sysop"), "so1", "$SYS/broker/version", true)
    },
    // The deliberate differences: mosquitto grants, this crate refuses. Bob's topic grant
    // against the pattern deny:
    ReadProbe {
        ours: false,
        ..read(Some("bob"), "bob1", "secret/bob1/x", true)
    },
    // A client id with `/` substituted into `dev/%c/#`:
    ReadProbe {
        ours: false,
        ..read(Some("carol"), "a/b", "dev/a/b/x", true)
    },
];

/// (username, client id, topic, allowed by both)
const WRITES: &[(Option<&str>, &str, &str, bool)] = &[
    (None, "wa1", "public/news", false),
    (Some("alice"), "wal1", "out/x/cmd", true),
    (Some("alice"), "wal2", "out/x/y/cmd", false),
    (Some("alice"), "wal3", "home/locked", false),
    (Some("alice"), "wal4", "home/kitchen", true),
    (
        Some("carol"),
        "rtr1",
        "$SYS/broker/connection/rtr1/state",
        true,
    ),
    (
        Some("carol"),
        "rtr2",
        "$SYS/broker/connection/rtr1/state",
        false,
    ),
    (Some("sysop"), "wso1", "$SYS/broker/x", false),
    (Some("carol"), "wdv1", "dev/wdv1/cmd", true),
    (Some("carol"), "wdv2", "dev/wdv1/cmd", false),
];

#[test]
fn acl_file_agrees_with_mosquitto() {
    let Some(tools) = tools() else { return };
    let acl = AclFile::parse(ACL).unwrap();
    let broker = Broker::start(tools);

    // Each probe has its own client id, so they run side by side.
    let reads: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = READS
            .iter()
            .map(|p| s.spawn(|| broker.reads(p.username, p.client_id, p.topic, p.publish)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (probe, mosquitto) in READS.iter().zip(reads) {
        let what = format!(
            "read {} as {:?}/{}",
            probe.topic, probe.username, probe.client_id
        );
        assert_eq!(mosquitto, probe.mosquitto, "mosquitto: {what}");
        let ours = acl.allows(probe.client_id, probe.username, probe.topic, Access::Read);
        assert_eq!(ours, probe.ours, "AclFile: {what}");
    }

    let broker = &broker;
    let writes: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = WRITES
            .iter()
            .map(|&(username, id, topic, _)| s.spawn(move || broker.writes(username, id, topic)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (&(username, id, topic, expected), mosquitto) in WRITES.iter().zip(writes) {
        let what = format!("write {topic} as {username:?}/{id}");
        assert_eq!(mosquitto, expected, "mosquitto: {what}");
        assert_eq!(
            acl.allows(id, username, topic, Access::Write),
            expected,
            "AclFile: {what}"
        );
    }

    // Mosquitto 2.0 grants every SUBSCRIBE and filters at delivery; `allows_subscribe` is the
    // stricter check of the filter.
    assert_eq!(broker.granted("sb1", "#"), 0);
    assert!(!acl.allows_subscribe("sb1", None, "#"));
    assert!(acl.allows_subscribe("sb1", None, "public/#"));
}
