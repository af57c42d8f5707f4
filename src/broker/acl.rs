//! [`AclFile`]: topic access rules in the format of mosquitto's `acl_file`, parsed and evaluated.
//!
//! # The format
//!
//! One rule a line; blank lines and lines whose first non-blank character is `#` are ignored;
//! spaces and tabs around a line are ignored.
//!
//! ```text
//! topic [read|write|readwrite|deny] <filter>
//! user <username>
//! pattern [read|write|readwrite|deny] <filter>
//! ```
//!
//! - `topic` grants (or, with `deny`, refuses) access to the topics `<filter>` matches. Without
//!   an access keyword the grant is `readwrite`. `<filter>` is the rest of the line, so it may
//!   contain spaces, but then the access keyword must be given: `topic my topic` is an unknown
//!   access `my`, `topic read my topic` reads `my topic`.
//! - `topic` lines before the first `user` line are for anonymous clients (connected without a
//!   username) only. `user <username>` starts the section of that user (the username is the
//!   rest of the line and may contain spaces); the `topic` lines after it, up to the next
//!   `user` line, are for clients with exactly that username. Two sections of one user add up.
//! - `pattern` lines are for every client, wherever they stand in the file. In their filter
//!   `%c` stands for the client identifier and `%u` for the username; a pattern that uses `%u`
//!   does not apply to a client without a username.
//!
//! A file that parses gives every client only what it grants: a topic no rule grants is
//! refused, and an empty file refuses everything.
//!
//! # Evaluation
//!
//! [`AclFile::allows`] decides for one topic name, one client and one [`Access`]:
//!
//! 1. Two rules of mosquitto's that come before its `acl_file` (and so are applied here too):
//!    a topic that begins with `$SYS` is never writable, except
//!    `$SYS/broker/connection/+/state` (which bridges write); a topic that begins with `$share`
//!    is neither readable nor writable.
//! 2. A `deny` rule that matches the topic refuses it: a `topic deny` of the client's section
//!    or a `pattern deny` (see below for the client identifiers and usernames a pattern cannot
//!    safely use).
//! 3. Otherwise a grant that matches the topic and covers the access allows it: a `topic`
//!    grant of the client's section (the anonymous one when it has no username), or a
//!    `pattern` grant.
//! 4. Otherwise the access is refused.
//!
//! Matching is that of subscriptions ([`matches_literal`], §4.7
//! of MQTT 5.0 and 3.1.1): `+` is one level, `#` the parent level and everything below, and a
//! filter that begins with a wildcard does not match a topic that begins with `$`
//! ([MQTT-4.7.2-1]): `topic read #` does not grant `$SYS/broker/uptime`; `topic read $SYS/#`
//! does.
//!
//! ## Patterns and client-chosen names
//!
//! A client chooses its identifier and, where no password file checks it, its username. Put
//! into a pattern they could widen it: the identifier `#` turns `devices/%c/#` into
//! `devices/#/#`, the identifier `alice/private` turns `devices/%c/#` into a subtree of
//! `devices/alice`, and the identifier `$SYS` turns `%c/#` into `$SYS/#`. So:
//!
//! - as in mosquitto, no pattern grants anything to a client whose identifier or username
//!   contains `+` or `#`, whether the pattern uses it or not;
//! - a value substituted for `%c` or `%u` must also be non-empty and free of `/`, and must not
//!   begin with `$` where it starts the filter: a pattern that would need a value that is not
//!   safe grants nothing to that client;
//! - a `pattern deny` that would substitute a value that is not safe refuses that client
//!   everything: the rule cannot be evaluated, so it fails closed.
//!
//! # Where this differs from mosquitto 2.0
//!
//! The aim is that a mosquitto `acl_file` means the same here, and where it cannot, the
//! difference refuses rather than grants:
//!
//! - Mosquitto 2.0 checks the client's `topic` rules (its `deny` rules first) and grants when
//!   one matches, before it looks at any pattern; so a `pattern deny` does not take away what a
//!   `topic` line grants. Here every `deny` that matches refuses.
//! - Mosquitto 2.0 substitutes an identifier or username that contains `/`, is empty, or begins
//!   with `$` as it is. Here the patterns that would use it grant nothing (and a `pattern deny`
//!   that would use it refuses everything), as described above.
//! - Mosquitto 2.0 replaces `%c` and `%u` wherever they occur (`device_%c` too), as here,
//!   though its manual asks for them to be a whole level.
//! - Mosquitto 2.0 reads `topic read` (one word after `topic`) as a grant of the topic `read`;
//!   here a rule whose only word is an access keyword is an error ([`AclErrorKind::MissingFilter`]).
//!   Mosquitto separates words by spaces only and takes `#` as a comment only in the first
//!   column; here tabs separate too, and indented comments are comments.
//!
//! # Subscriptions
//!
//! Mosquitto 2.0 does not check a SUBSCRIBE against its `acl_file` (every filter is granted);
//! it checks each message's topic for `read` when it is about to deliver it, retained messages
//! included. [`AclFile::allows`] with [`Access::Read`] is that check. [`AclFile::allows_subscribe`]
//! is a stricter check of the filter itself, in the manner of later mosquitto versions'
//! `mosquitto_sub_matches_acl`: a filter is allowed when a read grant covers every topic it can
//! match and no `deny` rule covers it. A broker that refuses a SUBSCRIBE on it still checks
//! each delivery, since a `deny` that covers part of a filter (`topic deny secret/#` under a
//! subscription to `#`) only withholds those messages.

