//! The subscription tree and the retained-message store against naive models: a list of
//! subscriptions matched one by one with `TopicFilter::matches_str`, and a map of topics matched
//! with `topic::matches_literal`. Filters and topics are drawn from a small alphabet of levels
//! (empty levels, `$` levels, `+`, `#`, shared subscriptions) so that they overlap often.

use mqtt_wire::broker::{Matches, RetainedMessage, RetainedStore, SubscriptionTree};
use mqtt_wire::session::Instant;
use mqtt_wire::topic::matches_literal;
use mqtt_wire::{Bytes, PublishProperties, QoS, SubscriptionOptions, TopicFilter, TopicName};
use proptest::prelude::*;
use std::collections::BTreeMap;

const CASES: u32 = 512;

/// Levels of topic names: the empty level, two `$` levels and a few ordinary ones.
const TOPIC_LEVELS: [&str; 6] = ["a", "b", "", "$x", "$SYS", "c"];

fn topic() -> impl Strategy<Value = String> {
    // One empty level would be the empty topic name, which is not a topic: `/` instead.
    prop::collection::vec(prop::sample::select(&TOPIC_LEVELS[..]), 1..5).prop_map(|l| {
        if l == [""] {
            "/".to_owned()
        } else {
            l.join("/")
        }
    })
}

/// A valid filter: levels from the topic alphabet or `+`, perhaps a last `#`, perhaps shared.
fn filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![
        3 => prop::sample::select(&TOPIC_LEVELS[..]),
        2 => Just("+"),
    ];
    (
        prop::collection::vec(level, 0..4),
        any::<bool>(),
        prop::option::weighted(0.2, prop::sample::select(&["g", "h"][..])),
    )
        .prop_map(|(mut levels, multi, share)| {
            if multi || levels.is_empty() {
                levels.push("#");
            }
            // One empty level would be the empty filter, which is invalid: `/` instead.
            let filter = if levels == [""] {
                "/".to_owned()
            } else {
                levels.join("/")
            };
            match share {
                Some(share) => format!("$share/{share}/{filter}"),
                None => filter,
            }
        })
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        subscriber: u8,
        filter: String,
        qos: u8,
        no_local: bool,
        rap: bool,
        id: Option<u32>,
    },
    Remove {
        subscriber: u8,
        filter: String,
    },
    RemoveSubscriber(u8),
    Publish {
        topic: String,
        publisher: Option<u8>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let subscriber = 0u8..5;
    prop_oneof![
        6 => (subscriber.clone(), filter(), 0u8..3, any::<bool>(), any::<bool>(),
              prop::option::of(1u32..5))
            .prop_map(|(subscriber, filter, qos, no_local, rap, id)| Op::Insert {
                subscriber, filter, qos, no_local, rap, id
            }),
        2 => (subscriber.clone(), filter()).prop_map(|(subscriber, filter)| Op::Remove {
            subscriber, filter
        }),
        1 => subscriber.clone().prop_map(Op::RemoveSubscriber),
        6 => (topic(), prop::option::of(subscriber)).prop_map(|(topic, publisher)| Op::Publish {
            topic, publisher
        }),
    ]
}

/// One subscription of the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Sub {
    qos: u8,
    no_local: bool,
    rap: bool,
    id: Option<u32>,
}

/// `(subscriber, qos, retain as published, identifiers)`.
type Copy = (u8, u8, bool, Vec<u32>);
/// `(whole group filter, members as (subscriber, qos, identifier))`.
type Group = (String, Vec<(u8, u8, Option<u32>)>);

