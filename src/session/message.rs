//! The application's side of a message: what it publishes, and the handles it gets back.

use crate::{Bytes, Publish, PublishProperties, QoS, QosPid, TopicName};

/// An application message to publish.
///
/// The topic and payload are `Bytes`-backed and are never copied by the session: the same
/// storage is written to the caller's transmit buffer and, for QoS 1 and 2, kept until the
/// server acknowledges it.
///
/// ```
/// use mqtt_wire::QoS;
/// use mqtt_wire::session::Message;
///
/// let msg = Message::new("sensors/1/temp".try_into()?, "21.5")
///     .qos(QoS::AtLeastOnce)
///     .retain(true);
/// assert_eq!(msg.topic, "sensors/1/temp");
/// # Ok::<(), mqtt_wire::TopicError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic name. The session may send it as a Topic Alias (5.0), never changes it.
    pub topic: TopicName,
    /// The payload.
    pub payload: Bytes,
    /// The quality of service.
    pub qos: QoS,
    /// Whether the server keeps the message as the topic's retained message.
    pub retain: bool,
    /// 5.0 properties. A Topic Alias or Subscription Identifier here is refused: the session
    /// assigns aliases, and only a server sends subscription identifiers ([MQTT-3.3.4-6]).
    pub properties: PublishProperties,
}

impl Message {
    /// A QoS 0, non-retained message without properties.
    pub fn new(topic: TopicName, payload: impl Into<Bytes>) -> Message {
        Message {
            topic,
            payload: payload.into(),
            qos: QoS::AtMostOnce,
            retain: false,
            properties: PublishProperties::default(),
        }
    }

    /// Sets the quality of service.
    #[must_use]
    pub fn qos(mut self, qos: QoS) -> Message {
        self.qos = qos;
        self
    }

    /// Sets the RETAIN flag.
    #[must_use]
    pub fn retain(mut self, retain: bool) -> Message {
        self.retain = retain;
        self
    }

    /// Sets the 5.0 properties.
    #[must_use]
    pub fn properties(mut self, properties: PublishProperties) -> Message {
        self.properties = properties;
        self
    }

    /// The PUBLISH for this message with packet identifier `pid` (ignored for QoS 0).
    pub(crate) fn to_publish(&self, pid: Option<crate::PacketId>, dup: bool) -> Publish {
        Publish {
            dup,
            qos: qos_pid(self.qos, pid),
            retain: self.retain,
            topic: self.topic.clone(),
            properties: self.properties.clone(),
            payload: self.payload.clone(),
        }
    }

    /// The fields of the PUBLISH for this message, borrowed: encoded without a `Publish` made.
    #[inline(always)]
    pub(crate) fn fields(
        &self,
        pid: Option<crate::PacketId>,
        dup: bool,
    ) -> crate::packet::PublishFields<'_> {
        crate::packet::PublishFields {
            dup,
            qos: qos_pid(self.qos, pid),
            retain: self.retain,
            topic: &self.topic,
            properties: &self.properties,
            payload: &self.payload,
        }
    }

    /// As [`Message::to_publish`], consuming the message: no reference count is touched.
    #[cfg(feature = "broker")]
    pub(crate) fn into_publish(self, pid: Option<crate::PacketId>) -> Publish {
        Publish {
            dup: false,
            qos: qos_pid(self.qos, pid),
            retain: self.retain,
            topic: self.topic,
            properties: self.properties,
            payload: self.payload,
        }
    }
}

impl Message {
    /// The message back from a PUBLISH [`Message::into_publish`] made: no reference count is
    /// touched.
    pub(crate) fn from_publish(publish: Publish) -> Message {
        Message {
            topic: publish.topic,
            payload: publish.payload,
            qos: publish.qos.qos(),
            retain: publish.retain,
            properties: publish.properties,
        }
    }
}

fn qos_pid(qos: QoS, pid: Option<crate::PacketId>) -> QosPid {
    match (qos, pid) {
        (QoS::AtLeastOnce, Some(pid)) => QosPid::AtLeastOnce(pid),
        (QoS::ExactlyOnce, Some(pid)) => QosPid::ExactlyOnce(pid),
        _ => QosPid::AtMostOnce,
    }
}

/// The session's name for a message the application published: given by `publish`, returned in
/// the completion event. Increasing, never reused by a session; unrelated to the packet
/// identifier on the wire (assigned when the message is first transmitted, and possibly
/// different for a message sent again after its session was lost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PublishId(pub(crate) u64);

impl PublishId {
    /// The smallest id (the broker's range scans over a session's flows).
    #[cfg(feature = "broker")]
    pub(crate) const MIN: PublishId = PublishId(0);
    /// The largest id.
    #[cfg(feature = "broker")]
    pub(crate) const MAX: PublishId = PublishId(u64::MAX);

    /// The number: 0 for the first message a session was given, then 1, 2, ...
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// A received QoS 1 or 2 message waiting for the application's acknowledgement (manual
/// acknowledgement mode). Valid on the connection the message came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AckToken {
    pub(crate) connection: u64,
    /// Never zero: an `Option<AckToken>` is no larger than the token.
    pub(crate) seq: core::num::NonZeroU64,
}

/// When a received QoS 1 or 2 message is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AckMode {
    /// When the application takes the message's event from `poll_event`.
    #[default]
    Auto,
    /// When the application calls `ack` with the event's token, after it has processed the
    /// message. Acknowledgements still go out in the order the messages arrived
    /// ([MQTT-4.6.0-2], [MQTT-4.6.0-3]): an early `ack` waits for the ones before it.
    Manual,
}
