"""Cases for the broker example driven by the Python paho-mqtt client (2.x).

    python paho_cases.py --port PORT [--version 3.1.1|5] CASE

Each case connects real paho clients to the broker on 127.0.0.1:PORT, checks what they see and
exits with status 0 and one line `ok CASE` on success; a failed check raises, so the status is
1 and standard error has the traceback. Run by tests/interop_broker.rs, which starts the broker
(with tests/interop/acl for the `acl` case).
"""

import argparse
import queue
import socket
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

WAIT = 10.0
PORT = 1883
VERSION = mqtt.MQTTv5


def v5():
    return VERSION == mqtt.MQTTv5


def props(packet_type, **values):
    p = Properties(packet_type)
    for name, value in values.items():
        setattr(p, name, value)
    return p


def wait_for(what, check, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class Client:
    """A paho client with its network loop on a thread of its own, recording what it sees.
    The loop does not reconnect: a lost connection stays lost."""

    def __init__(self, client_id, version=None, username=None, keepalive=30):
        self.version = VERSION if version is None else version
        self.keepalive = keepalive
        self.paho = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=self.version,
            reconnect_on_failure=False,
        )
        if username is not None:
            self.paho.username_pw_set(username)
        self.messages = queue.Queue()
        self.connack = None
        self.subacks = {}
        self.acks = {}
        self.disconnect_reason = None
        self.lost = threading.Event()
        self.running = False
        self.thread = None
        p = self.paho
        p.on_connect = self._on_connect
        p.on_message = lambda c, u, m: self.messages.put(m)
        p.on_subscribe = self._on_subscribe
        p.on_publish = self._on_publish
        p.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connack = (flags.session_present, reason_code.value)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        self.subacks[mid] = [rc.value for rc in reason_codes]

    def _on_publish(self, client, userdata, mid, reason_code, properties):
        self.acks[mid] = reason_code.value

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnect_reason = reason_code.value
        self.lost.set()

    def will(self, topic, payload, qos=0, delay=None):
        p = None if delay is None else props(PacketTypes.WILLMESSAGE, WillDelayInterval=delay)
        self.paho.will_set(topic, payload, qos, False, properties=p)
        return self

    def connect(self, clean=True, session_expiry=None):
        """Connects and waits for CONNACK; returns (session present, reason code)."""
        if self.version == mqtt.MQTTv5:
            p = None
            if session_expiry is not None:
                p = props(PacketTypes.CONNECT, SessionExpiryInterval=session_expiry)
            self.paho.connect("127.0.0.1", PORT, self.keepalive, clean_start=clean, properties=p)
        else:
            # paho takes the 3.1.1 clean session flag at construction only.
            self.paho._clean_session = clean
            self.paho.connect("127.0.0.1", PORT, self.keepalive)
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()
        return wait_for("CONNACK", lambda: self.connack)

    def _loop(self):
        while self.running:
            if self.paho.loop(0.02) != mqtt.MQTT_ERR_SUCCESS:
                self.lost.set()
                return

    def stop_loop(self):
        """Stops reading and writing (no more pings either); the socket stays open."""
        self.running = False
        if self.thread is not None:
            self.thread.join()

    def drop(self):
        """Closes the socket without DISCONNECT, as a lost connection."""
        self.stop_loop()
        sock = self.paho.socket()
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def disconnect(self):
        self.paho.disconnect()
        wait_for("the DISCONNECT to go out", lambda: True if self.lost.is_set() else None)
        self.stop_loop()

    def subscribe(self, *filters, sub_id=None):
        """Subscribes to (filter, qos) pairs; returns the SUBACK reason codes."""
        p = None if sub_id is None else props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=sub_id)
        _, mid = self.paho.subscribe(list(filters), properties=p)
        return wait_for("SUBACK", lambda: self.subacks.get(mid))

    def publish(self, topic, payload, qos=0, retain=False, **properties):
        """Publishes; for QoS 1 and 2 waits for the flow to finish and returns its reason code."""
        p = props(PacketTypes.PUBLISH, **properties) if properties else None
        info = self.paho.publish(topic, payload, qos, retain, properties=p)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS, info.rc
        if qos == 0:
            info.wait_for_publish(WAIT)
            return None
        return wait_for(f"the ack of {topic}", lambda: self.acks.get(info.mid))

    def receive(self, n, timeout=WAIT):
        """The next `n` messages."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < n:
            left = deadline - time.monotonic()
            try:
                got.append(self.messages.get(timeout=max(left, 0.001)))
            except queue.Empty:
                raise AssertionError(
                    f"{len(got)} of {n} messages: {[(m.topic, m.payload) for m in got]}"
                ) from None
        return got

    def quiet(self, seconds=0.7):
        """The messages that arrive within `seconds` (for checks that none does)."""
        got = []
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return got
            try:
                got.append(self.messages.get(timeout=left))
            except queue.Empty:
                return got


def topics(messages):
    return [m.topic for m in messages]


def payloads(messages):
    return [m.payload.decode() for m in messages]


def unique(name):
    return f"{name}-{VERSION}-{time.monotonic_ns()}"


# ------------------------------------------------------------------------------ the cases


def case_qos():
    """QoS 0, 1 and 2 from a paho publisher to the broker and from the broker to a paho
    subscriber: each flow completes, each message arrives once at its QoS."""
    sub = Client(unique("sub"))
    sub.connect()
    assert sub.subscribe(("qos/#", 2)) == [2]
    pub = Client(unique("pub"))
    pub.connect()
    for qos in (0, 1, 2):
        rc = pub.publish(f"qos/{qos}", f"m{qos}", qos)
        if qos > 0:
            assert rc == 0, rc
    got = sub.receive(3)
    assert sorted((m.topic, m.payload, m.qos) for m in got) == [
        ("qos/0", b"m0", 0),
        ("qos/1", b"m1", 1),
        ("qos/2", b"m2", 2),
    ], got
    assert sub.quiet() == []
    # Granted QoS caps the delivery.
    low = Client(unique("low"))
    low.connect()
    assert low.subscribe(("qos/#", 1)) == [1]
    pub.publish("qos/x", "two", 2)
    assert [(m.topic, m.qos) for m in low.receive(1)] == [("qos/x", 1)]
    for c in (sub, pub, low):
        c.disconnect()


def case_retained():
    """A retained message reaches later subscribers with RETAIN 1; an empty retained message
    deletes it."""
    pub = Client(unique("pub"))
    pub.connect()
    topic = unique("retained/t")
    assert pub.publish(topic, "kept", 1, retain=True) == (16 if v5() else 0)
    late = Client(unique("late"))
    late.connect()
    late.subscribe((topic, 1))
    [m] = late.receive(1)
    assert (m.payload, m.retain, m.qos) == (b"kept", True, 1), m
    # Live copies to an existing subscriber carry RETAIN 0.
    pub.publish(topic, "again", 1, retain=True)
    [m] = late.receive(1)
    assert (m.payload, m.retain) == (b"again", False)
    pub.publish(topic, "", 1, retain=True)
    assert payloads(late.receive(1)) == [""]
    later = Client(unique("later"))
    later.connect()
    later.subscribe((topic, 1))
    assert later.quiet() == [], "the retained message was deleted"
    for c in (pub, late, later):
        c.disconnect()


def case_will():
    """A connection lost without DISCONNECT publishes the will; one that ends with DISCONNECT
    does not."""
    watch = Client(unique("watch"))
    watch.connect()
    watch.subscribe(("will/#", 1))
    gone = Client(unique("gone")).will("will/gone", "gone away", 1)
    gone.connect()
    gone.drop()
    [m] = watch.receive(1)
    assert (m.topic, m.payload, m.qos) == ("will/gone", b"gone away", 1), (m.topic, m.payload, m.qos)
    polite = Client(unique("polite")).will("will/polite", "not sent", 1)
    polite.connect()
    polite.disconnect()
    assert watch.quiet() == []
    watch.disconnect()


def case_will_delay():
    """5.0 Will Delay Interval: the will comes after the delay, and not at all when the client
    is back before it ends."""
    watch = Client(unique("watch"))
    watch.connect()
    watch.subscribe(("delayed/#", 1))
    cid = unique("delayed")
    gone = Client(cid).will("delayed/will", "late", 1, delay=2)
    gone.connect(session_expiry=60)
    dropped_at = time.monotonic()
    gone.drop()
    assert watch.quiet(1.0) == [], "before the delay"
    [m] = watch.receive(1, timeout=5)
    waited = time.monotonic() - dropped_at
    assert m.payload == b"late" and 1.8 <= waited <= 4.5, (m.payload, waited)
    # Back within the delay: no will.
    cid = unique("back")
    first = Client(cid).will("delayed/will", "never", 1, delay=3)
    first.connect(clean=False, session_expiry=60)
    first.drop()
    time.sleep(0.5)
    again = Client(cid)
    assert again.connect(clean=False, session_expiry=60)[0] is True
    assert watch.quiet(3.5) == [], "the will of a client that came back"
    again.disconnect()
    watch.disconnect()


def case_persistent():
    """A persistent session keeps its subscription while the client is away, queues QoS 1 and
    2 messages (not QoS 0) and delivers them when it comes back with session present."""
    cid = unique("persistent")
    sub = Client(cid)
    assert sub.connect(clean=False, session_expiry=60) == (False, 0)
    sub.subscribe(("away/#", 2))
    sub.disconnect()
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("away/a", "one", 1)
    pub.publish("away/b", "two", 2)
    pub.publish("away/c", "lost", 0)
    back = Client(cid)
    assert back.connect(clean=False, session_expiry=60) == (True, 0)
    got = back.receive(2)
    assert sorted((m.topic, m.payload, m.qos) for m in got) == [
        ("away/a", b"one", 1),
        ("away/b", b"two", 2),
    ], got
    assert back.quiet() == []
    # Clean start: the session, its subscription included, is gone.
    back.disconnect()
    fresh = Client(cid)
    assert fresh.connect(clean=True)[0] is False
    pub.publish("away/d", "none", 1)
    assert fresh.quiet() == []
    fresh.disconnect()
    pub.disconnect()


def case_takeover():
    """A second connection with the same client identifier takes the session over: the first
    is disconnected (5.0: 0x8E Session taken over), the second gets the session."""
    cid = unique("twin")
    first = Client(cid)
    first.connect(clean=False, session_expiry=60)
    first.subscribe(("twin/#", 1))
    second = Client(cid)
    assert second.connect(clean=False, session_expiry=60) == (True, 0)
    wait_for("the first connection to end", lambda: True if first.lost.is_set() else None)
    if v5():
        assert first.disconnect_reason == 0x8E, first.disconnect_reason
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("twin/x", "to the second", 1)
    assert payloads(second.receive(1)) == ["to the second"]
    assert first.quiet() == []
    second.disconnect()
    pub.disconnect()


def case_overlap():
    """Overlapping and wildcard subscriptions of one client: one copy per message, at the
    highest QoS granted among the matching ones."""
    sub = Client(unique("sub"))
    sub.connect()
    assert sub.subscribe(("ov/+/c", 0), ("ov/#", 1), ("ov/b/c", 2), ("+/+/+", 0)) == [0, 1, 2, 0]
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("ov/b/c", "all four", 2)
    pub.publish("ov/x/c", "three", 2)
    pub.publish("ov/x", "one", 2)
    got = sub.receive(3)
    assert sorted((m.topic, m.qos) for m in got) == [("ov/b/c", 2), ("ov/x", 1), ("ov/x/c", 1)], [
        (m.topic, m.qos) for m in got
    ]
    assert sub.quiet() == []
    sub.disconnect()
    pub.disconnect()


def case_dollar():
    """Topics beginning with `$` are not matched by filters beginning with a wildcard."""
    wild = Client(unique("wild"))
    wild.connect()
    wild.subscribe(("#", 0), ("+/status", 0))
    dollar = Client(unique("dollar"))
    dollar.connect()
    dollar.subscribe(("$app/#", 0))
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("$app/status", "dollar", 1)
    assert payloads(dollar.receive(1)) == ["dollar"]
    assert [m for m in wild.quiet() if m.topic.startswith("$")] == []
    for c in (wild, dollar, pub):
        c.disconnect()


def case_shared():
    """Shared subscriptions (5.0): each message to one member of the group; an ordinary
    subscriber gets every one."""
    members = [Client(unique(f"member{i}")) for i in range(2)]
    for m in members:
        m.connect()
        assert m.subscribe(("$share/grp/jobs/#", 1)) == [1]
    every = Client(unique("every"))
    every.connect()
    every.subscribe(("jobs/#", 1))
    pub = Client(unique("pub"))
    pub.connect()
    for i in range(20):
        pub.publish(f"jobs/{i}", str(i), 1)
    assert sorted(int(p) for p in payloads(every.receive(20))) == list(range(20))
    a = wait_for_all(members, 20)
    assert sorted(int(p) for p in a) == list(range(20)), a
    for m in members:
        assert m.got, "each member gets some"
    for c in members + [every, pub]:
        c.disconnect()


def wait_for_all(members, n):
    for m in members:
        m.got = []
    deadline = time.monotonic() + WAIT
    while sum(len(m.got) for m in members) < n and time.monotonic() < deadline:
        for m in members:
            m.got += payloads(m.quiet(0.05))
    for m in members:
        m.got += payloads(m.quiet(0.3))
    return [p for m in members for p in m.got]


def case_alias():
    """Topic aliases from the client (5.0): the topic with an alias, then the alias alone."""
    sub = Client(unique("sub"))
    sub.connect()
    sub.subscribe(("alias/#", 1))
    pub = Client(unique("pub"))
    pub.connect()
    assert pub.publish("alias/long/topic", "with topic", 1, TopicAlias=1) == 0
    assert pub.publish("", "alias only", 1, TopicAlias=1) == 0
    assert pub.publish("alias/other", "remapped", 0, TopicAlias=1) is None
    assert pub.publish("", "alias again", 1, TopicAlias=1) == 0
    got = sub.receive(4)
    assert [(m.topic, m.payload.decode()) for m in got] == [
        ("alias/long/topic", "with topic"),
        ("alias/long/topic", "alias only"),
        ("alias/other", "remapped"),
        ("alias/other", "alias again"),
    ], [(m.topic, m.payload) for m in got]
    # Forwarded messages do not carry the publisher's alias.
    assert all(getattr(m.properties, "TopicAlias", None) is None for m in got)
    sub.disconnect()
    pub.disconnect()


def case_subscription_ids():
    """Subscription Identifiers (5.0): every matching subscription's identifier on the copy."""
    sub = Client(unique("sub"))
    sub.connect()
    sub.subscribe(("ids/#", 1), sub_id=7)
    sub.subscribe(("ids/+", 1), sub_id=8)
    sub.subscribe(("ids/none/#", 1))
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("ids/a", "both", 1)
    pub.publish("ids/a/b", "seven", 1)
    pub.publish("ids/none/x", "seven only", 1)
    got = {m.payload.decode(): sorted(getattr(m.properties, "SubscriptionIdentifier", [])) for m in sub.receive(3)}
    assert got == {"both": [7, 8], "seven": [7], "seven only": [7]}, got
    sub.disconnect()
    pub.disconnect()


