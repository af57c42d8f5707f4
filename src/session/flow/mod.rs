//! The machinery both sides of a connection share: MQTT's QoS flows are symmetric, so the
//! client and server sessions own the same sender ([`Outbox`]) and receiver ([`Inbox`]) and
//! differ only in the handshake, the timers and what they tell the application.
//!
//! - [`Outbox`]: messages queued, packet identifiers (one pool for PUBLISH, SUBSCRIBE and
//!   UNSUBSCRIBE), the send quota from the peer's Receive Maximum, messages in flight and
//!   their resends, outbound topic aliases.
//! - [`Inbox`]: QoS 2 exactly once, acknowledgements in arrival order (automatic or by the
//!   application), our Receive Maximum, inbound topic aliases.
//! - [`encode_control`]: control packets trimmed of their diagnostics to the peer's limits.

mod alias;
mod control;
mod inbox;
mod outbox;
pub(crate) mod records;

pub(crate) use control::encode_control;
pub(crate) use inbox::{Inbox, Received};
pub(crate) use outbox::{Outbox, Outgoing, Pending, PubRecOutcome, queued_size};
