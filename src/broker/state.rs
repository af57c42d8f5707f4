//! The whole broker as bytes, so a restarted process loses nothing it had accepted.
//!
//! Format (all integers big-endian), version 1:
//!
//! ```text
//! "MQWB" 0x01                              magic and format version
//! next_assigned:u64                        the counter of assigned client identifiers
//! n:u32 { session }*n
//!   session := id_len:u16 client_id
//!              expiry:u64                  milliseconds left (u64::MAX: never expires)
//!              will:u8 [delay:u64 len:u32 PUBLISH]   a will waiting, milliseconds left
//!              m:u32 { len:u32 SUBSCRIBE }*m         one subscription per SUBSCRIBE
//!              len:u32 SessionState                  see `SessionState::export`
//! n:u32 { age:u64 len:u32 PUBLISH }*n      retained messages, with their age in milliseconds
//! ```
//!
//! Messages, wills and subscriptions are MQTT 5.0 packets written and read by this crate's
//! codec. A session whose client was connected at export is stored as if its connection had
//! just been lost: its will (if any) waits for its delay from the import, and its expiry counts
//! from the import.

use alloc::vec::Vec;

use bytes::BufMut;

use super::BrokerConfig;
use super::core::{Broker, Session, SessionKey};
use super::policy::{AllowAll, Identity, Policy};
use super::retain::RetainedMessage;
use crate::session::flow::records::{
    count, get_u16, get_u32, get_u64, read_publish, take, write_publish,
};
use crate::session::{Instant, Message, SessionState, StateError};
use crate::{
    ByteString, Bytes, BytesMut, Decoder, Encoder, Packet, PacketId, Side, Subscribe,
    SubscribeFilters, SubscribeProperties, Version,
};

const MAGIC: &[u8; 4] = b"MQWB";
const FORMAT: u8 = 1;
const NEVER: u64 = u64::MAX;

impl<P: Policy> Broker<P> {
    /// Every session (connected or not: subscriptions, messages queued and in flight, incoming
    /// QoS 2 identifiers, the will and the time left on its delay and on the session's expiry)
    /// and every retained message, as bytes (format in the module source). Import them with
    /// [`Broker::import`] after a restart.
    pub fn export(&self, now: Instant) -> Bytes {
        let now = self.now.max(now);
        let mut out = BytesMut::new();
        out.put_slice(MAGIC);
        out.put_u8(FORMAT);
        out.put_u64(self.next_assigned);
        let sessions: Vec<_> = self.sessions.iter().collect();
        out.put_u32(count(sessions.len()));
        for (&key, s) in sessions {
            let live = s.conn.and_then(|c| self.conn(c)).map(|c| &c.server);
            let (expiry, will, state) = match live {
                Some(server) => {
                    let expiry = server.client().map_or(0, |l| l.session_expiry);
                    let expiry = if expiry == u32::MAX {
                        NEVER
                    } else {
                        u64::from(expiry) * 1000
                    };
                    let will = server.will().map(|w| {
                        let delay = u64::from(w.properties.will_delay_interval().unwrap_or(0));
                        (delay * 1000, crate::session::will_message(w.clone()))
                    });
                    (expiry, will, server.export_state(now))
                }
                None => {
                    let expiry = s
                        .expires_at
                        .map_or(NEVER, |at| millis(at.saturating_duration_since(now)));
                    let will = s.will_at.and_then(|at| {
                        let m = self.wills.get(&(at, key))?;
                        Some((millis(at.saturating_duration_since(now)), m.clone()))
                    });
                    let state = s
                        .detached
                        .as_ref()
                        .map(|d| d.export(now))
                        .unwrap_or_else(|| SessionState::default().export(now));
                    (expiry, will, state)
                }
            };
            out.put_u16(u16::try_from(s.client_id.len()).unwrap_or(u16::MAX));
            out.put_slice(s.client_id.as_bytes());
            out.put_u64(expiry);
            match will {
                Some((delay, message)) => {
                    out.put_u8(1);
                    out.put_u64(delay);
                    write_publish(&mut out, &message.into_publish(Some(PacketId::MIN)));
                }
                None => out.put_u8(0),
            }
            let subs: Vec<_> = self.tree.subscriptions_of(key).collect();
            out.put_u32(count(subs.len()));
            for (filter, sub) in subs {
                let mut props = SubscribeProperties::builder();
                props.subscription_identifier = sub.identifier;
                let packet = Packet::Subscribe(Subscribe {
                    pid: PacketId::MIN,
                    properties: props.build().unwrap_or_default(),
                    filters: SubscribeFilters::new(filter, sub.options),
                });
                let mut bytes = BytesMut::new();
                let _ = Encoder::new(Version::V5).encode(&packet, &mut bytes);
                out.put_u32(count(bytes.len()));
                out.put_slice(&bytes);
            }
            out.put_u32(count(state.len()));
            out.put_slice(&state);
        }
        let retained: Vec<&RetainedMessage> = self.retained.iter().collect();
        out.put_u32(count(retained.len()));
        for m in retained {
            out.put_u64(millis(now.saturating_duration_since(m.stored_at)));
            let message = Message {
                topic: m.topic.clone(),
                payload: m.payload.clone(),
                qos: m.qos,
                retain: true,
                properties: m.properties.clone(),
            };
            write_publish(&mut out, &message.into_publish(Some(PacketId::MIN)));
        }
        out.freeze()
    }
}