use crate::topic::{TopicError, check_filter, matches_literal};
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::str::FromStr;

/// What a client wants to do with a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Receive the messages published to it (and so subscribe to it).
    Read,
    /// Publish to it.
    Write,
}

/// The access keyword of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    Read,
    Write,
    ReadWrite,
    Deny,
}

impl Grant {
    fn parse(word: &str) -> Option<Grant> {
        match word {
            "read" => Some(Grant::Read),
            "write" => Some(Grant::Write),
            "readwrite" => Some(Grant::ReadWrite),
            "deny" => Some(Grant::Deny),
            _ => None,
        }
    }

    fn covers(self, access: Access) -> bool {
        matches!(
            (self, access),
            (Grant::ReadWrite, _) | (Grant::Read, Access::Read) | (Grant::Write, Access::Write)
        )
    }
}

/// A `topic` rule.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    grant: Grant,
    filter: String,
}

/// A `pattern` rule, with what it substitutes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    grant: Grant,
    filter: String,
    /// It contains `%c`.
    uses_client_id: bool,
    /// It contains `%u`.
    uses_username: bool,
    /// It begins with `%c` (`Some(false)`) or `%u` (`Some(true)`).
    leading_username: Option<bool>,
}

/// One piece of a pattern's filter, read left to right: `%c`, `%u` or any other character.
enum Piece<'a> {
    ClientId,
    Username,
    Text(&'a str),
}

/// The pieces of `filter`: every `%c` and `%u`, and the text between them. A `%` not followed by
/// `c` or `u` is text.
fn pieces(filter: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = filter;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if let Some(after) = rest.strip_prefix("%c") {
            rest = after;
            return Some(Piece::ClientId);
        }
        if let Some(after) = rest.strip_prefix("%u") {
            rest = after;
            return Some(Piece::Username);
        }
        // Up to the next `%` that is not the first character (which was not a substitution).
        let end = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == '%')
            .map_or(rest.len(), |(i, _)| i);
        let (text, after) = rest.split_at(end);
        rest = after;
        Some(Piece::Text(text))
    })
}

impl Pattern {
    fn new(grant: Grant, filter: String) -> Pattern {
        let mut uses_client_id = false;
        let mut uses_username = false;
        for piece in pieces(&filter) {
            match piece {
                Piece::ClientId => uses_client_id = true,
                Piece::Username => uses_username = true,
                Piece::Text(_) => {}
            }
        }
        let leading_username = match pieces(&filter).next() {
            Some(Piece::ClientId) => Some(false),
            Some(Piece::Username) => Some(true),
            _ => None,
        };
        Pattern {
            grant,
            filter,
            uses_client_id,
            uses_username,
            leading_username,
        }
    }

