//! [`SubscriptionTree`]: every subscription of every subscriber, and the answer to "who gets a
//! copy of a message published to this topic" (§4.7, §4.8.2, §3.3.4 of 5.0; §3.3.5 of 3.1.1).

use crate::{ByteString, QoS, SubscriptionOptions, TopicFilter};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// The index of the root node in [`SubscriptionTree::nodes`].
const ROOT: usize = 0;

/// How many pending branches a match keeps on the call stack before it spills to the heap: a
/// topic of up to this many levels is matched without allocating.
const INLINE_STACK: usize = 32;

/// What the tree keeps of one subscription: its options and its Subscription Identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    /// The options the subscriber asked for, with the QoS the server granted (the broker decides
    /// the granted QoS before inserting).
    pub options: SubscriptionOptions,
    /// 5.0: the Subscription Identifier of the SUBSCRIBE that made or last replaced the
    /// subscription (1 to 268,435,455), `None` when it had none.
    pub identifier: Option<u32>,
}

/// Identifies one shared subscription group: a share name together with a topic filter
/// (`$share/{ShareName}/{filter}`, §4.8.2).
///
/// A group gets its id when its first member subscribes and keeps it while it has members. Ids are
/// never reused by the same tree, so state a broker keeps per group (say, a round-robin cursor)
/// cannot be mistaken for that of a later group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(u64);

impl GroupId {
    /// The id as a number.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// One subscription that matched a published topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubscriptionMatch<K> {
    /// Whose subscription it is.
    pub subscriber: K,
    /// Its options (granted QoS, No Local, Retain As Published, Retain Handling).
    pub options: SubscriptionOptions,
    /// Its Subscription Identifier, if it has one.
    pub identifier: Option<u32>,
}

/// The one copy a subscriber gets of a message through its non-shared subscriptions.
///
/// However many of a subscriber's subscriptions match the topic, it gets one copy
/// ([MQTT-3.3.4-2] 5.0 / [MQTT-3.3.5-1] 3.1.1):
///
/// - `qos` is the highest granted QoS among them ([MQTT-3.3.4-2] / [MQTT-3.3.5-1]); the copy is
///   sent at the lower of it and the published QoS ([MQTT-3.8.4-8] 5.0 / [MQTT-3.8.4-6] 3.1.1).
/// - `subscription_identifiers` holds the identifiers of all of them that have one
///   ([MQTT-3.3.4-3], [MQTT-3.3.4-4]), ascending, each value once.
/// - `retain_as_published` is true when any of them has Retain As Published: the copy keeps the
///   published RETAIN flag ([MQTT-3.3.1-13]) when one of the subscriptions asked for it, and has
///   RETAIN 0 ([MQTT-3.3.1-12]) only when none did. One copy cannot follow two subscriptions that
///   disagree; the flag that carries more information wins, and a broker that wants each
///   subscription's own flag sends one copy per subscription instead ([MQTT-3.3.4-5]) from
///   [`Matches::subscriptions`].
///
/// No Local is already applied: a subscription with No Local does not take part when its
/// subscriber is the publisher passed to [`SubscriptionTree::matches_into`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery<'a, K> {
    /// Who gets the copy.
    pub subscriber: K,
    /// The highest granted QoS among the matching subscriptions.
    pub qos: QoS,
    /// Whether the copy keeps the published RETAIN flag (see the type's documentation).
    pub retain_as_published: bool,
    /// The Subscription Identifiers of the matching subscriptions, ascending, without repeats.
    pub subscription_identifiers: &'a [u32],
}

/// A shared subscription group that matched a published topic: the broker sends the message to
/// one of `members` ([MQTT-4.8.2-3]: at that member's granted QoS, with its identifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedMatch<'a, K> {
    /// The group.
    pub group: GroupId,
    /// Its members, by subscriber. Never empty.
    pub members: &'a [SubscriptionMatch<K>],
}

#[derive(Debug, Clone, Copy)]
struct RawDelivery<K> {
    subscriber: K,
    qos: QoS,
    retain_as_published: bool,
    ids: (usize, usize),
}

#[derive(Debug, Clone, Copy)]
struct RawGroup {
    id: GroupId,
    members: (usize, usize),
}

/// The answer of [`SubscriptionTree::matches_into`] for one published topic.
///
/// Keep one and pass it to every match: each call clears it and refills its buffers, which keep
/// their capacity, so matching stops allocating once they have grown to the largest answer seen.
#[derive(Debug, Clone)]
pub struct Matches<K> {
    /// Every matching non-shared subscription, sorted by subscriber after a match.
    hits: Vec<SubscriptionMatch<K>>,
    deliveries: Vec<RawDelivery<K>>,
    ids: Vec<u32>,
    groups: Vec<RawGroup>,
    members: Vec<SubscriptionMatch<K>>,
}

impl<K> Default for Matches<K> {
    fn default() -> Self {
        Matches::new()
    }
}

impl<K> Matches<K> {
    /// Empty buffers; nothing is allocated until a match needs room.
    pub const fn new() -> Self {
        Matches {
            hits: Vec::new(),
            deliveries: Vec::new(),
            ids: Vec::new(),
            groups: Vec::new(),
            members: Vec::new(),
        }
    }

    /// Forgets the answer, keeping the buffers' capacity.
    pub fn clear(&mut self) {
        self.hits.clear();
        self.deliveries.clear();
        self.ids.clear();
        self.groups.clear();
        self.members.clear();
    }