fn millis(d: core::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(NEVER - 1)
}

impl Broker<AllowAll> {
    /// A broker from [`export`](Broker::export) bytes, at `now`, allowing everything. Any byte
    /// sequence is either a broker or an error, never a panic.
    pub fn import(config: BrokerConfig, state: &[u8], now: Instant) -> Result<Broker, StateError> {
        Broker::import_with_policy(config, AllowAll, state, now)
    }
}

impl<P: Policy> Broker<P> {
    /// [`Broker::import`] with a policy.
    pub fn import_with_policy(
        config: BrokerConfig,
        policy: P,
        state: &[u8],
        now: Instant,
    ) -> Result<Broker<P>, StateError> {
        let mut b = Broker::with_policy(config, policy);
        b.now = now;
        let mut src = state;
        if take(&mut src, 4)? != MAGIC || take(&mut src, 1)? != [FORMAT] {
            return Err(StateError::UnknownFormat);
        }
        b.next_assigned = get_u64(&mut src)?;
        let mut wills_now = Vec::new();
        for _ in 0..get_u32(&mut src)? {
            let len = usize::from(get_u16(&mut src)?);
            let id = core::str::from_utf8(take(&mut src, len)?)
                .map_err(|_| StateError::Invalid("client identifier not UTF-8"))?;
            let client_id = ByteString::from(id);
            if b.by_client_id.contains_key(&client_id) {
                return Err(StateError::Invalid("client identifier twice"));
            }
            let expiry = get_u64(&mut src)?;
            let will = match take(&mut src, 1)? {
                [0] => None,
                [1] => {
                    let delay = get_u64(&mut src)?;
                    let publish = read_publish(&mut src, Side::Server)?;
                    Some((delay, Message::from_publish(publish)))
                }
                _ => return Err(StateError::Invalid("will flag")),
            };
            let key = SessionKey(b.next_key);
            b.next_key += 1;
            for _ in 0..get_u32(&mut src)? {
                let len = usize::try_from(get_u32(&mut src)?).map_err(|_| StateError::Truncated)?;
                let mut record = BytesMut::from(take(&mut src, len)?);
                let mut decoder = Decoder::new(Version::V5).receiving_from(Side::Client);
                let Ok(Some(Packet::Subscribe(sub))) = decoder.decode(&mut record) else {
                    return Err(StateError::Invalid(
                        "subscription record is not one SUBSCRIBE",
                    ));
                };
                if !record.is_empty() || sub.filters.len() != 1 {
                    return Err(StateError::Invalid(
                        "subscription record is not one SUBSCRIBE",
                    ));
                }
                let identifier = sub.properties.subscription_identifier();
                for (filter, options) in sub.filters.iter() {
                    b.tree.insert(key, filter, options, identifier);
                }
            }
            let len = usize::try_from(get_u32(&mut src)?).map_err(|_| StateError::Truncated)?;
            let state = SessionState::import(take(&mut src, len)?, now)?;
            if expiry == 0 {
                // The session ended with its connection at the restart; only its will is due.
                b.tree.remove_subscriber(key);
                if let Some((_, will)) = will {
                    wills_now.push(will);
                }
                continue;
            }
            let expires_at =
                (expiry != NEVER).then(|| now + core::time::Duration::from_millis(expiry));
            let mut will_at = None;
            if let Some((delay, message)) = will {
                let delay = delay.min(expiry);
                if delay == 0 {
                    wills_now.push(message);
                } else {
                    let at = now + core::time::Duration::from_millis(delay);
                    will_at = Some(at);
                    b.wills.insert((at, key), message);
                }
            }
            if let Some(at) = expires_at {
                b.expiries.insert((at, key));
            }
            b.sessions.insert(
                key,
                Session {
                    client_id: client_id.clone(),
                    identity: Identity::default(),
                    conn: None,
                    detached: Some(alloc::boxed::Box::new(state)),
                    expires_at,
                    will_at,
                },
            );
            b.by_client_id.insert(client_id, key);
        }
        for _ in 0..get_u32(&mut src)? {
            let age = get_u64(&mut src)?;
            let publish = read_publish(&mut src, Side::Server)?;
            if !publish.retain || publish.payload.is_empty() {
                return Err(StateError::Invalid("retained record"));
            }
            let stored_at = Instant::from_millis(now.as_millis().saturating_sub(age));
            b.retained
                .set(RetainedMessage::from_publish(&publish, stored_at));
        }
        if !src.is_empty() {
            return Err(StateError::Truncated);
        }
        b.stats.sessions = b.sessions.len();
        b.stats.subscriptions = b.tree.len();
        b.stats.retained = b.retained.len();
        for will in wills_now {
            b.publish_will(will);
        }
        Ok(b)
    }
}