    /// Whether and how this pattern applies to `client`.
    fn applies<'a>(&self, client: &Client<'a>) -> Applies<'a> {
        let username = match (self.uses_username, client.username) {
            // A pattern with `%u` is not for a client without a username.
            (true, None) => return Applies::No,
            (_, username) => username.unwrap_or_default(),
        };
        let unsafe_value = |value: &str, leading: bool| {
            value.is_empty()
                || value.contains(['/', '+', '#'])
                || (leading && value.starts_with('$'))
        };
        let id_safe =
            !self.uses_client_id || !unsafe_value(client.id, self.leading_username == Some(false));
        let username_safe =
            !self.uses_username || !unsafe_value(username, self.leading_username == Some(true));
        if id_safe && username_safe {
            Applies::Yes(Values {
                client_id: client.id,
                username,
            })
        } else {
            Applies::Unsafe
        }
    }
}

/// The client an access is checked for.
struct Client<'a> {
    id: &'a str,
    username: Option<&'a str>,
}

impl Client<'_> {
    /// Whether patterns may grant this client anything: not when its identifier or username
    /// contains `+` or `#` (mosquitto's rule, whether or not a pattern uses them).
    fn may_use_patterns(&self) -> bool {
        let wildcard = |s: &str| s.contains(['+', '#']);
        !wildcard(self.id) && !self.username.is_some_and(wildcard)
    }
}

/// The values a pattern substitutes.
#[derive(Clone, Copy)]
struct Values<'a> {
    client_id: &'a str,
    username: &'a str,
}

/// Whether a pattern applies to a client.
enum Applies<'a> {
    /// Yes, with these values.
    Yes(Values<'a>),
    /// No: it uses `%u` and the client has no username.
    No,
    /// It would substitute a value that could widen it (see the module documentation).
    Unsafe,
}

