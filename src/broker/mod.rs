//! A sans-IO MQTT broker core (feature `broker`).
//!
//! [`Broker`] owns every connection's [`ServerSession`](crate::session::ServerSession), the
//! stored sessions of clients that are away, the subscriptions and the retained messages, and
//! routes each PUBLISH between them synchronously: one call for the bytes of one connection,
//! output polled per connection, time passed in, no sockets, threads or clock. A complete broker
//! is a thin I/O loop around it; a broker with its clients runs inside one deterministic test.
//!
//! Its parts are usable on their own:
//!
//! - [`SubscriptionTree`]: every subscription of every subscriber, in a trie of topic levels.
//!   [`SubscriptionTree::matches_into`] answers, for a published topic name, which subscribers
//!   get a copy, at which granted QoS, with which Subscription Identifiers, and which shared
//!   subscription groups get one copy for one of their members. With a reused [`Matches`]
//!   buffer it does not allocate in steady state.
//! - [`RetainedStore`]: the retained message of every topic, in a trie of topic levels too, so
//!   that the retained messages for a new subscription are found without scanning topics the
//!   filter cannot match.
//! - [`Policy`]: who may connect, publish and subscribe ([`AllowAll`] by default).
//!
//! Everything uses `alloc` collections only (`BTreeMap`, `Vec`) and builds without `std`.

pub mod acl;
mod core;
mod policy;
mod retain;
mod route;
mod sessions;
mod state;
mod stats;
mod tree;

pub use self::core::{Broker, BrokerConfig, BrokerEvent, ConnId};
pub use policy::{AllowAll, ClientInfo, ConnectDecision, ConnectRequest, Policy};
pub use retain::{RetainedMatches, RetainedMessage, RetainedStore};
pub use stats::BrokerStats;
pub use tree::{
    Delivery, GroupId, Matches, SharedMatch, Subscription, SubscriptionMatch, SubscriptionTree,
};