    /// Whether nobody gets the message: no delivery and no shared group.
    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty() && self.groups.is_empty()
    }
}

impl<K: Copy> Matches<K> {
    /// One copy per subscriber through its non-shared subscriptions, ordered by subscriber.
    pub fn deliveries(&self) -> impl ExactSizeIterator<Item = Delivery<'_, K>> + Clone {
        self.deliveries.iter().map(|d| Delivery {
            subscriber: d.subscriber,
            qos: d.qos,
            retain_as_published: d.retain_as_published,
            subscription_identifiers: self.ids.get(d.ids.0..d.ids.1).unwrap_or_default(),
        })
    }

    /// Every matching non-shared subscription, ordered by subscriber (a subscriber's
    /// subscriptions are adjacent): what [`Matches::deliveries`] merged, for a broker that sends
    /// one copy per subscription ([MQTT-3.3.4-5]).
    pub fn subscriptions(&self) -> &[SubscriptionMatch<K>] {
        &self.hits
    }

    /// The shared subscription groups that matched, each with its members.
    pub fn shared(&self) -> impl ExactSizeIterator<Item = SharedMatch<'_, K>> + Clone {
        self.groups.iter().map(|g| SharedMatch {
            group: g.id,
            members: self
                .members
                .get(g.members.0..g.members.1)
                .unwrap_or_default(),
        })
    }
}

impl<K: Ord + Copy> Matches<K> {
    /// Adds the subscriptions of `subs` that deliver to `publisher`'s message.
    fn collect(&mut self, subs: &Subs<K>, publisher: Option<K>) {
        // [MQTT-3.8.3-3] (5.0): a No Local subscription gets nothing its own client published.
        let keep = |k: &K, s: &Subscription| !(s.options.no_local && publisher == Some(*k));
        for (k, s) in subs.plain.iter().filter(|(k, s)| keep(k, s)) {
            self.hits.push(hit(*k, s));
        }
        for group in subs.shared.values() {
            let start = self.members.len();
            for (k, s) in group.members.iter().filter(|(k, s)| keep(k, s)) {
                self.members.push(hit(*k, s));
            }
            if self.members.len() > start {
                self.groups.push(RawGroup {
                    id: group.id,
                    members: (start, self.members.len()),
                });
            }
        }
    }

    /// Merges the matching subscriptions of each subscriber into one delivery.
    fn finish(&mut self) {
        // In place: `sort_unstable` does not allocate.
        self.hits.sort_unstable_by_key(|h| h.subscriber);
        for run in self.hits.chunk_by(|a, b| a.subscriber == b.subscriber) {
            let Some(first) = run.first() else { continue };
            let start = self.ids.len();
            let mut qos = QoS::AtMostOnce;
            let mut retain_as_published = false;
            for h in run {
                // [MQTT-3.3.4-2] (5.0) / [MQTT-3.3.5-1] (3.1.1): one copy at the highest QoS.
                qos = qos.max(h.options.qos);
                retain_as_published |= h.options.retain_as_published;
                // [MQTT-3.3.4-3], [MQTT-3.3.4-4]: every identifier of the matching subscriptions.
                if let Some(id) = h.identifier
                    && !self.ids.get(start..).is_some_and(|seen| seen.contains(&id))
                {
                    self.ids.push(id);
                }
            }
            if let Some(ids) = self.ids.get_mut(start..) {
                ids.sort_unstable();
            }
            self.deliveries.push(RawDelivery {
                subscriber: first.subscriber,
                qos,
                retain_as_published,
                ids: (start, self.ids.len()),
            });
        }
    }
}

fn hit<K>(subscriber: K, s: &Subscription) -> SubscriptionMatch<K> {
    SubscriptionMatch {
        subscriber,
        options: s.options,
        identifier: s.identifier,
    }
}

/// The subscriptions that end at one place of the trie.
#[derive(Debug, Clone)]
struct Subs<K> {
    /// Non-shared subscriptions, by subscriber.
    plain: BTreeMap<K, Subscription>,
    /// Shared subscription groups, by share name.
    shared: BTreeMap<Box<str>, Group<K>>,
}

impl<K> Default for Subs<K> {
    fn default() -> Self {
        Subs {
            plain: BTreeMap::new(),
            shared: BTreeMap::new(),
        }
    }
}