def case_expiry():
    """Message Expiry Interval (5.0): a queued message past its expiry is not delivered; one
    that is delivered has its interval reduced by the time it waited; an expired retained
    message is not sent to new subscribers."""
    cid = unique("offline")
    sub = Client(cid)
    sub.connect(clean=False, session_expiry=60)
    sub.subscribe(("exp/#", 1))
    sub.disconnect()
    pub = Client(unique("pub"))
    pub.connect()
    pub.publish("exp/short", "expires", 1, MessageExpiryInterval=1)
    pub.publish("exp/long", "stays", 1, MessageExpiryInterval=100)
    pub.publish("exp/retained", "retained briefly", 1, retain=True, MessageExpiryInterval=1)
    time.sleep(2.2)
    back = Client(cid)
    assert back.connect(clean=False, session_expiry=60)[0] is True
    got = back.receive(1)
    assert payloads(got) == ["stays"], payloads(got)
    left = got[0].properties.MessageExpiryInterval
    assert 90 <= left <= 98, left
    assert back.quiet() == []
    late = Client(unique("late"))
    late.connect()
    late.subscribe(("exp/retained", 1))
    assert late.quiet() == [], "the retained message expired"
    for c in (back, pub, late):
        c.disconnect()


def case_acl():
    """The ACL file (tests/interop/acl): refused subscriptions get 0x87 (5.0) or 0x80
    (3.1.1); a refused PUBLISH is dropped (5.0: PUBACK 0x87); deliveries are checked against
    the subscriber's read rights; patterns with %c."""
    denied = 0x87 if v5() else 0x80
    admin = Client(unique("admin"), username="admin")
    admin.connect()
    assert admin.subscribe(("#", 1)) == [1]
    alice = Client(unique("alice"), username="alice")
    alice.connect()
    assert alice.subscribe(("secret/#", 1), ("alice/#", 1), ("public/#", 1)) == [denied, 1, 1]
    # Alice may only read public/#: her PUBLISH there is refused.
    rc = alice.publish("public/news", "from alice", 1)
    assert rc == (0x87 if v5() else 0), rc
    # Alice reads alice/# except alice/secret.
    admin.publish("alice/inbox", "for alice", 1)
    admin.publish("alice/secret", "not for alice", 1)
    admin.publish("public/news", "news", 1)
    assert sorted(payloads(alice.receive(2))) == ["for alice", "news"]
    assert alice.quiet() == []
    assert sorted(payloads(admin.receive(3))) == ["for alice", "news", "not for alice"]
    # Anonymous clients read public/# only; the pattern gives each client its own subtree.
    anon = Client("dev1")
    anon.connect()
    assert anon.subscribe(("public/#", 0), ("#", 0)) == [0, denied]
    assert anon.publish("clients/dev1/state", "mine", 1) in (0, 16)
    assert anon.publish("clients/dev2/state", "not mine", 1) == (0x87 if v5() else 0)
    assert payloads(admin.receive(1)) == ["mine"]
    assert admin.quiet() == []
    for c in (admin, alice, anon):
        c.disconnect()