/// The model's answer: deliveries, then each matching shared group.
fn model_matches(
    model: &BTreeMap<(u8, String), Sub>,
    topic: &str,
    publisher: Option<u8>,
) -> (Vec<Copy>, Vec<Group>) {
    let mut copies: BTreeMap<u8, (u8, bool, Vec<u32>)> = BTreeMap::new();
    let mut groups: BTreeMap<String, Vec<(u8, u8, Option<u32>)>> = BTreeMap::new();
    for ((subscriber, filter), sub) in model {
        let f = TopicFilter::try_from(filter.as_str()).unwrap();
        if !f.matches_str(topic) || (sub.no_local && publisher == Some(*subscriber)) {
            continue;
        }
        if f.is_shared() {
            groups
                .entry(filter.clone())
                .or_default()
                .push((*subscriber, sub.qos, sub.id));
        } else {
            let copy = copies.entry(*subscriber).or_default();
            copy.0 = copy.0.max(sub.qos);
            copy.1 |= sub.rap;
            copy.2.extend(sub.id);
        }
    }
    let copies = copies
        .into_iter()
        .map(|(k, (qos, rap, mut ids))| {
            ids.sort_unstable();
            ids.dedup();
            (k, qos, rap, ids)
        })
        .collect();
    let groups = groups
        .into_iter()
        .map(|(filter, mut members)| {
            members.sort();
            (filter, members)
        })
        .collect();
    (copies, groups)
}

fn tree_matches(tree: &SubscriptionTree<u8>, out: &Matches<u8>) -> (Vec<Copy>, Vec<Group>) {
    let copies = out
        .deliveries()
        .map(|d| {
            let ids = d.subscription_identifiers.to_vec();
            (d.subscriber, d.qos as u8, d.retain_as_published, ids)
        })
        .collect();
    let mut groups: Vec<Group> = out
        .shared()
        .map(|g| {
            let filter = tree.group_filter(g.group).expect("a matching group exists");
            let members: Vec<_> = g
                .members
                .iter()
                .map(|m| (m.subscriber, m.options.qos as u8, m.identifier))
                .collect();
            let listed: Vec<_> = tree
                .group_members(g.group)
                .map(|m| (m.subscriber, m.options.qos as u8, m.identifier))
                .collect();
            assert!(members.iter().all(|m| listed.contains(m)));
            (filter.as_str().to_owned(), members)
        })
        .collect();
    groups.sort();
    (copies, groups)
}