impl<K> Subs<K> {
    fn is_empty(&self) -> bool {
        self.plain.is_empty() && self.shared.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Group<K> {
    id: GroupId,
    members: BTreeMap<K, Subscription>,
}

/// One level of the trie. A node stands for the filter levels on the path to it.
#[derive(Debug, Clone)]
struct Node<K> {
    /// Children by literal level (the empty level included).
    literal: BTreeMap<Box<str>, usize>,
    /// The child for a `+` level.
    plus: Option<usize>,
    /// Subscriptions whose filter is exactly the path to this node.
    exact: Subs<K>,
    /// Subscriptions whose filter is the path to this node followed by `#`: they match the node
    /// itself (the parent level) and everything below it.
    multi: Subs<K>,
}

impl<K> Default for Node<K> {
    fn default() -> Self {
        Node {
            literal: BTreeMap::new(),
            plus: None,
            exact: Subs::default(),
            multi: Subs::default(),
        }
    }
}

impl<K> Node<K> {
    fn child(&self, level: &str) -> Option<usize> {
        if level == "+" {
            self.plus
        } else {
            self.literal.get(level).copied()
        }
    }

    fn is_empty(&self) -> bool {
        self.literal.is_empty()
            && self.plus.is_none()
            && self.exact.is_empty()
            && self.multi.is_empty()
    }
}

/// A filter (without a shared-subscription prefix) as a path of levels and the place at its end:
/// `(Some("a/+"), true)` for `a/+/#`, `(None, true)` for `#`, `(Some("a"), false)` for `a`.
fn split_filter(filter: &str) -> (Option<&str>, bool) {
    if filter == "#" {
        (None, true)
    } else if let Some(path) = filter.strip_suffix("/#") {
        (Some(path), true)
    } else {
        (Some(filter), false)
    }
}

/// The levels of a path from [`split_filter`].
fn levels(path: Option<&str>) -> impl DoubleEndedIterator<Item = &str> {
    path.into_iter().flat_map(|p| p.split('/'))
}

/// The first level of `rest` and what follows it (`None` when it was the last level).
fn next_level(rest: &str) -> (&str, Option<&str>) {
    // A plain byte scan: levels are short, and `split_once` sets up a general searcher for
    // every level. `/` is ASCII, so both sides of it are character boundaries.
    match rest.bytes().position(|b| b == b'/') {
        Some(i) => (rest.get(..i).unwrap_or(rest), rest.get(i + 1..)),
        None => (rest, None),
    }
}

/// Every subscription of every subscriber, in a trie of topic levels.
///
/// `K` identifies a subscriber (a broker uses its session or connection id). Each subscriber has
/// at most one subscription per topic filter: subscribing again to an identical filter replaces
/// the subscription ([MQTT-3.8.4-3]), and [`SubscriptionTree::insert`] returns the one it
/// replaced (for Retain Handling 1, [MQTT-3.3.1-10] 5.0).
///
/// Filters are read under the 5.0 syntax: `$share/{ShareName}/{filter}` is a shared subscription
/// ([`TopicFilter::share_name`]). A shared subscription belongs to the group of its share name
/// and filter; a matching group is answered apart from the subscribers' own copies, for the broker
/// to choose one member per message ([MQTT-4.8.2-3]).
///
/// Matching follows §4.7: levels compare exactly ([MQTT-4.7.3-4]) and the empty level is a level
/// (`a//b`); `+` matches one level, `#` the parent level and everything below (`a/#` matches
/// `a`); a filter starting with `+` or `#` does not match a topic starting with `$`
/// ([MQTT-4.7.2-1]).
///
/// ```
/// use mqtt_wire::broker::{Matches, SubscriptionTree};
/// use mqtt_wire::{QoS, SubscriptionOptions, TopicFilter};
///
/// let mut tree = SubscriptionTree::new();
/// let qos = |q| SubscriptionOptions::qos(q);
/// tree.insert(1, TopicFilter::try_from("sensors/#")?, qos(QoS::AtMostOnce), Some(7));
/// tree.insert(1, TopicFilter::try_from("sensors/+/temp")?, qos(QoS::AtLeastOnce), Some(9));
/// tree.insert(2, TopicFilter::try_from("$share/g/sensors/+/temp")?, qos(QoS::ExactlyOnce), None);
/// tree.insert(3, TopicFilter::try_from("$share/g/sensors/+/temp")?, qos(QoS::AtMostOnce), None);
///
/// let mut matches = Matches::new(); // reused for every message
/// tree.matches_into("sensors/1/temp", None, &mut matches);
/// let copies: Vec<_> = matches.deliveries().collect();
/// assert_eq!(copies.len(), 1); // one copy for subscriber 1, at QoS 1, with both identifiers
/// assert_eq!((copies[0].subscriber, copies[0].qos), (1, QoS::AtLeastOnce));
/// assert_eq!(copies[0].subscription_identifiers, [7, 9]);
/// let groups: Vec<_> = matches.shared().collect();
/// assert_eq!(groups.len(), 1); // one group; the broker picks one of its two members
/// assert_eq!(groups[0].members.iter().map(|m| m.subscriber).collect::<Vec<_>>(), [2, 3]);
/// # Ok::<(), mqtt_wire::TopicError>(())
/// ```
///
/// # Allocation
///
/// [`SubscriptionTree::matches_into`] allocates only to grow the caller's [`Matches`] buffers
/// and, for a topic of more than 32 levels, its stack of pending branches. Inserting allocates
/// the trie nodes and map entries a new filter needs (and copies the levels it adds); removing
/// allocates a list of the filter's nodes to prune them.
#[derive(Debug, Clone)]
pub struct SubscriptionTree<K> {
    /// The trie, root first. A node is referred to by its index; freed nodes are reused.
    nodes: Vec<Node<K>>,
    /// Indices of freed nodes.
    free: Vec<usize>,
    /// Every subscription by subscriber and filter (the whole filter, `$share/…` included).
    by_subscriber: BTreeMap<K, BTreeMap<ByteString, Subscription>>,
    /// The whole filter of each shared group.
    groups: BTreeMap<GroupId, ByteString>,
    next_group: u64,
    len: usize,
}

impl<K: Ord + Copy> Default for SubscriptionTree<K> {
    fn default() -> Self {
        SubscriptionTree::new()
    }
}

impl<K: Ord + Copy> SubscriptionTree<K> {
    /// An empty tree.
    pub fn new() -> Self {
        let nodes = alloc::vec![Node::default()];
        SubscriptionTree {
            nodes,
            free: Vec::new(),
            by_subscriber: BTreeMap::new(),
            groups: BTreeMap::new(),
            next_group: 0,
            len: 0,
        }
    }

    /// Subscribes `subscriber` to `filter` with `options` (holding the granted QoS) and the
    /// Subscription Identifier `identifier`. An existing subscription of `subscriber` to the
    /// identical filter is replaced and returned ([MQTT-3.8.4-3]); `None` means it is new.
    pub fn insert(
        &mut self,
        subscriber: K,
        filter: TopicFilter,
        options: SubscriptionOptions,
        identifier: Option<u32>,
    ) -> Option<Subscription> {
        let sub = Subscription {
            options,
            identifier,
        };
        let (path, multi) = split_filter(filter.filter());
        let at = self.node_for(path);
        let mut new_group = None;
        let old = {
            let node = self.nodes.get_mut(at)?;
            let subs = if multi {
                &mut node.multi
            } else {
                &mut node.exact
            };
            match filter.share_name() {
                None => subs.plain.insert(subscriber, sub),
                Some(share) => match subs.shared.get_mut(share) {
                    Some(group) => group.members.insert(subscriber, sub),
                    None => {
                        let id = GroupId(self.next_group);
                        self.next_group = self.next_group.wrapping_add(1);
                        let mut members = BTreeMap::new();
                        members.insert(subscriber, sub);
                        subs.shared.insert(share.into(), Group { id, members });
                        new_group = Some(id);
                        None
                    }
                },
            }
        };
        if let Some(id) = new_group {
            self.groups.insert(id, filter.as_inner().clone());
        }
        self.by_subscriber
            .entry(subscriber)
            .or_default()
            .insert(filter.into_inner(), sub);
        if old.is_none() {
            self.len = self.len.saturating_add(1);
        }
        old
    }

    /// Removes the subscription of `subscriber` to exactly `filter` (as it was subscribed,
    /// `$share/…` included) and returns it; `None` when there was none.
    pub fn remove(&mut self, subscriber: K, filter: &str) -> Option<Subscription> {
        let filters = self.by_subscriber.get_mut(&subscriber)?;
        let (key, sub) = filters.remove_entry(filter)?;
        if filters.is_empty() {
            self.by_subscriber.remove(&subscriber);
        }
        self.len = self.len.saturating_sub(1);
        self.unlink(subscriber, &TopicFilter::from_checked(key));
        Some(sub)
    }

    /// Removes every subscription of `subscriber`, returning how many there were.
    pub fn remove_subscriber(&mut self, subscriber: K) -> usize {
        let Some(filters) = self.by_subscriber.remove(&subscriber) else {
            return 0;
        };
        let count = filters.len();
        self.len = self.len.saturating_sub(count);
        for key in filters.into_keys() {
            self.unlink(subscriber, &TopicFilter::from_checked(key));
        }
        count
    }

    /// The subscription of `subscriber` to exactly `filter`, if any.
    pub fn get(&self, subscriber: K, filter: &str) -> Option<Subscription> {
        self.by_subscriber.get(&subscriber)?.get(filter).copied()
    }

    /// The subscriptions of `subscriber`, ordered by filter.
    pub fn subscriptions_of(
        &self,
        subscriber: K,
    ) -> impl Iterator<Item = (TopicFilter, Subscription)> + '_ {
        self.by_subscriber
            .get(&subscriber)
            .into_iter()
            .flatten()
            .map(|(filter, sub)| (TopicFilter::from_checked(filter.clone()), *sub))
    }

    /// Every subscriber with at least one subscription, in order.
    pub fn subscribers(&self) -> impl Iterator<Item = K> + '_ {
        self.by_subscriber.keys().copied()
    }