def case_keepalive():
    """A client that stops sending (no PINGREQ) is disconnected after one and a half times its
    keep alive, and its will is published."""
    watch = Client(unique("watch"))
    watch.connect()
    watch.subscribe(("silent/#", 0))
    silent = Client(unique("silent"), keepalive=1).will("silent/will", "timed out")
    silent.connect()
    silent.stop_loop()
    started = time.monotonic()
    [m] = watch.receive(1, timeout=5)
    waited = time.monotonic() - started
    assert m.payload == b"timed out" and waited <= 3.5, waited
    # The broker closed the socket (after a DISCONNECT 0x8D on 5.0).
    sock = silent.paho.socket()
    sock.settimeout(2)
    data = b""
    while True:
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    if v5():
        assert data[:1] == b"\xe0" and data[2:3] == b"\x8d", data
    watch.disconnect()


def case_receive_maximum():
    """The broker runs with --receive-maximum 2. paho-mqtt does not apply the Receive Maximum
    of CONNACK (it keeps up to its own max_inflight_messages, 20 by default, unacknowledged):
    twenty QoS 2 messages at once exceed it, and the broker disconnects it with 0x93. Limited
    to 2 in flight, the same twenty all complete."""
    sub = Client(unique("sub"))
    sub.connect()
    sub.subscribe(("rm/#", 2))
    greedy = Client(unique("greedy"))
    greedy.connect()
    for i in range(20):
        greedy.paho.publish(f"rm/greedy/{i}", str(i), 2)
    wait_for("the broker to end the connection", lambda: True if greedy.lost.is_set() else None)
    assert greedy.disconnect_reason == 0x93, greedy.disconnect_reason
    polite = Client(unique("polite"))
    polite.paho.max_inflight_messages_set(2)
    polite.connect()
    infos = [polite.paho.publish(f"rm/polite/{i}", str(i), 2) for i in range(20)]
    for info in infos:
        info.wait_for_publish(WAIT)
    polite_got = []
    deadline = time.monotonic() + WAIT
    while len(polite_got) < 20 and time.monotonic() < deadline:
        polite_got += [m for m in sub.quiet(0.1) if m.topic.startswith("rm/polite/")]
    assert sorted(int(p) for p in payloads(polite_got)) == list(range(20)), payloads(polite_got)
    for c in (sub, polite):
        c.disconnect()


CASES = {name[len("case_"):]: f for name, f in globals().items() if name.startswith("case_")}


def main():
    global PORT, VERSION
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--version", choices=["3.1.1", "5"], default="5")
    parser.add_argument("case", choices=sorted(CASES))
    args = parser.parse_args()
    PORT = args.port
    VERSION = mqtt.MQTTv5 if args.version == "5" else mqtt.MQTTv311
    CASES[args.case]()
    print(f"ok {args.case} {args.version}")


if __name__ == "__main__":
    sys.exit(main())
