//! [`TopicFilter`]: what a subscription matches, and the matching itself (§4.7).

use super::{SHARE_PREFIX, TopicError, TopicName, check_filter, topic_type};
use crate::buffer::{Buffer, Str};
use alloc::string::String;
use bytes::Bytes;
use bytestring::ByteString;

/// A topic filter of SUBSCRIBE or UNSUBSCRIBE, checked once.
///
/// [`TopicFilter::new`] applies the rules of 5.0, which are the strictest (a filter valid under
/// them is valid on every version): at least one character ([MQTT-4.7.3-1]), no U+0000
/// ([MQTT-4.7.3-2]), at most 65,535 bytes ([MQTT-4.7.3-3]), `#` only as the whole last level and
/// `+` only as a whole level ([MQTT-4.7.1-1], [MQTT-4.7.1-2] 5.0 / [MQTT-4.7.1-2],
/// [MQTT-4.7.1-3] 3.1.1), and a shared subscription written `$share/{ShareName}/{filter}` with a
/// non-empty share name without `/`, `+` or `#` ([MQTT-4.8.2-1], [MQTT-4.8.2-2]).
///
/// A filter decoded from a 3.1.1 packet was checked under 3.1.1 rules, where `$share` is an
/// ordinary level: `$share/g` is valid there. Encoding such a filter on 5.0 checks it again under
/// the shared-subscription rules (only filters that start with `$share/` need it).
///
/// ```
/// use mqtt_wire::{TopicFilter, TopicName};
///
/// let filter = TopicFilter::try_from("$share/workers/jobs/+/new")?;
/// assert_eq!(filter.share_name(), Some("workers"));
/// assert_eq!(filter.filter(), "jobs/+/new");
/// assert!(filter.matches(&TopicName::try_from("jobs/7/new")?));
/// assert!(!filter.matches_str("jobs/7/old"));
/// # Ok::<(), mqtt_wire::TopicError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TopicFilter<B: Buffer = Bytes>(Str<B>);

impl<B: Buffer> TopicFilter<B> {
    /// Checks `filter` under the 5.0 rules (see the type's documentation).
    pub fn new(filter: Str<B>) -> Result<Self, TopicError> {
        check_filter(&filter, true)?;
        Ok(TopicFilter(filter))
    }

    /// The share name of a shared subscription (`workers` in `$share/workers/jobs/#`), `None`
    /// for an ordinary filter (§4.8.2).
    ///
    /// This and the other accessors read the filter under the 5.0 syntax. On 3.1.1, where
    /// `$share` is an ordinary level, match with [`matches_literal`](crate::topic::matches_literal).
    pub fn share_name(&self) -> Option<&str> {
        split_shared(&self.0).map(|(name, _)| name)
    }

    /// The filter without the `$share/{ShareName}/` prefix of a shared subscription: what topic
    /// names are matched against. The whole filter when it is not shared.
    pub fn filter(&self) -> &str {
        split_shared(&self.0).map_or(&self.0, |(_, filter)| filter)
    }

    /// Whether this is a shared subscription (`$share/{ShareName}/{filter}`, §4.8.2).
    pub fn is_shared(&self) -> bool {
        split_shared(&self.0).is_some()
    }

    /// Whether the filter (without a shared-subscription prefix) has a `+` or `#` wildcard: what
    /// a 5.0 server without Wildcard Subscription Available refuses (§3.2.2.3.11).
    pub fn has_wildcards(&self) -> bool {
        self.filter().bytes().any(|b| b == b'+' || b == b'#')
    }

    /// Whether a message published to `topic` matches this filter (§4.7; see
    /// [`TopicFilter::matches_str`]).
    pub fn matches<T: Buffer>(&self, topic: &TopicName<T>) -> bool {
        self.matches_str(topic)
    }

    /// Whether a message published to the topic name `topic` matches this filter (§4.7).
    ///
    /// Levels are compared exactly, without normalisation or case folding ([MQTT-4.7.3-4]); `+`
    /// matches one whole level, `#` the parent level and any number of levels below it. A filter
    /// that begins with a wildcard does not match a topic name that begins with `$`
    /// ([MQTT-4.7.2-1]): `#` does not match `$SYS/uptime` but `$SYS/#` does. A shared
    /// subscription matches by its [`filter`](TopicFilter::filter) part. The empty topic name
    /// (a Topic Alias stands for the topic) matches nothing.
    pub fn matches_str(&self, topic: &str) -> bool {
        matches(self.filter(), topic)
    }
}

/// `(share name, filter)` of a filter of the form `$share/{ShareName}/{filter}` (§4.8.2).
fn split_shared(filter: &str) -> Option<(&str, &str)> {
    let (name, rest) = filter.strip_prefix(SHARE_PREFIX)?.split_once('/')?;
    let valid = !name.is_empty() && !name.contains(['+', '#']) && !rest.is_empty();
    valid.then_some((name, rest))
}

/// §4.7 matching of the topic name `topic` against the text of `filter`, without reading a
/// `$share/{ShareName}/` prefix as a shared subscription: how a 3.1.1 server, where `$share` is an
/// ordinary level, matches. [`TopicFilter::matches`] is the 5.0 reading. `filter` is assumed to be
/// a valid filter; the rules are those of [`TopicFilter::matches_str`].
///
/// ```
/// use mqtt_wire::topic::matches_literal;
///
/// assert!(matches_literal("$share/g/a", "$share/g/a"));
/// assert!(!matches_literal("$share/g/a", "a"));
/// assert!(matches_literal("a/+/c", "a/b/c"));
/// ```
pub fn matches_literal(filter: &str, topic: &str) -> bool {
    matches(filter, topic)
}