    /// How many subscriptions there are, shared ones included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no subscription.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many subscribers have at least one subscription.
    pub fn subscriber_count(&self) -> usize {
        self.by_subscriber.len()
    }

    /// How many shared subscription groups have members.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// The whole filter (`$share/{ShareName}/{filter}`) of a shared group that still has members.
    pub fn group_filter(&self, group: GroupId) -> Option<TopicFilter> {
        let filter = self.groups.get(&group)?;
        Some(TopicFilter::from_checked(filter.clone()))
    }

    /// The members of a shared group, by subscriber; nothing when the group has no members left.
    pub fn group_members(&self, group: GroupId) -> impl Iterator<Item = SubscriptionMatch<K>> + '_ {
        self.find_group(group)
            .into_iter()
            .flat_map(|g| g.members.iter().map(|(k, s)| hit(*k, s)))
    }

    /// The answer for a message published to the topic name `topic` by `publisher` (`None` for
    /// a message that no subscriber published, such as a will or a server message): one
    /// [`Delivery`] per subscriber with matching non-shared subscriptions, and the matching
    /// shared groups ([`Matches`]). `out` is cleared first.
    ///
    /// A subscription with No Local does not match its own subscriber's messages
    /// ([MQTT-3.8.3-3] 5.0: the rule compares Client Identifiers, so `K` should identify the
    /// client, as a session id does). The empty topic name (a Topic Alias stands for the topic)
    /// matches nothing. The text is not checked again: pass a valid topic name.
    pub fn matches_into(&self, topic: &str, publisher: Option<K>, out: &mut Matches<K>) {
        out.clear();
        if topic.is_empty() {
            return;
        }
        // [MQTT-4.7.2-1]: `+` and `#` as the first level of a filter do not match a topic whose
        // first level starts with `$`.
        let dollar = topic.starts_with('$');
        let mut stack = Stack::new();
        stack.push((ROOT, Some(topic)));
        while let Some((at, rest)) = stack.pop() {
            let Some(node) = self.nodes.get(at) else {
                continue;
            };
            let wildcards = !(dollar && at == ROOT);
            // Most places of the walk hold no subscription: the call and its two map walks
            // are skipped.
            if wildcards && !node.multi.is_empty() {
                // `#` matches the parent level too: `a/#` matches `a`.
                out.collect(&node.multi, publisher);
            }
            match rest {
                None => {
                    if !node.exact.is_empty() {
                        out.collect(&node.exact, publisher);
                    }
                }
                Some(rest) => {
                    let (level, after) = next_level(rest);
                    if let Some(&child) = node.literal.get(level) {
                        stack.push((child, after));
                    }
                    if let Some(child) = node.plus.filter(|_| wildcards) {
                        stack.push((child, after));
                    }
                }
            }
        }
        out.finish();
    }

    /// [`SubscriptionTree::matches_into`] into a new [`Matches`] (which allocates).
    pub fn matches(&self, topic: &str, publisher: Option<K>) -> Matches<K> {
        let mut out = Matches::new();
        self.matches_into(topic, publisher, &mut out);
        out
    }

    /// The node at the end of `path`, made if missing.
    fn node_for(&mut self, path: Option<&str>) -> usize {
        let mut at = ROOT;
        for level in levels(path) {
            at = match self.nodes.get(at).and_then(|n| n.child(level)) {
                Some(child) => child,
                None => {
                    let child = self.new_node();
                    if let Some(node) = self.nodes.get_mut(at) {
                        if level == "+" {
                            node.plus = Some(child);
                        } else {
                            node.literal.insert(level.into(), child);
                        }
                    }
                    child
                }
            };
        }
        at
    }

    fn new_node(&mut self) -> usize {
        if let Some(free) = self.free.pop() {
            return free;
        }
        self.nodes.push(Node::default());
        self.nodes.len() - 1
    }

    /// The subscriptions at the place of the (non-shared part of the) filter `filter`.
    fn find_subs(&self, filter: &str) -> Option<&Subs<K>> {
        let (path, multi) = split_filter(filter);
        let mut at = ROOT;
        for level in levels(path) {
            at = self.nodes.get(at)?.child(level)?;
        }
        let node = self.nodes.get(at)?;
        Some(if multi { &node.multi } else { &node.exact })
    }

    fn find_group(&self, group: GroupId) -> Option<&Group<K>> {
        let filter: TopicFilter = TopicFilter::from_checked(self.groups.get(&group)?.clone());
        self.find_subs(filter.filter())?
            .shared
            .get(filter.share_name()?)
    }

    /// Takes `subscriber`'s subscription to `filter` out of the trie and frees the nodes left
    /// empty.
    fn unlink(&mut self, subscriber: K, filter: &TopicFilter) {
        let (path, multi) = split_filter(filter.filter());
        let mut trail = Vec::new();
        trail.push(ROOT);
        let mut at = ROOT;
        for level in levels(path) {
            match self.nodes.get(at).and_then(|n| n.child(level)) {
                Some(child) => {
                    trail.push(child);
                    at = child;
                }
                None => return,
            }
        }
        let Some(node) = self.nodes.get_mut(at) else {
            return;
        };
        let subs = if multi {
            &mut node.multi
        } else {
            &mut node.exact
        };
        match filter.share_name() {
            None => {
                subs.plain.remove(&subscriber);
            }
            Some(share) => {
                if let Some(group) = subs.shared.get_mut(share) {
                    group.members.remove(&subscriber);
                    if group.members.is_empty() {
                        let id = group.id;
                        subs.shared.remove(share);
                        self.groups.remove(&id);
                    }
                }
            }
        }
        // From the deepest node up: free each node left empty and unlink it from its parent.
        for (pair, level) in trail.windows(2).rev().zip(levels(path).rev()) {
            let &[parent, child] = pair else { break };
            if !self.nodes.get(child).is_some_and(Node::is_empty) {
                break;
            }
            if let Some(node) = self.nodes.get_mut(parent) {
                if level == "+" {
                    node.plus = None;
                } else {
                    node.literal.remove(level);
                }
            }
            self.free.push(child);
        }
    }

    /// How many trie nodes are in use, the root included.
    #[cfg(test)]
    pub(crate) fn live_nodes(&self) -> usize {
        self.nodes.len() - self.free.len()
    }
}

