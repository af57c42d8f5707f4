//! Topic alias tables (§3.3.2.3.4), one per direction, both rebuilt on every network
//! connection: a mapping never outlives the connection it was made on.

use alloc::vec::Vec;

use crate::{Publish, PublishProperties, ReasonCode, Side, TopicName};

/// The aliases the peer set on this connection: index `alias - 1`.
#[derive(Debug, Default)]
pub(crate) struct InboundAliases {
    /// Index `alias - 1`; grown to the highest alias set, so that a connection that uses none
    /// holds none.
    slots: Vec<Option<TopicName>>,
    /// The Topic Alias Maximum this side announced.
    maximum: u16,
    /// This side is the server (the rules broken are named from the receiver's side).
    server: bool,
}

impl InboundAliases {
    /// A table for the Topic Alias Maximum `receiver` announced.
    pub(crate) fn new(maximum: u16, receiver: Side) -> InboundAliases {
        InboundAliases {
            slots: Vec::new(),
            maximum,
            server: receiver == Side::Server,
        }
    }

    /// Replaces a Topic Alias by its topic, or records a new mapping; the rule broken otherwise.
    pub(crate) fn resolve(
        &mut self,
        publish: &mut Publish,
    ) -> Result<(), (ReasonCode, &'static str)> {
        let Some(alias) = publish.properties.topic_alias() else {
            return Ok(());
        };
        // [MQTT-3.1.2-26] / [MQTT-3.3.2-11] (client's maximum), [MQTT-3.2.2-17] /
        // [MQTT-3.3.2-9] (server's): within the maximum this side announced (0 when it
        // announced none, [MQTT-3.1.2-27] / [MQTT-3.2.2-18]); every alias up to it is accepted
        // ([MQTT-3.3.2-10], [MQTT-3.3.2-12]).
        let empty = self.maximum == 0;
        let Some(index) = usize::from(alias)
            .checked_sub(1)
            .filter(|&i| i < usize::from(self.maximum))
        else {
            let rule = match (self.server, empty) {
                (false, true) => "[MQTT-3.1.2-27] Topic Alias when the client announced none",
                (false, false) => {
                    "[MQTT-3.1.2-26] Topic Alias above the client's Topic Alias Maximum"
                }
                (true, true) => "[MQTT-3.2.2-18] Topic Alias when the server announced none",
                (true, false) => {
                    "[MQTT-3.2.2-17] Topic Alias above the server's Topic Alias Maximum"
                }
            };
            return Err((ReasonCode::TOPIC_ALIAS_INVALID, rule));
        };
        if publish.topic.is_empty() {
            match self.slots.get(index).and_then(Option::as_ref) {
                Some(topic) => {
                    publish.topic = topic.clone();
                    Ok(())
                }
                // §3.3.2.3.4: an alias with an empty topic must have been set on this
                // connection.
                None => Err((
                    ReasonCode::PROTOCOL_ERROR,
                    "§3.3.2.3.4 Topic Alias not set on this connection",
                )),
            }
        } else {
            if self.slots.len() <= index {
                self.slots.resize(index + 1, None);
            }
            if let Some(slot) = self.slots.get_mut(index) {
                *slot = Some(publish.topic.clone());
            }
            Ok(())
        }
    }
}

/// The aliases this side set on this connection, assigned least-recently-used within the
/// peer's Topic Alias Maximum.
#[derive(Debug, Default)]
pub(crate) struct OutboundAliases {
    /// Index `alias - 1`.
    slots: Vec<OutAlias>,
    /// Aliases allowed on this connection (our policy and the peer's maximum); 0 = off.
    max: u16,
    /// A counter for least-recently-used ordering.
    clock: u64,
}

#[derive(Debug)]
struct OutAlias {
    topic: TopicName,
    /// A property block holding only this Topic Alias: shared by every PUBLISH without other
    /// properties, so aliasing them allocates nothing.
    properties: PublishProperties,
    last_used: u64,
}

/// How to take back an alias assignment whose PUBLISH was not sent.
#[derive(Debug)]
pub(crate) enum AliasUndo {
    /// The topic had its alias already, or none was given.
    Nothing,
    /// A new alias was added at the end of the table.
    Pushed,
    /// The alias at `index` belonged to `topic`.
    Replaced { index: usize, topic: TopicName },
}

impl OutboundAliases {
    /// A table allowing `max` aliases (0: none are sent).
    pub(crate) fn new(max: u16) -> OutboundAliases {
        OutboundAliases {
            slots: Vec::new(),
            max,
            clock: 0,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.max > 0
    }

    /// `publish` with a topic alias (§3.3.2.3.4): the topic's alias alone when it has one on
    /// this connection, else the topic and a new (or the least recently used) alias. Resends
    /// never come here: they carry the full topic.
    pub(crate) fn apply(&mut self, mut publish: Publish) -> (Publish, AliasUndo) {
        let max = self.max;
        if max == 0 {
            return (publish, AliasUndo::Nothing);
        }
        self.clock += 1;
        let clock = self.clock;
        let table = &mut self.slots;
        let (index, undo) = match table.iter().position(|a| a.topic == publish.topic) {
            Some(i) => (i, AliasUndo::Nothing),
            None if table.len() < usize::from(max) => {
                let alias = u16::try_from(table.len() + 1).unwrap_or(max);
                let Ok(properties) = PublishProperties::<crate::Bytes>::default()
                    .edit()
                    .topic_alias(Some(alias))
                    .build()
                else {
                    return (publish, AliasUndo::Nothing);
                };
                table.push(OutAlias {
                    topic: publish.topic.clone(),
                    properties,
                    last_used: clock,
                });
                (table.len() - 1, AliasUndo::Pushed)
            }
            None => {
                let Some(i) = table
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, a)| a.last_used)
                    .map(|(i, _)| i)
                else {
                    return (publish, AliasUndo::Nothing);
                };
                let Some(slot) = table.get_mut(i) else {
                    return (publish, AliasUndo::Nothing);
                };
                let topic = core::mem::replace(&mut slot.topic, publish.topic.clone());
                (i, AliasUndo::Replaced { index: i, topic })
            }
        };
        let known = matches!(undo, AliasUndo::Nothing);
        let Some(slot) = table.get_mut(index) else {
            return (publish, AliasUndo::Nothing);
        };
        slot.last_used = clock;
        let alias = u16::try_from(index + 1).unwrap_or(max);
        // A message without properties shares the alias-only block (no allocation); one with
        // its own gets a new block with the alias added.
        let properties = if publish.properties.is_empty() {
            slot.properties.clone()
        } else {
            match publish.properties.edit().topic_alias(Some(alias)).build() {
                Ok(p) => p,
                Err(_) => {
                    self.undo(undo);
                    return (publish, AliasUndo::Nothing);
                }
            }
        };
        publish.properties = properties;
        if known {
            publish.topic = TopicName::empty_for_alias();
        }
        (publish, undo)
    }

    /// A PUBLISH that was given an alias could not be sent: the peer never saw the mapping, so
    /// the table goes back to what the peer knows.
    pub(crate) fn undo(&mut self, undo: AliasUndo) {
        match undo {
            AliasUndo::Nothing => {}
            AliasUndo::Pushed => {
                self.slots.pop();
            }
            AliasUndo::Replaced { index, topic } => {
                if let Some(slot) = self.slots.get_mut(index) {
                    slot.topic = topic;
                }
            }
        }
    }
}