fn check_counts(tree: &SubscriptionTree<u8>, model: &BTreeMap<(u8, String), Sub>) {
    assert_eq!(tree.len(), model.len());
    let subscribers: Vec<u8> = {
        let mut s: Vec<u8> = model.keys().map(|(k, _)| *k).collect();
        s.dedup();
        s
    };
    assert_eq!(tree.subscribers().collect::<Vec<_>>(), subscribers);
    assert_eq!(tree.subscriber_count(), subscribers.len());
    for k in subscribers {
        let listed: Vec<(String, Sub)> = tree
            .subscriptions_of(k)
            .map(|(f, s)| {
                let sub = Sub {
                    qos: s.options.qos as u8,
                    no_local: s.options.no_local,
                    rap: s.options.retain_as_published,
                    id: s.identifier,
                };
                (f.as_str().to_owned(), sub)
            })
            .collect();
        let expected: Vec<(String, Sub)> = model
            .iter()
            .filter(|((s, _), _)| *s == k)
            .map(|((_, f), sub)| (f.clone(), *sub))
            .collect();
        assert_eq!(listed, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// Every answer of the tree equals the model's after every operation
    /// ([MQTT-3.3.4-2], [MQTT-3.3.4-4], [MQTT-3.8.3-3], [MQTT-3.8.4-3], [MQTT-4.7.2-1],
    /// [MQTT-4.8.2-3]).
    #[test]
    fn subscription_tree_agrees_with_the_model(ops in prop::collection::vec(op(), 1..60)) {
        let mut tree = SubscriptionTree::new();
        let mut model: BTreeMap<(u8, String), Sub> = BTreeMap::new();
        let mut out = Matches::new();
        for op in ops {
            match op {
                Op::Insert { subscriber, filter, qos, no_local, rap, id } => {
                    let options = SubscriptionOptions {
                        no_local,
                        retain_as_published: rap,
                        ..SubscriptionOptions::qos(QoS::from_bits(qos).unwrap())
                    };
                    let sub = Sub { qos, no_local, rap, id };
                    let old = tree.insert(
                        subscriber, TopicFilter::try_from(filter.as_str()).unwrap(), options, id);
                    let expected = model.insert((subscriber, filter), sub);
                    prop_assert_eq!(old.map(|s| (s.options.qos as u8, s.identifier)),
                                    expected.map(|s| (s.qos, s.id)));
                }
                Op::Remove { subscriber, filter } => {
                    let old = tree.remove(subscriber, &filter).map(|s| s.identifier);
                    let expected = model.remove(&(subscriber, filter)).map(|s| s.id);
                    prop_assert_eq!(old, expected);
                }
                Op::RemoveSubscriber(subscriber) => {
                    let before = model.len();
                    model.retain(|(k, _), _| *k != subscriber);
                    prop_assert_eq!(tree.remove_subscriber(subscriber), before - model.len());
                }
                Op::Publish { topic, publisher } => {
                    tree.matches_into(&topic, publisher, &mut out);
                    let got = tree_matches(&tree, &out);
                    let expected = model_matches(&model, &topic, publisher);
                    prop_assert_eq!(got, expected, "topic {:?}", topic);
                    // Each matching non-shared subscription, one by one.
                    let mut each: Vec<_> = out.subscriptions().iter()
                        .map(|s| (s.subscriber, s.options.qos as u8, s.identifier)).collect();
                    each.sort();
                    let mut expected_each: Vec<_> = model.iter()
                        .filter(|((k, f), s)| {
                            let f = TopicFilter::try_from(f.as_str()).unwrap();
                            !f.is_shared() && f.matches_str(&topic)
                                && !(s.no_local && publisher == Some(*k))
                        })
                        .map(|((k, _), s)| (*k, s.qos, s.id)).collect();
                    expected_each.sort();
                    prop_assert_eq!(each, expected_each);
                }
            }
            check_counts(&tree, &model);
        }
        for subscriber in 0..5 {
            tree.remove_subscriber(subscriber);
        }
        prop_assert!(tree.is_empty());
        prop_assert_eq!(tree.group_count(), 0);
    }

    /// Lookups of the store equal the model's: every stored topic the filter matches, in level
    /// order ([MQTT-3.3.1-5], [MQTT-3.3.1-6], [MQTT-3.3.1-7], [MQTT-3.3.1-9], [MQTT-4.7.2-1]).
    #[test]
    fn retained_store_agrees_with_the_model(
        ops in prop::collection::vec(
            (topic(), prop::option::weighted(0.75, "[a-z]{1,3}"), filter()), 1..60),
    ) {
        let mut store = RetainedStore::new();
        let mut model: BTreeMap<String, String> = BTreeMap::new();
        for (topic, payload, filter) in ops {
            let payload = payload.unwrap_or_default();
            let message = RetainedMessage {
                topic: TopicName::try_from(topic.as_str()).unwrap(),
                payload: Bytes::from(payload.clone()),
                qos: QoS::AtMostOnce,
                properties: PublishProperties::default(),
                stored_at: Instant::ZERO,
            };
            let old = store.set(message).map(|m| m.payload);
            let expected = if payload.is_empty() {
                model.remove(&topic)
            } else {
                model.insert(topic.clone(), payload)
            };
            prop_assert_eq!(old, expected.map(Bytes::from));
            prop_assert_eq!(store.len(), model.len());
            let bytes: usize = model.iter().map(|(t, p)| t.len() + p.len()).sum();
            prop_assert_eq!(store.total_bytes(), bytes);

            // The filter part of a shared filter, as a broker looks retained messages up.
            let filter = TopicFilter::try_from(filter.as_str()).unwrap();
            let filter = filter.filter();
            let mut found: Vec<String> =
                store.matching(filter).map(|m| m.topic.as_str().to_owned()).collect();
            // Level by level in byte order: the order of the topics' level lists.
            let mut expected: Vec<String> = model
                .keys()
                .filter(|t| matches_literal(filter, t))
                .cloned()
                .collect();
            expected.sort_by(|a, b| a.split('/').cmp(b.split('/')));
            prop_assert_eq!(&found, &expected, "filter {:?}", filter);
            found.sort();
            found.dedup();
            prop_assert_eq!(found.len(), expected.len());
            for t in model.keys() {
                prop_assert!(store.get(t).is_some());
            }
        }
        let mut all: Vec<String> = store.iter().map(|m| m.topic.as_str().to_owned()).collect();
        all.sort();
        prop_assert_eq!(all, model.keys().cloned().collect::<Vec<_>>());
        for t in model.keys() {
            prop_assert!(store.remove(t).is_some());
        }
        prop_assert!(store.is_empty());
        prop_assert_eq!(store.total_bytes(), 0);
    }
}