/// A LIFO stack of `(node, rest of the topic)` that holds its first [`INLINE_STACK`] entries on
/// the call stack and spills the rest to the heap.
struct Stack<'t> {
    inline: [(usize, Option<&'t str>); INLINE_STACK],
    len: usize,
    spill: Vec<(usize, Option<&'t str>)>,
}

impl<'t> Stack<'t> {
    fn new() -> Self {
        Stack {
            inline: [(0, None); INLINE_STACK],
            len: 0,
            spill: Vec::new(),
        }
    }

    fn push(&mut self, entry: (usize, Option<&'t str>)) {
        match self.inline.get_mut(self.len) {
            Some(slot) if self.spill.is_empty() => {
                *slot = entry;
                self.len += 1;
            }
            _ => self.spill.push(entry),
        }
    }

    fn pop(&mut self) -> Option<(usize, Option<&'t str>)> {
        if let Some(entry) = self.spill.pop() {
            return Some(entry);
        }
        self.len = self.len.checked_sub(1)?;
        self.inline.get(self.len).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RetainHandling;
    use alloc::string::String;
    use alloc::vec;

    fn f(s: &str) -> TopicFilter {
        TopicFilter::try_from(s).unwrap()
    }

    fn opts(qos: u8) -> SubscriptionOptions {
        SubscriptionOptions::qos(QoS::from_bits(qos).unwrap())
    }

    /// `(subscriber, qos, retain as published, identifiers)` of each delivery.
    fn deliveries(tree: &SubscriptionTree<u32>, topic: &str) -> Vec<(u32, u8, bool, Vec<u32>)> {
        tree.matches(topic, None)
            .deliveries()
            .map(|d| {
                let ids = d.subscription_identifiers.to_vec();
                (d.subscriber, d.qos as u8, d.retain_as_published, ids)
            })
            .collect()
    }

    fn subscribers(tree: &SubscriptionTree<u32>, topic: &str) -> Vec<u32> {
        tree.matches(topic, None)
            .deliveries()
            .map(|d| d.subscriber)
            .collect()
    }

    #[test]
    fn overlapping_subscriptions_give_one_copy_at_the_highest_qos_mqtt_3_3_4_2_and_3_3_5_1() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/#"), opts(0), None);
        tree.insert(1, f("a/+"), opts(2), None);
        tree.insert(1, f("a/b"), opts(1), None);
        tree.insert(2, f("a/b"), opts(1), None);
        assert_eq!(
            deliveries(&tree, "a/b"),
            [(1, 2, false, vec![]), (2, 1, false, vec![])]
        );
        // Only the matching subscriptions count: `a/+` does not match `a/b/c`.
        assert_eq!(deliveries(&tree, "a/b/c"), [(1, 0, false, vec![])]);
        assert_eq!(tree.matches("a/b", None).subscriptions().len(), 4);
    }

    #[test]
    fn every_matching_identifier_is_included_mqtt_3_3_4_3_and_3_3_4_4() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/#"), opts(0), Some(30));
        tree.insert(1, f("a/+"), opts(0), Some(10));
        tree.insert(1, f("+/b"), opts(0), None);
        tree.insert(1, f("a/b"), opts(0), Some(10)); // the same value twice is sent once
        tree.insert(2, f("a/b"), opts(0), Some(5));
        tree.insert(3, f("#"), opts(0), None);
        assert_eq!(
            deliveries(&tree, "a/b"),
            [
                (1, 0, false, vec![10, 30]),
                (2, 0, false, vec![5]),
                (3, 0, false, vec![])
            ]
        );
        assert_eq!(
            deliveries(&tree, "a"),
            [(1, 0, false, vec![30]), (3, 0, false, vec![])]
        );
    }

    #[test]
    fn one_copy_per_subscription_is_available_with_its_own_identifier_mqtt_3_3_4_5() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/+"), opts(1), Some(1));
        tree.insert(1, f("a/b"), opts(2), Some(2));
        tree.insert(0, f("#"), opts(0), None);
        let m = tree.matches("a/b", None);
        let each: Vec<_> = m
            .subscriptions()
            .iter()
            .map(|s| (s.subscriber, s.options.qos as u8, s.identifier))
            .collect();
        assert_eq!(each.len(), 3);
        assert_eq!(each[0], (0, 0, None));
        let mut of_one = each[1..].to_vec();
        of_one.sort();
        assert_eq!(of_one, [(1, 1, Some(1)), (1, 2, Some(2))]);
    }

    #[test]
    fn identical_filter_replaces_the_subscription_mqtt_3_8_4_3() {
        let mut tree = SubscriptionTree::new();
        assert_eq!(tree.insert(1, f("a/+"), opts(0), Some(1)), None);
        let old = tree.insert(1, f("a/+"), opts(2), Some(2));
        assert_eq!(
            old,
            Some(Subscription {
                options: opts(0),
                identifier: Some(1)
            })
        );
        assert_eq!(tree.len(), 1);
        assert_eq!(deliveries(&tree, "a/x"), [(1, 2, false, vec![2])]);
        assert_eq!(tree.get(1, "a/+").unwrap().identifier, Some(2));
        // Another subscriber's identical filter is its own subscription.
        assert_eq!(tree.insert(2, f("a/+"), opts(0), None), None);
        assert_eq!(tree.len(), 2);
        // A shared subscription to the same filter is a different subscription.
        assert_eq!(tree.insert(1, f("$share/g/a/+"), opts(0), None), None);
        assert_eq!(tree.len(), 3);
        assert_eq!(
            tree.insert(1, f("$share/g/a/+"), opts(1), None)
                .map(|s| s.options),
            Some(opts(0))
        );
        assert_eq!(tree.len(), 3);
    }

    #[test]
    fn no_local_skips_the_publisher_mqtt_3_8_3_3() {
        let mut tree = SubscriptionTree::new();
        let no_local = SubscriptionOptions {
            no_local: true,
            ..opts(1)
        };
        tree.insert(1, f("a/+"), no_local, Some(1));
        tree.insert(1, f("a/#"), opts(0), Some(2));
        tree.insert(2, f("a/b"), no_local, None);
        let copies = |publisher| -> Vec<_> {
            let m = tree.matches("a/b", publisher);
            m.deliveries()
                .map(|d| {
                    (
                        d.subscriber,
                        d.qos as u8,
                        d.subscription_identifiers.to_vec(),
                    )
                })
                .collect()
        };
        // Published by 1: only its subscription without No Local matches, so QoS 0 and id 2.
        assert_eq!(copies(Some(1)), [(1, 0, vec![2]), (2, 1, vec![])]);
        // Published by 2: 2's only subscription has No Local.
        assert_eq!(copies(Some(2)), [(1, 1, vec![1, 2])]);
        assert_eq!(copies(None), [(1, 1, vec![1, 2]), (2, 1, vec![])]);
    }

    #[test]
    fn retain_as_published_is_kept_when_any_matching_subscription_asks_mqtt_3_3_1_12_and_3_3_1_13()
    {
        let mut tree = SubscriptionTree::new();
        let rap = SubscriptionOptions {
            retain_as_published: true,
            ..opts(0)
        };
        tree.insert(1, f("a/+"), rap, None);
        tree.insert(1, f("a/b"), opts(0), None);
        tree.insert(2, f("a/b"), opts(1), None);
        assert_eq!(
            deliveries(&tree, "a/b"),
            [(1, 0, true, vec![]), (2, 1, false, vec![])]
        );
        // Where only the subscription without it matches, the copy has RETAIN 0.
        assert_eq!(tree.remove(1, "a/b").map(|s| s.options), Some(opts(0)));
        assert_eq!(deliveries(&tree, "a/c"), [(1, 0, true, vec![])]);
        tree.insert(1, f("x"), opts(0), None);
        assert_eq!(deliveries(&tree, "x"), [(1, 0, false, vec![])]);
    }

    #[test]
    fn wildcards_do_not_match_dollar_topics_mqtt_4_7_2_1() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("#"), opts(0), None);
        tree.insert(2, f("+/uptime"), opts(0), None);
        tree.insert(3, f("$SYS/#"), opts(0), None);
        tree.insert(4, f("$SYS/+"), opts(0), None);
        tree.insert(5, f("+"), opts(0), None);
        tree.insert(6, f("$share/g/#"), opts(0), None);
        tree.insert(7, f("a/+"), opts(0), None);
        tree.insert(8, f("a/#"), opts(0), None);
        assert_eq!(subscribers(&tree, "$SYS/uptime"), [3, 4]);
        assert!(tree.matches("$SYS/uptime", None).shared().next().is_none());
        assert_eq!(subscribers(&tree, "$SYS"), [3]);
        assert_eq!(subscribers(&tree, "$"), Vec::<u32>::new());
        // Only the first level is special.
        assert_eq!(subscribers(&tree, "a/$x"), [1, 7, 8]);
        assert_eq!(subscribers(&tree, "x/uptime"), [1, 2]);
        assert_eq!(tree.matches("x", None).shared().count(), 1);
    }

    #[test]
    fn multi_level_wildcard_matches_the_parent_level() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/#"), opts(0), None);
        tree.insert(2, f("a/b/#"), opts(0), None);
        tree.insert(3, f("#"), opts(0), None);
        tree.insert(4, f("+/#"), opts(0), None);
        assert_eq!(subscribers(&tree, "a"), [1, 3, 4]);
        assert_eq!(subscribers(&tree, "a/b"), [1, 2, 3, 4]);
        assert_eq!(subscribers(&tree, "a/b/c/d"), [1, 2, 3, 4]);
        assert_eq!(subscribers(&tree, "ab"), [3, 4]);
        assert_eq!(subscribers(&tree, "/"), [3, 4]);
    }

    #[test]
    fn levels_compare_exactly_and_empty_levels_count_mqtt_4_7_3_4() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a//b"), opts(0), None);
        tree.insert(2, f("a/+/b"), opts(0), None);
        tree.insert(3, f("/"), opts(0), None);
        tree.insert(4, f("+/+"), opts(0), None);
        tree.insert(5, f("A/b"), opts(0), None);
        tree.insert(6, f("a/+"), opts(0), None);
        assert_eq!(subscribers(&tree, "a//b"), [1, 2]);
        assert_eq!(subscribers(&tree, "a/b"), [4, 6]);
        assert_eq!(subscribers(&tree, "/"), [3, 4]);
        assert_eq!(subscribers(&tree, "a/"), [4, 6]);
        assert_eq!(subscribers(&tree, "A/b"), [4, 5]);
        assert_eq!(subscribers(&tree, "a/b/"), Vec::<u32>::new());
        assert_eq!(subscribers(&tree, ""), Vec::<u32>::new());
    }

    #[test]
    fn shared_groups_are_answered_apart_by_share_name_and_filter_mqtt_4_8_2_3() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("$share/g/a/+"), opts(1), Some(11));
        tree.insert(2, f("$share/g/a/+"), opts(2), None);
        tree.insert(3, f("$share/h/a/+"), opts(0), None);
        tree.insert(4, f("$share/g/a/#"), opts(0), None);
        tree.insert(1, f("a/b"), opts(0), Some(5)); // and an ordinary subscription of 1
        assert_eq!(tree.group_count(), 3);
        let m = tree.matches("a/b", None);
        assert_eq!(
            m.deliveries().map(|d| d.subscriber).collect::<Vec<_>>(),
            [1]
        );
        let mut groups: Vec<_> = m
            .shared()
            .map(|g| {
                let filter = tree.group_filter(g.group).unwrap();
                let members: Vec<_> = g
                    .members
                    .iter()
                    .map(|s| (s.subscriber, s.options.qos as u8, s.identifier))
                    .collect();
                (String::from(filter.as_str()), members)
            })
            .collect();
        groups.sort();
        assert_eq!(
            groups,
            [
                (String::from("$share/g/a/#"), vec![(4, 0, None)]),
                (
                    String::from("$share/g/a/+"),
                    vec![(1, 1, Some(11)), (2, 2, None)]
                ),
                (String::from("$share/h/a/+"), vec![(3, 0, None)]),
            ]
        );
        // The members as the tree lists them.
        let g = m.shared().find(|g| g.members.len() == 2).unwrap().group;
        assert_eq!(
            tree.group_members(g)
                .map(|s| s.subscriber)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        // A group keeps its id while it has members; a new group never reuses one.
        tree.remove(1, "$share/g/a/+");
        assert_eq!(tree.group_filter(g).unwrap(), "$share/g/a/+");
        tree.remove(2, "$share/g/a/+");
        assert_eq!(tree.group_filter(g), None);
        assert_eq!(tree.group_members(g).count(), 0);
        tree.insert(2, f("$share/g/a/+"), opts(2), None);
        let again = tree.matches("a/b", None);
        let ids: Vec<_> = again.shared().map(|s| s.group).collect();
        assert_eq!(ids.len(), 3);
        assert!(!ids.contains(&g));
    }

    #[test]
    fn removal_and_counts() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/b"), opts(0), None);
        tree.insert(1, f("a/+/c"), opts(1), Some(3));
        tree.insert(1, f("$share/g/#"), opts(0), None);
        tree.insert(2, f("a/b"), opts(0), None);
        assert_eq!((tree.len(), tree.subscriber_count()), (4, 2));
        assert_eq!(tree.subscribers().collect::<Vec<_>>(), [1, 2]);
        let of_one: Vec<_> = tree
            .subscriptions_of(1)
            .map(|(filter, s)| (String::from(filter.as_str()), s.identifier))
            .collect();
        assert_eq!(
            of_one,
            [
                (String::from("$share/g/#"), None),
                (String::from("a/+/c"), Some(3)),
                (String::from("a/b"), None)
            ]
        );
        assert!(tree.subscriptions_of(1).next().unwrap().0.is_shared());
        assert_eq!(tree.remove(1, "a/x"), None);
        assert_eq!(tree.remove(3, "a/b"), None);
        assert_eq!(tree.remove(2, "a/b").map(|s| s.identifier), Some(None));
        assert_eq!(subscribers(&tree, "a/b"), [1]);
        assert_eq!((tree.len(), tree.subscriber_count()), (3, 1));
        assert_eq!(tree.remove_subscriber(1), 3);
        assert_eq!(tree.remove_subscriber(1), 0);
        assert!(tree.is_empty());
        assert_eq!(tree.subscriber_count(), 0);
        assert_eq!(tree.group_count(), 0);
        assert!(tree.matches("a/b", None).is_empty());
        // Every node but the root was freed, and freed nodes are reused.
        assert_eq!(tree.live_nodes(), 1);
        tree.insert(5, f("x/y/z"), opts(0), None);
        assert_eq!(tree.live_nodes(), 4);
        assert_eq!(tree.nodes.len(), 5); // root, a, b, +, c: three reused
    }

    #[test]
    fn removing_keeps_nodes_other_subscriptions_need() {
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f("a/b/c"), opts(0), None);
        tree.insert(1, f("a/b"), opts(0), None);
        tree.insert(1, f("a/b/#"), opts(0), None);
        tree.insert(1, f("a/+/c"), opts(0), None);
        tree.remove(1, "a/b/c");
        assert_eq!(subscribers(&tree, "a/b"), [1]);
        assert_eq!(tree.matches("a/b", None).subscriptions().len(), 2);
        assert_eq!(tree.matches("a/b/c", None).subscriptions().len(), 2);
        tree.remove(1, "a/b/#");
        tree.remove(1, "a/b");
        assert_eq!(subscribers(&tree, "a/b"), Vec::<u32>::new());
        assert_eq!(subscribers(&tree, "a/x/c"), [1]);
        assert_eq!(tree.live_nodes(), 4); // root, a, +, c
        tree.remove(1, "a/+/c");
        assert_eq!(tree.live_nodes(), 1);
    }

    #[test]
    fn retain_handling_is_carried() {
        let mut tree = SubscriptionTree::new();
        let options = SubscriptionOptions {
            retain_handling: RetainHandling::DoNotSend,
            ..opts(1)
        };
        tree.insert(1, f("a"), options, None);
        assert_eq!(tree.matches("a", None).subscriptions()[0].options, options);
    }

    #[test]
    fn deep_topics_use_no_deep_recursion() {
        // A filter of 30,000 `+` levels under `#`-free levels, and a topic of as many levels:
        // matching spills the explicit stack to the heap, and removing prunes every node.
        let levels = 30_000;
        let filter = vec!["+"; levels].join("/");
        let topic = vec!["x"; levels].join("/");
        let mut tree = SubscriptionTree::new();
        tree.insert(1, f(&filter), opts(1), None);
        tree.insert(2, f(&alloc::format!("{topic}/#")), opts(0), None);
        assert_eq!(subscribers(&tree, &topic), [1, 2]);
        assert_eq!(tree.live_nodes(), 2 * levels + 1);
        tree.remove_subscriber(1);
        tree.remove_subscriber(2);
        assert_eq!(tree.live_nodes(), 1);
        drop(tree);
    }

    #[test]
    fn stack_is_lifo_across_the_spill() {
        let mut stack = Stack::new();
        for i in 0..100 {
            stack.push((i, None));
        }
        for i in (0..100).rev() {
            assert_eq!(stack.pop(), Some((i, None)));
        }
        assert_eq!(stack.pop(), None);
    }
}
