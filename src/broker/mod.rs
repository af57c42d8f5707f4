//! The parts of a sans-IO MQTT broker core (feature `broker`).
//!
//! The broker core will own every server session of a broker, the stored sessions of clients that
//! are away, the subscriptions and the retained messages, and route each PUBLISH between them
//! synchronously: one call for the bytes of one connection, output polled per connection, time
//! passed in, no sockets, threads or clock. A complete broker is then a thin I/O loop around it.
//!
//! What exists now are the two data structures that do not depend on sessions:
//!
//! - [`SubscriptionTree`]: every subscription of every subscriber, in a trie of topic levels.
//!   [`SubscriptionTree::matches_into`] answers, for a published topic name, which subscribers
//!   get a copy, at which granted QoS, with which Subscription Identifiers, and which shared
//!   subscription groups get one copy for one of their members. With a reused [`Matches`]
//!   buffer it does not allocate in steady state.
//! - [`RetainedStore`]: the retained message of every topic, in a trie of topic levels too, so
//!   that the retained messages for a new subscription are found without scanning topics the
//!   filter cannot match.
//!
//! Both use `alloc` collections only (`BTreeMap`, `Vec`) and build without `std`. Neither keeps
//! recursion proportional to the number of topic levels: a topic of 65,535 `/` characters is
//! matched, stored and removed with explicit stacks.

pub mod acl;
mod retain;
mod tree;

pub use retain::{RetainedMatches, RetainedMessage, RetainedStore};
pub use tree::{
    Delivery, GroupId, Matches, SharedMatch, Subscription, SubscriptionMatch, SubscriptionTree,
};