/// Whether the level `rule` of a pattern, with `%c` and `%u` replaced by `values`, equals
/// `level`. Compares in place, without building the replaced text.
fn level_equals(rule: &str, level: &str, values: Values<'_>) -> bool {
    let mut rest = level;
    for piece in pieces(rule) {
        let text = match piece {
            Piece::ClientId => values.client_id,
            Piece::Username => values.username,
            Piece::Text(text) => text,
        };
        match rest.strip_prefix(text) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

/// The §4.7 matching of `topic` against a pattern's `filter` with `values` substituted: the
/// rules of [`matches_literal`], one level of the filter compared by [`level_equals`]. The safe
/// values (no `/`, `+` or `#`) keep the levels of the substituted filter those of `filter`.
fn pattern_matches(filter: &str, topic: &str, values: Values<'_>) -> bool {
    if topic.is_empty() {
        return false;
    }
    // [MQTT-4.7.2-1]: a filter that begins with a wildcard does not match a `$` topic.
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(rule), Some(level)) if level_equals(rule, level, values) => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Whether every topic name the filter `sub` matches is matched by the rule filter `rule` (with
/// `values` substituted when it is a pattern).
///
/// Level by level: `#` in the rule covers whatever is left of `sub` (nothing included: `a/#`
/// covers `a`); `#` in `sub` is covered only by `#`; `+` in the rule covers any level of `sub`
/// but `#`; `+` in `sub` only by `+`; other levels must be equal. A `sub` that begins with `$`
/// is not covered by a rule that begins with a wildcard ([MQTT-4.7.2-1]).
fn covers(rule: &str, sub: &str, values: Option<Values<'_>>) -> bool {
    if sub.starts_with('$') && rule.starts_with(['+', '#']) {
        return false;
    }
    let mut rule_levels = rule.split('/');
    let mut sub_levels = sub.split('/');
    loop {
        match (rule_levels.next(), sub_levels.next()) {
            (Some("#"), _) => return true,
            (Some(_), Some("#")) => return false,
            (Some("+"), Some(_)) => {}
            (Some(_), Some("+")) => return false,
            (Some(a), Some(b)) => {
                let equal = match values {
                    Some(values) => level_equals(a, b, values),
                    None => a == b,
                };
                if !equal {
                    return false;
                }
            }
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// What is wrong with a line of an ACL file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AclErrorKind {
    /// The line begins with a word other than `topic`, `pattern` and `user`.
    #[error("unknown keyword `{0}` (expected `topic`, `pattern` or `user`)")]
    UnknownKeyword(String),
    /// The word after `topic` or `pattern` is not an access keyword, and a filter follows it.
    #[error("unknown access `{0}` (expected `read`, `write`, `readwrite` or `deny`)")]
    UnknownAccess(String),
    /// `topic` or `pattern` with no filter: nothing after the keyword, or only an access
    /// keyword.
    #[error("`{0}` rule without a topic filter")]
    MissingFilter(&'static str),
    /// `user` with nothing after it.
    #[error("`user` without a username")]
    MissingUsername,
    /// The filter is not a valid MQTT topic filter: a misplaced `+` or `#`, U+0000, or more than
    /// 65,535 bytes (§4.7).
    #[error("invalid topic filter `{filter}`: {error}")]
    InvalidFilter {
        /// The filter as written.
        filter: String,
        /// What is wrong with it.
        error: TopicError,
    },
}

/// Why an ACL file could not be parsed: the line (counted from 1) and what is wrong with it.
///
/// ```
/// use mqtt_wire::broker::acl::{AclErrorKind, AclFile};
///
/// let error = AclFile::parse("user alice\ntopic reed sensors/#\n").unwrap_err();
/// assert_eq!(error.line(), 2);
/// assert_eq!(error.kind(), &AclErrorKind::UnknownAccess("reed".into()));
/// assert_eq!(
///     error.to_string(),
///     "line 2: unknown access `reed` (expected `read`, `write`, `readwrite` or `deny`)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct AclError {
    line: usize,
    kind: AclErrorKind,
}

impl AclError {
    /// The line, counted from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong with it.
    pub fn kind(&self) -> &AclErrorKind {
        &self.kind
    }
}

/// The topic access rules of a mosquitto `acl_file`: which client may read and write which
/// topics. The module documentation describes the format and the evaluation.
///
/// ```
/// use mqtt_wire::broker::acl::{Access, AclFile};
///
/// let acl = AclFile::parse(
///     "# anonymous clients\n\
///      topic read public/#\n\
///      \n\
///      user alice\n\
///      topic readwrite home/#\n\
///      topic deny home/secret\n\
///      \n\
///      pattern write devices/%c/status\n",
/// )?;
/// // Anonymous clients read `public/...` and nothing else.
/// assert!(acl.allows("c1", None, "public/news", Access::Read));
/// assert!(!acl.allows("c1", None, "public/news", Access::Write));
/// // Alice's section, where `deny` wins over the grant.
/// assert!(acl.allows("c2", Some("alice"), "home/kitchen", Access::Write));
/// assert!(!acl.allows("c2", Some("alice"), "home/secret", Access::Read));
/// // The pattern, for every client with its own identifier.
/// assert!(acl.allows("pump-7", Some("alice"), "devices/pump-7/status", Access::Write));
/// assert!(!acl.allows("pump-7", Some("alice"), "devices/pump-8/status", Access::Write));
/// // A subscription is checked against the read grants.
/// assert!(acl.allows_subscribe("c2", Some("alice"), "home/+/temperature"));
/// assert!(!acl.allows_subscribe("c1", None, "#"));
/// # Ok::<(), mqtt_wire::broker::acl::AclError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AclFile {
    /// The `topic` rules before the first `user` line.
    anonymous: Vec<Rule>,
    /// The `topic` rules of each user's sections.
    users: BTreeMap<String, Vec<Rule>>,
    /// Every `pattern` rule.
    patterns: Vec<Pattern>,
}

/// Whether `c` separates words: a space or a tab.
fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

impl AclFile {
    /// Parses the text of an ACL file (see the module documentation for the format).
    ///
    /// Fails on the first line that is not a comment, a blank line, a `topic`, `pattern` or
    /// `user` rule, with its number; a filter must be a valid topic filter.
    pub fn parse(text: &str) -> Result<AclFile, AclError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut acl = AclFile::default();
        // `None` until the first `user` line: the anonymous section.
        let mut user: Option<String> = None;
        for (index, line) in text.lines().enumerate() {
            let error = |kind| AclError {
                line: index.saturating_add(1),
                kind,
            };
            let line = line.trim_ascii();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (keyword, rest) = line.split_once(is_blank).unwrap_or((line, ""));
            let rest = rest.trim_start_matches(is_blank);
            match keyword {
                "user" => {
                    if rest.is_empty() {
                        return Err(error(AclErrorKind::MissingUsername));
                    }
                    user = Some(rest.to_string());
                }
                "topic" | "pattern" => {
                    let keyword = if keyword == "topic" {
                        "topic"
                    } else {
                        "pattern"
                    };
                    let (grant, filter) = match rest.split_once(is_blank) {
                        Some((word, filter)) => {
                            let grant = Grant::parse(word)
                                .ok_or_else(|| error(AclErrorKind::UnknownAccess(word.into())))?;
                            (grant, filter.trim_start_matches(is_blank))
                        }
                        // One word: the filter, read and write; unless it is an access keyword
                        // (mosquitto would grant a topic named `read`, surely not what was meant).
                        None if rest.is_empty() || Grant::parse(rest).is_some() => {
                            return Err(error(AclErrorKind::MissingFilter(keyword)));
                        }
                        None => (Grant::ReadWrite, rest),
                    };
                    check_filter(filter, false).map_err(|e| {
                        error(AclErrorKind::InvalidFilter {
                            filter: filter.into(),
                            error: e,
                        })
                    })?;
                    if keyword == "pattern" {
                        acl.patterns.push(Pattern::new(grant, filter.into()));
                    } else {
                        let rule = Rule {
                            grant,
                            filter: filter.into(),
                        };
                        match &user {
                            None => acl.anonymous.push(rule),
                            Some(name) => acl.users.entry(name.clone()).or_default().push(rule),
                        }
                    }
                }
                other => return Err(error(AclErrorKind::UnknownKeyword(other.into()))),
            }
        }
        Ok(acl)
    }

    /// The `topic` rules for a client with `username` (`None`: an anonymous client).
    fn section(&self, username: Option<&str>) -> &[Rule] {
        match username {
            None => &self.anonymous,
            Some(name) => self.users.get(name).map_or(&[], Vec::as_slice),
        }
    }

    /// Whether the client `client_id`, connected with `username` (`None` without one), may
    /// read or write the topic name `topic`: the evaluation of the module documentation.
    ///
    /// For [`Access::Read`] this is the check of each message before it is delivered to a
    /// subscriber (retained messages included). A `topic` that is not a topic name (empty, or
    /// with `+` or `#`) is refused.
    pub fn allows(
        &self,
        client_id: &str,
        username: Option<&str>,
        topic: &str,
        access: Access,
    ) -> bool {
        if topic.is_empty() || topic.contains(['+', '#']) {
            return false;
        }
        // Mosquitto's rules for `$` topics, which come before its acl_file: `$SYS` is the
        // broker's to write (a bridge's connection state apart), `$share` is no topic.
        if access == Access::Write
            && topic.starts_with("$SYS")
            && !matches_literal("$SYS/broker/connection/+/state", topic)
        {
            return false;
        }
        if topic.starts_with("$share") {
            return false;
        }
        let client = Client {
            id: client_id,
            username,
        };
        let section = self.section(username);
        let denied_by_topic = section
            .iter()
            .any(|rule| rule.grant == Grant::Deny && matches_literal(&rule.filter, topic));
        if denied_by_topic {
            return false;
        }
        for pattern in self.patterns.iter().filter(|p| p.grant == Grant::Deny) {
            match pattern.applies(&client) {
                Applies::Unsafe => return false,
                Applies::Yes(values) if pattern_matches(&pattern.filter, topic, values) => {
                    return false;
                }
                Applies::Yes(_) | Applies::No => {}
            }
        }
        let granted_by_topic = section
            .iter()
            .any(|rule| rule.grant.covers(access) && matches_literal(&rule.filter, topic));
        granted_by_topic
            || client.may_use_patterns()
                && self
                    .patterns
                    .iter()
                    .filter(|pattern| pattern.grant.covers(access))
                    .any(|pattern| match pattern.applies(&client) {
                        Applies::Yes(values) => pattern_matches(&pattern.filter, topic, values),
                        Applies::No | Applies::Unsafe => false,
                    })
    }

    /// Whether the client `client_id`, connected with `username`, may subscribe to `filter`:
    /// a `read` or `readwrite` grant covers every topic name `filter` can match, and no `deny`
    /// rule does (see "Subscriptions" in the module documentation).
    ///
    /// `filter` is what the subscription matches topics against: for a 5.0 shared subscription
    /// `$share/{ShareName}/{filter}`, the part after the share name
    /// ([`TopicFilter::filter`](crate::TopicFilter::filter)). An invalid filter is refused.
    ///
    /// ```
    /// use mqtt_wire::broker::acl::AclFile;
    ///
    /// let acl = AclFile::parse("topic read $SYS/broker/#\ntopic read sensors/+/temp\n")?;
    /// assert!(acl.allows_subscribe("c", None, "$SYS/broker/clients/#"));
    /// assert!(!acl.allows_subscribe("c", None, "$SYS/#"));
    /// assert!(acl.allows_subscribe("c", None, "sensors/+/temp"));
    /// assert!(!acl.allows_subscribe("c", None, "sensors/#"));
    /// # Ok::<(), mqtt_wire::broker::acl::AclError>(())
    /// ```
    pub fn allows_subscribe(&self, client_id: &str, username: Option<&str>, filter: &str) -> bool {
        if check_filter(filter, false).is_err() {
            return false;
        }
        let client = Client {
            id: client_id,
            username,
        };
        let section = self.section(username);
        let denied_by_topic = section
            .iter()
            .any(|rule| rule.grant == Grant::Deny && covers(&rule.filter, filter, None));
        if denied_by_topic {
            return false;
        }
        for pattern in self.patterns.iter().filter(|p| p.grant == Grant::Deny) {
            match pattern.applies(&client) {
                Applies::Unsafe => return false,
                Applies::Yes(values) if covers(&pattern.filter, filter, Some(values)) => {
                    return false;
                }
                Applies::Yes(_) | Applies::No => {}
            }
        }
        let granted_by_topic = section
            .iter()
            .any(|rule| rule.grant.covers(Access::Read) && covers(&rule.filter, filter, None));
        granted_by_topic
            || client.may_use_patterns()
                && self
                    .patterns
                    .iter()
                    .filter(|pattern| pattern.grant.covers(Access::Read))
                    .any(|pattern| match pattern.applies(&client) {
                        Applies::Yes(values) => covers(&pattern.filter, filter, Some(values)),
                        Applies::No | Applies::Unsafe => false,
                    })
    }

    /// Whether the file has no rule at all (then it refuses everything).
    pub fn is_empty(&self) -> bool {
        self.anonymous.is_empty() && self.users.is_empty() && self.patterns.is_empty()
    }
}

impl FromStr for AclFile {
    type Err = AclError;

    /// [`AclFile::parse`].
    fn from_str(text: &str) -> Result<AclFile, AclError> {
        AclFile::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(client_id: &'a str, username: &'a str) -> Values<'a> {
        Values {
            client_id,
            username,
        }
    }

    #[test]
    fn level_equals_substitutes_in_place() {
        let v = values("dev1", "bob");
        assert!(level_equals("%c", "dev1", v));
        assert!(level_equals("x_%c_%u", "x_dev1_bob", v));
        assert!(!level_equals("x_%c_%u", "x_dev1_bo", v));
        assert!(!level_equals("%c", "dev12", v));
        assert!(!level_equals("%c", "dev", v));
        // `%` followed by anything else is text.
        assert!(level_equals("100%", "100%", v));
        assert!(level_equals("%x%c", "%xdev1", v));
        assert!(level_equals("%%c", "%dev1", v));
        assert!(level_equals("", "", v));
    }

    #[test]
    fn pattern_flags() {
        let p = Pattern::new(Grant::Read, "%u/%c/x".into());
        assert!(p.uses_client_id && p.uses_username);
        assert_eq!(p.leading_username, Some(true));
        let p = Pattern::new(Grant::Read, "a/%c".into());
        assert!(p.uses_client_id && !p.uses_username);
        assert_eq!(p.leading_username, None);
        let p = Pattern::new(Grant::Read, "100%/cu".into());
        assert!(!p.uses_client_id && !p.uses_username);
    }

    #[test]
    fn covering() {
        let cases: &[(&str, &str, bool)] = &[
            ("#", "a/b", true),
            ("#", "#", true),
            ("#", "$SYS/x", false),
            ("$SYS/#", "$SYS/broker/#", true),
            ("$SYS/broker/uptime", "$SYS/broker/#", false),
            ("a/#", "a", true),
            ("a/#", "a/+/c", true),
            ("a/+", "a/b", true),
            ("a/+", "a/+", true),
            ("a/+", "a/#", false),
            ("a/b", "a/+", false),
            ("a/+", "a", false),
            ("a/+/#", "a/b", true),
            ("a/+/#", "a/#", false),
            ("+", "$SYS", false),
            ("+/#", "+/#", true),
        ];
        for &(rule, sub, expected) in cases {
            assert_eq!(covers(rule, sub, None), expected, "{rule} covers {sub}");
        }
    }
}
