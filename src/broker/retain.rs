//! [`RetainedStore`]: the retained message of each topic (§3.3.1.3 of 5.0 and 3.1.1), found by
//! topic filter when a subscription is made.

use crate::session::Instant;
use crate::{Bytes, Publish, PublishProperties, QoS, TopicName};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::collections::btree_map;
use alloc::vec::Vec;

/// The index of the root node in [`RetainedStore::nodes`].
const ROOT: usize = 0;

/// A retained message: what a PUBLISH with RETAIN 1 left for future subscribers of its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetainedMessage {
    /// The topic it was published to.
    pub topic: TopicName,
    /// The payload; never empty in a store ([MQTT-3.3.1-7] 5.0 / [MQTT-3.3.1-11] 3.1.1).
    pub payload: Bytes,
    /// The QoS it was published with ([MQTT-3.3.1-5]: the store keeps message and QoS).
    pub qos: QoS,
    /// Its 5.0 properties as published (a Message Expiry Interval counts from `stored_at`).
    pub properties: PublishProperties,
    /// When the broker stored it.
    pub stored_at: Instant,
}

impl RetainedMessage {
    /// The retained message a PUBLISH leaves, stored at `now`. The RETAIN flag is the caller's
    /// business: only a PUBLISH with RETAIN 1 changes the store ([MQTT-3.3.1-8] 5.0 /
    /// [MQTT-3.3.1-12] 3.1.1).
    pub fn from_publish(publish: &Publish, now: Instant) -> RetainedMessage {
        RetainedMessage {
            topic: publish.topic.clone(),
            payload: publish.payload.clone(),
            qos: publish.qos.qos(),
            properties: publish.properties.clone(),
            stored_at: now,
        }
    }

    /// The bytes it holds: topic, payload and encoded properties.
    pub fn size(&self) -> usize {
        self.topic
            .len()
            .saturating_add(self.payload.len())
            .saturating_add(self.properties.as_bytes().len())
    }
}

/// One topic level of the store.
#[derive(Debug, Clone, Default)]
struct Node {
    /// Children by level (the empty level included).
    children: BTreeMap<Box<str>, usize>,
    /// The retained message of the topic that ends here.
    message: Option<RetainedMessage>,
}

impl Node {
    fn is_empty(&self) -> bool {
        self.children.is_empty() && self.message.is_none()
    }
}

/// The retained messages of a broker, one per topic name, in a trie of topic levels.
///
/// [`RetainedStore::set`] applies a PUBLISH with RETAIN 1: a non-empty payload replaces the
/// topic's retained message ([MQTT-3.3.1-5]), an empty one deletes it and is not stored
/// ([MQTT-3.3.1-6], [MQTT-3.3.1-7] 5.0 / [MQTT-3.3.1-10], [MQTT-3.3.1-11] 3.1.1).
/// [`RetainedStore::matching`] finds the messages a new subscription gets ([MQTT-3.3.1-9] 5.0 /
/// [MQTT-3.3.1-6] 3.1.1) by walking only the branches the filter can match: `sensors/+/temp`
/// visits the children of `sensors` and one grandchild each, not every stored topic.
///
/// ```
/// use mqtt_wire::broker::{RetainedMessage, RetainedStore};
/// use mqtt_wire::session::Instant;
/// use mqtt_wire::{Bytes, PublishProperties, QoS, TopicName};
///
/// let message = |topic: &str, payload: &'static str| RetainedMessage {
///     topic: TopicName::try_from(topic).unwrap(),
///     payload: Bytes::from_static(payload.as_bytes()),
///     qos: QoS::AtLeastOnce,
///     properties: PublishProperties::default(),
///     stored_at: Instant::ZERO,
/// };
/// let mut store = RetainedStore::new();
/// store.set(message("sensors/1/temp", "21.5"));
/// store.set(message("sensors/2/temp", "19.0"));
/// store.set(message("$SYS/uptime", "42"));
/// let topics: Vec<_> = store.matching("sensors/+/temp").map(|m| m.topic.as_str()).collect();
/// assert_eq!(topics, ["sensors/1/temp", "sensors/2/temp"]);
/// assert_eq!(store.matching("#").count(), 2); // `#` does not match `$SYS/uptime`
/// store.set(message("sensors/1/temp", "")); // an empty payload deletes
/// assert_eq!(store.len(), 2);
/// ```
///
/// # Allocation
///
/// [`RetainedStore::get`] allocates nothing; [`RetainedStore::matching`] allocates its stack of
/// pending branches (a few entries per filter level). Storing allocates the nodes and levels of
/// a new topic; removing allocates a list of the topic's nodes to prune them.
#[derive(Debug, Clone)]
pub struct RetainedStore {
    /// The trie, root first. A node is referred to by its index; freed nodes are reused.
    nodes: Vec<Node>,
    /// Indices of freed nodes.
    free: Vec<usize>,
    len: usize,
    bytes: usize,
}

