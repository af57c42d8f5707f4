//! The broker workloads, shared by `benches/broker.rs` and `tests/broker_alloc.rs`: 100,000
//! subscriptions and 100,000 retained topics shaped like a building-automation deployment.
//!
//! Topics are `building/{b}/floor/{f}/sensor/{s}` with 100 buildings, 20 floors and 500 sensors
//! per floor (a space of 1,000,000 topics). The subscriptions are:
//!
//! - 10,000 `building/{b}/floor/{f}/sensor/#` (dashboards of one floor: five per floor);
//! - 5,000 `building/+/floor/+/sensor/{s}` (one sensor kind everywhere: ten per sensor id);
//! - 1,000 shared `$share/workers{w}/building/{b}/#` (ten groups per building, workers 0..10);
//! - 84,000 exact topics, drawn at random (a client each).
//!
//! Subscriber keys are distinct per subscription except that every fifth exact subscription
//! belongs to the subscriber of a floor dashboard, so some subscribers hold several.

#![allow(dead_code)]

use mqtt_wire::broker::{RetainedMessage, RetainedStore, SubscriptionTree};
use mqtt_wire::session::Instant;
use mqtt_wire::{Bytes, PublishProperties, QoS, SubscriptionOptions, TopicFilter, TopicName};

pub const BUILDINGS: u32 = 100;
pub const FLOORS: u32 = 20;
pub const SENSORS: u32 = 500;

/// A published topic that matches five floor dashboards, ten sensor-kind subscriptions and
/// one shared group per worker pool of its building.
pub const TYPICAL_TOPIC: &str = "building/42/floor/7/sensor/123";
/// A published topic no subscription matches.
pub const UNMATCHED_TOPIC: &str = "plant/3/line/2/status";

/// A small deterministic generator (SplitMix64), so the workload is the same on every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
}

fn filter(s: String) -> TopicFilter {
    TopicFilter::try_from(s).expect("valid filter")
}

/// The 100,000 subscriptions described in the module documentation: subscriber key, filter,
/// options and Subscription Identifier, in insertion order.
pub fn subscriptions() -> Vec<(u32, TopicFilter, SubscriptionOptions, Option<u32>)> {
    let mut out = Vec::with_capacity(100_000);
    let qos1 = SubscriptionOptions::qos(QoS::AtLeastOnce);
    let qos0 = SubscriptionOptions::qos(QoS::AtMostOnce);
    let mut key = 0u32;
    for b in 0..BUILDINGS {
        for f in 0..FLOORS {
            for _ in 0..5 {
                out.push((
                    key,
                    filter(format!("building/{b}/floor/{f}/sensor/#")),
                    qos1,
                    Some(1),
                ));
                key += 1;
            }
        }
    }
    let dashboards = key;
    for s in 0..SENSORS {
        for _ in 0..10 {
            out.push((
                key,
                filter(format!("building/+/floor/+/sensor/{s}")),
                qos0,
                Some(2),
            ));
            key += 1;
        }
    }
    for b in 0..BUILDINGS {
        for w in 0..10 {
            out.push((
                key,
                filter(format!("$share/workers{w}/building/{b}/#")),
                qos1,
                None,
            ));
            key += 1;
        }
    }
    let mut rng = Rng::new(7);
    let mut exact = 0;
    let mut seen = std::collections::HashSet::new();
    while exact < 84_000 {
        let (b, f, s) = (rng.below(BUILDINGS), rng.below(FLOORS), rng.below(SENSORS));
        let t = format!("building/{b}/floor/{f}/sensor/{s}");
        // Every fifth exact subscription belongs to a dashboard's subscriber.
        let subscriber = if exact % 5 == 0 {
            rng.below(dashboards)
        } else {
            key
        };
        if seen.insert((subscriber, t.clone())) {
            out.push((subscriber, filter(t), qos0, None));
            exact += 1;
            key += 1;
        }
    }
    out
}

/// The 100,000 subscriptions of [`subscriptions`] in a tree.
pub fn subscription_tree() -> SubscriptionTree<u32> {
    let mut tree = SubscriptionTree::new();
    for (key, filter, options, identifier) in subscriptions() {
        tree.insert(key, filter, options, identifier);
    }
    assert_eq!(tree.len(), 100_000);
    tree
}

/// 100,000 retained topics: every `building/{b}/floor/{f}/sensor/{s}` with `s` below 50.
pub fn retained_store() -> RetainedStore {
    let mut store = RetainedStore::new();
    let payload = Bytes::from_static(b"{\"t\":21.5}");
    for b in 0..BUILDINGS {
        for f in 0..FLOORS {
            for s in 0..50 {
                store.set(RetainedMessage {
                    topic: TopicName::try_from(format!("building/{b}/floor/{f}/sensor/{s}"))
                        .expect("valid topic"),
                    payload: payload.clone(),
                    qos: QoS::AtLeastOnce,
                    properties: PublishProperties::default(),
                    stored_at: Instant::ZERO,
                });
            }
        }
    }
    assert_eq!(store.len(), 100_000);
    store
}

/// Filters a new subscription may look retained messages up with, and how many each finds.
pub const RETAINED_FILTERS: [(&str, usize); 5] = [
    ("building/42/floor/7/sensor/+", 50),
    ("building/42/floor/+/sensor/7", 20),
    ("building/+/floor/3/sensor/7", 100),
    ("building/42/#", 1_000),
    ("building/42/floor/7/sensor/7", 1),
];