/// §4.7 matching of a topic name against a (non-shared) filter.
fn matches(filter: &str, topic: &str) -> bool {
    if topic.is_empty() {
        return false;
    }
    // [MQTT-4.7.2-1]: wildcards at the start of a filter do not match `$` topics.
    if topic.starts_with('$') && filter.starts_with(['+', '#']) {
        return false;
    }
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            // `#` matches its parent and every level below ("a/#" matches "a" and "a/b/c").
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

topic_type!(TopicFilter);

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;

    fn f(s: &str) -> TopicFilter {
        TopicFilter::try_from(s).unwrap()
    }

    #[test]
    fn filter_wildcard_placement_mqtt_4_7_1_1_and_4_7_1_2() {
        for ok in [
            "#", "+", "a/#", "a/+/b", "+/+", "/", "a//b", "/#", "$SYS/#", "+/#",
        ] {
            assert!(TopicFilter::try_from(ok).is_ok(), "{ok}");
        }
        for bad in ["a#", "a/#/b", "#/a", "a+", "a/b+", "+a/b", "a/#b", "##"] {
            assert_eq!(
                TopicFilter::try_from(bad),
                Err(TopicError::InvalidTopicFilter),
                "{bad}"
            );
        }
    }

    #[test]
    fn filter_empty_nul_and_length_mqtt_4_7_3_1_to_4_7_3_3() {
        assert_eq!(
            TopicFilter::try_from(""),
            Err(TopicError::InvalidTopicFilter)
        );
        assert_eq!(
            TopicFilter::try_from("a/\0"),
            Err(TopicError::NullCharacter)
        );
        assert!(TopicFilter::try_from("a".repeat(65_535)).is_ok());
        assert_eq!(
            TopicFilter::try_from("a".repeat(65_536)),
            Err(TopicError::TooLong(65_536))
        );
    }

    #[test]
    fn shared_filter_syntax_mqtt_4_8_2_1_and_4_8_2_2() {
        let s = f("$share/g/a/#");
        assert!(s.is_shared());
        assert_eq!(s.share_name(), Some("g"));
        assert_eq!(s.filter(), "a/#");
        let plain = f("a/b");
        assert!(!plain.is_shared());
        assert_eq!(plain.share_name(), None);
        assert_eq!(plain.filter(), "a/b");
        // `$share` alone, or `$sharex/...`, is an ordinary level.
        assert!(!f("$share").is_shared());
        assert!(!f("$shared/g/a").is_shared());
        for bad in [
            "$share/",
            "$share//a",
            "$share/g",
            "$share/g/",
            "$share/g+/a",
            "$share/#/a",
            "$share/g/a#",
        ] {
            assert_eq!(
                TopicFilter::try_from(bad),
                Err(TopicError::InvalidTopicFilter),
                "{bad}"
            );
        }
        // Checked under 3.1.1 rules (as a 3.1.1 decoder does), `$share/g` is not shared.
        let decoded = TopicFilter::<Bytes>::from_checked(ByteString::from_static("$share/g"));
        assert!(!decoded.is_shared());
        assert_eq!(decoded.filter(), "$share/g");
    }

    #[test]
    fn matching_levels_and_wildcards() {
        let cases: &[(&str, &str, bool)] = &[
            ("a/b", "a/b", true),
            ("a/b", "a/c", false),
            ("a/b", "a/b/c", false),
            ("a/b/c", "a/b", false),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/+", "a", false),
            ("a/+", "a/", true),
            ("+", "a", true),
            ("+", "/a", false),
            ("+/+", "/a", true),
            ("/+", "/a", true),
            ("+/b/+", "x/b/y", true),
            ("#", "a", true),
            ("#", "a/b/c", true),
            ("#", "/", true),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("a/#", "ab", false),
            ("a/b/#", "a", false),
            ("+/#", "a", true),
            ("A/b", "a/b", false),
            ("a//b", "a//b", true),
            ("a//b", "a/b", false),
            ("a", "", false),
            ("#", "", false),
        ];
        for &(filter, topic, expected) in cases {
            assert_eq!(
                f(filter).matches_str(topic),
                expected,
                "{filter} vs {topic}"
            );
        }
    }

    #[test]
    fn wildcards_do_not_match_dollar_topics_mqtt_4_7_2_1() {
        assert!(!f("#").matches_str("$SYS/uptime"));
        assert!(!f("+/uptime").matches_str("$SYS/uptime"));
        assert!(!f("+").matches_str("$SYS"));
        assert!(f("$SYS/#").matches_str("$SYS/uptime"));
        assert!(f("$SYS/+").matches_str("$SYS/uptime"));
        // Only the first level is special.
        assert!(f("a/+").matches_str("a/$x"));
        assert!(f("a/#").matches_str("a/$x/y"));
        // A shared subscription matches by its filter part.
        assert!(!f("$share/g/#").matches_str("$SYS/x"));
        assert!(f("$share/g/#").matches_str("x"));
        // Read literally (3.1.1), `$share` is a level like any other.
        assert!(matches_literal("$share/g/#", "$share/g/x"));
        assert!(!matches_literal("$share/g/#", "x"));
        assert!(!matches_literal("#", "$share/g/x"));
    }

    #[test]
    fn matches_takes_a_topic_name_of_any_storage() {
        let name = TopicName::try_from("jobs/1").unwrap();
        let borrowed = TopicName::<&[u8]>::new("jobs/1").unwrap();
        let filter = TopicFilter::<&[u8]>::new("jobs/+").unwrap();
        assert!(filter.matches(&name));
        assert!(filter.matches(&borrowed));
        assert!(!f("jobs/2").matches(&name));
        assert_eq!(f("a/b"), "a/b".to_owned().as_str());
    }
}