impl Default for RetainedStore {
    fn default() -> Self {
        RetainedStore::new()
    }
}

/// The first level of `rest` and what follows it (`None` when it was the last level).
fn next_level(rest: &str) -> (&str, Option<&str>) {
    match rest.split_once('/') {
        Some((level, after)) => (level, Some(after)),
        None => (rest, None),
    }
}

impl RetainedStore {
    /// An empty store.
    pub fn new() -> Self {
        let nodes = alloc::vec![Node::default()];
        RetainedStore {
            nodes,
            free: Vec::new(),
            len: 0,
            bytes: 0,
        }
    }

    /// Applies a PUBLISH with RETAIN 1 to the store, returning the message it replaces or
    /// deletes.
    ///
    /// A non-empty payload becomes the topic's retained message, replacing any other
    /// ([MQTT-3.3.1-5]). An empty payload deletes the topic's retained message and is not kept
    /// ([MQTT-3.3.1-6], [MQTT-3.3.1-7] 5.0 / [MQTT-3.3.1-10], [MQTT-3.3.1-11] 3.1.1). A message
    /// with an empty topic name (a Topic Alias not yet resolved) is ignored.
    pub fn set(&mut self, message: RetainedMessage) -> Option<RetainedMessage> {
        if message.payload.is_empty() {
            // [MQTT-3.3.1-6] (5.0) / [MQTT-3.3.1-10] (3.1.1): an empty payload deletes;
            // [MQTT-3.3.1-7] (5.0) / [MQTT-3.3.1-11] (3.1.1): it is never stored.
            return self.remove(&message.topic);
        }
        if message.topic.is_empty() {
            return None;
        }
        let mut at = ROOT;
        let mut rest = Some(message.topic.as_str());
        while let Some(r) = rest {
            let (level, after) = next_level(r);
            at = match self.nodes.get(at).and_then(|n| n.children.get(level)) {
                Some(&child) => child,
                None => {
                    let child = self.new_node();
                    if let Some(node) = self.nodes.get_mut(at) {
                        node.children.insert(level.into(), child);
                    }
                    child
                }
            };
            rest = after;
        }
        let size = message.size();
        let node = self.nodes.get_mut(at)?;
        let old = node.message.replace(message);
        self.bytes = self.bytes.saturating_add(size);
        match &old {
            Some(old) => self.bytes = self.bytes.saturating_sub(old.size()),
            None => self.len = self.len.saturating_add(1),
        }
        old
    }

    /// Deletes the retained message of `topic`, returning it.
    pub fn remove(&mut self, topic: &str) -> Option<RetainedMessage> {
        if topic.is_empty() {
            return None;
        }
        let mut trail = Vec::new();
        trail.push(ROOT);
        let mut at = ROOT;
        for level in topic.split('/') {
            at = *self.nodes.get(at)?.children.get(level)?;
            trail.push(at);
        }
        let old = self.nodes.get_mut(at)?.message.take()?;
        self.len = self.len.saturating_sub(1);
        self.bytes = self.bytes.saturating_sub(old.size());
        // From the deepest node up: free each node left empty and unlink it from its parent.
        for (pair, level) in trail.windows(2).rev().zip(topic.split('/').rev()) {
            let &[parent, child] = pair else { break };
            if !self.nodes.get(child).is_some_and(Node::is_empty) {
                break;
            }
            if let Some(node) = self.nodes.get_mut(parent) {
                node.children.remove(level);
            }
            self.free.push(child);
        }
        Some(old)
    }

    /// The retained message of exactly `topic`.
    pub fn get(&self, topic: &str) -> Option<&RetainedMessage> {
        if topic.is_empty() {
            return None;
        }
        let mut at = ROOT;
        for level in topic.split('/') {
            at = *self.nodes.get(at)?.children.get(level)?;
        }
        self.nodes.get(at)?.message.as_ref()
    }

    /// The retained messages whose topic matches the topic filter `filter` (§4.7), ordered by
    /// topic level by level (each level in byte order, a topic before the topics below it).
    ///
    /// `filter` is the text of a valid filter without a `$share/{ShareName}/` prefix (for a
    /// [`TopicFilter`](crate::TopicFilter), its [`filter`](crate::TopicFilter::filter)). `+`
    /// and `#` as the first level do not match topics that start with `$` ([MQTT-4.7.2-1]); `#`
    /// matches the parent level (`a/#` matches `a`).
    pub fn matching<'a>(&'a self, filter: &'a str) -> RetainedMatches<'a> {
        let mut stack = Vec::new();
        if !filter.is_empty() {
            stack.push(Frame::Visit(ROOT, Some(filter)));
        }
        RetainedMatches { store: self, stack }
    }

    /// Every retained message, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &RetainedMessage> {
        self.nodes.iter().filter_map(|n| n.message.as_ref())
    }

    /// Keeps only the retained messages for which `keep` is true (say, those whose Message
    /// Expiry Interval has not passed), returning how many were deleted.
    pub fn retain(&mut self, mut keep: impl FnMut(&RetainedMessage) -> bool) -> usize {
        let doomed: Vec<TopicName> = self
            .iter()
            .filter(|m| !keep(m))
            .map(|m| m.topic.clone())
            .collect();
        for topic in &doomed {
            self.remove(topic);
        }
        doomed.len()
    }

    /// How many topics have a retained message.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no topic has a retained message.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes the retained messages hold: the sum of [`RetainedMessage::size`].
    pub fn total_bytes(&self) -> usize {
        self.bytes
    }

    fn new_node(&mut self) -> usize {
        if let Some(free) = self.free.pop() {
            return free;
        }
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// How many trie nodes are in use, the root included.
    #[cfg(test)]
    pub(crate) fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

/// A pending part of a [`RetainedStore::matching`] walk.
#[derive(Debug)]
enum Frame<'a> {
    /// Match the rest of the filter (`None`: the filter ended) from a node.
    Visit(usize, Option<&'a str>),
    /// A `+` level: each remaining child matches the rest of the filter.
    Plus(btree_map::Iter<'a, Box<str>, usize>, Option<&'a str>, bool),
    /// Below a `#`: each remaining child and everything under it matches.
    All(btree_map::Iter<'a, Box<str>, usize>, bool),
}

/// The iterator of [`RetainedStore::matching`].
#[derive(Debug)]
pub struct RetainedMatches<'a> {
    store: &'a RetainedStore,
    stack: Vec<Frame<'a>>,
}

/// Whether a child level may be matched by a wildcard: not a `$` level under the root
/// ([MQTT-4.7.2-1]).
fn wildcard_may_match(first_level: bool, level: &str) -> bool {
    !(first_level && level.starts_with('$'))
}

impl<'a> Iterator for RetainedMatches<'a> {
    type Item = &'a RetainedMessage;

    fn next(&mut self) -> Option<&'a RetainedMessage> {
        let nodes = &self.store.nodes;
        loop {
            match self.stack.last_mut()? {
                Frame::Visit(at, rest) => {
                    let (at, rest) = (*at, *rest);
                    self.stack.pop();
                    let Some(node) = nodes.get(at) else { continue };
                    let Some(rest) = rest else {
                        if let Some(message) = &node.message {
                            return Some(message);
                        }
                        continue;
                    };
                    let (level, after) = next_level(rest);
                    match level {
                        "#" => {
                            self.stack
                                .push(Frame::All(node.children.iter(), at == ROOT));
                            // `#` matches the parent level: `a/#` matches `a`.
                            if let Some(message) = &node.message {
                                return Some(message);
                            }
                        }
                        "+" => {
                            self.stack
                                .push(Frame::Plus(node.children.iter(), after, at == ROOT));
                        }
                        literal => {
                            if let Some(&child) = node.children.get(literal) {
                                self.stack.push(Frame::Visit(child, after));
                            }
                        }
                    }
                }
                Frame::Plus(children, after, first_level) => {
                    let (after, first_level) = (*after, *first_level);
                    match children.next() {
                        // [MQTT-4.7.2-1]
                        Some((level, &child)) if wildcard_may_match(first_level, level) => {
                            self.stack.push(Frame::Visit(child, after));
                        }
                        Some(_) => {}
                        None => {
                            self.stack.pop();
                        }
                    }
                }
                Frame::All(children, first_level) => {
                    let first_level = *first_level;
                    match children.next() {
                        // [MQTT-4.7.2-1]
                        Some((level, &child)) if wildcard_may_match(first_level, level) => {
                            let Some(node) = nodes.get(child) else {
                                continue;
                            };
                            self.stack.push(Frame::All(node.children.iter(), false));
                            if let Some(message) = &node.message {
                                return Some(message);
                            }
                        }
                        Some(_) => {}
                        None => {
                            self.stack.pop();
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PacketId, QosPid};
    use alloc::string::String;
    use alloc::vec;

    fn message(topic: &str, payload: &str) -> RetainedMessage {
        RetainedMessage {
            topic: TopicName::try_from(topic).unwrap(),
            payload: Bytes::copy_from_slice(payload.as_bytes()),
            qos: QoS::AtMostOnce,
            properties: PublishProperties::default(),
            stored_at: Instant::ZERO,
        }
    }

    fn topics(store: &RetainedStore, filter: &str) -> Vec<String> {
        store
            .matching(filter)
            .map(|m| String::from(m.topic.as_str()))
            .collect()
    }

    fn store_of(list: &[&str]) -> RetainedStore {
        let mut store = RetainedStore::new();
        for t in list {
            store.set(message(t, "x"));
        }
        store
    }

    #[test]
    fn a_retained_publish_replaces_the_topics_message_mqtt_3_3_1_5() {
        let mut store = RetainedStore::new();
        assert_eq!(store.set(message("a/b", "1")), None);
        let old = store.set(message("a/b", "22")).unwrap();
        assert_eq!(&old.payload[..], b"1");
        assert_eq!(&store.get("a/b").unwrap().payload[..], b"22");
        assert_eq!(store.len(), 1);
        assert_eq!(store.total_bytes(), 3 + 2);
        assert_eq!(store.get("a"), None);
        assert_eq!(store.get("a/b/c"), None);
        assert_eq!(store.get(""), None);
    }

    #[test]
    fn from_publish_keeps_message_qos_and_properties_mqtt_3_3_1_5() {
        let publish = Publish {
            dup: false,
            qos: QosPid::ExactlyOnce(PacketId::MIN),
            retain: true,
            topic: TopicName::try_from("a").unwrap(),
            properties: PublishProperties::builder().build().unwrap(),
            payload: Bytes::from_static(b"hello"),
        };
        let m = RetainedMessage::from_publish(&publish, Instant::from_millis(7));
        assert_eq!(m.qos, QoS::ExactlyOnce);
        assert_eq!(m.stored_at, Instant::from_millis(7));
        assert_eq!(&m.payload[..], b"hello");
        assert_eq!(m.topic, "a");
        assert_eq!(m.size(), 6 + m.properties.as_bytes().len());
    }

    #[test]
    fn an_empty_payload_deletes_and_is_not_stored_mqtt_3_3_1_6_and_3_3_1_7() {
        // 5.0 [MQTT-3.3.1-6], [MQTT-3.3.1-7]; 3.1.1 [MQTT-3.3.1-10], [MQTT-3.3.1-11].
        let mut store = store_of(&["a/b", "a/b/c"]);
        let deleted = store.set(message("a/b", "")).unwrap();
        assert_eq!(deleted.topic, "a/b");
        assert_eq!(store.get("a/b"), None);
        assert_eq!(store.len(), 1);
        assert_eq!(topics(&store, "#"), ["a/b/c"]);
        // Deleting a topic without a retained message stores nothing either.
        assert_eq!(store.set(message("x", "")), None);
        assert_eq!(store.len(), 1);
        assert_eq!(store.total_bytes(), 5 + 1);
        assert_eq!(store.live_nodes(), 4);
        assert_eq!(store.remove("a/b/c").unwrap().topic, "a/b/c");
        assert!(store.is_empty());
        assert_eq!(store.total_bytes(), 0);
        assert_eq!(store.live_nodes(), 1);
    }

    #[test]
    fn a_new_subscription_finds_every_matching_topic_mqtt_3_3_1_9_and_3_3_1_6() {
        // 5.0 [MQTT-3.3.1-9] / 3.1.1 [MQTT-3.3.1-6]: the latest retained message of every
        // matching topic, and no other.
        let store = store_of(&["a", "a/b", "a/c", "a/b/c", "b/b", "a//c", "/", "/a"]);
        assert_eq!(topics(&store, "a/+"), ["a/b", "a/c"]);
        assert_eq!(topics(&store, "a/#"), ["a", "a//c", "a/b", "a/b/c", "a/c"]);
        assert_eq!(topics(&store, "+/+"), ["/", "/a", "a/b", "a/c", "b/b"]);
        assert_eq!(topics(&store, "+"), ["a"]);
        let everything = ["/", "/a", "a", "a//c", "a/b", "a/b/c", "a/c", "b/b"];
        assert_eq!(topics(&store, "#"), everything);
        assert_eq!(topics(&store, "+/#"), everything);
        assert_eq!(topics(&store, "a//c"), ["a//c"]);
        assert_eq!(topics(&store, "a/+/c"), ["a//c", "a/b/c"]);
        assert_eq!(topics(&store, "/"), ["/"]);
        assert_eq!(topics(&store, "/+"), ["/", "/a"]);
        assert_eq!(topics(&store, "A/#"), Vec::<String>::new());
        assert_eq!(topics(&store, "x/#"), Vec::<String>::new());
        assert_eq!(topics(&store, "a/b/c/d"), Vec::<String>::new());
        assert_eq!(topics(&store, ""), Vec::<String>::new());
    }

    #[test]
    fn wildcards_do_not_match_dollar_topics_mqtt_4_7_2_1() {
        let store = store_of(&["$SYS", "$SYS/uptime", "a/$x", "$share/g/a", "$"]);
        assert_eq!(topics(&store, "#"), ["a/$x"]);
        assert_eq!(topics(&store, "+"), Vec::<String>::new());
        assert_eq!(topics(&store, "+/uptime"), Vec::<String>::new());
        assert_eq!(topics(&store, "+/#"), ["a/$x"]);
        assert_eq!(topics(&store, "$SYS/#"), ["$SYS", "$SYS/uptime"]);
        assert_eq!(topics(&store, "$SYS/+"), ["$SYS/uptime"]);
        assert_eq!(topics(&store, "a/+"), ["a/$x"]);
        assert_eq!(topics(&store, "a/#"), ["a/$x"]);
        assert_eq!(topics(&store, "$"), ["$"]);
    }

    #[test]
    fn retain_deletes_what_the_predicate_refuses() {
        let mut store = RetainedStore::new();
        store.set(message("a/1", "old"));
        store.set(message("a/2", "new"));
        store.set(message("a/2/x", "old"));
        store.set(message("b", "old"));
        assert_eq!(store.retain(|m| &m.payload[..] != b"old"), 3);
        assert_eq!(
            store.iter().map(|m| m.topic.as_str()).collect::<Vec<_>>(),
            ["a/2"]
        );
        assert_eq!(store.len(), 1);
        assert_eq!(store.total_bytes(), 3 + 3);
        assert_eq!(store.live_nodes(), 3);
    }

    #[test]
    fn deep_topics_use_no_deep_recursion() {
        let levels = 30_000;
        let topic = vec!["x"; levels].join("/");
        let mut store = RetainedStore::new();
        store.set(message(&topic, "deep"));
        store.set(message("x", "shallow"));
        assert_eq!(store.matching("#").count(), 2);
        let filter = vec!["+"; levels].join("/");
        assert_eq!(store.matching(&filter).count(), 1);
        assert_eq!(store.get(&topic).map(|m| m.payload.len()), Some(4));
        assert_eq!(store.live_nodes(), levels + 1);
        store.remove(&topic);
        assert_eq!(store.live_nodes(), 2);
        store.set(message(&topic, "deep"));
        drop(store);
    }
}
