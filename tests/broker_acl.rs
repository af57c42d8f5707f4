//! `AclFile`: the parser and the evaluation of mosquitto's `acl_file` format.
//!
//! `tests/broker_acl_mosquitto.rs` checks the same rules against a running mosquitto.

use mqtt_wire::broker::acl::{Access, AclErrorKind, AclFile};
use mqtt_wire::topic::matches_literal;
use proptest::prelude::*;

use Access::{Read, Write};

fn acl(text: &str) -> AclFile {
    AclFile::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The line and kind of the error parsing `text` gives.
fn error(text: &str) -> (usize, AclErrorKind) {
    let e = AclFile::parse(text).expect_err(text);
    (e.line(), e.kind().clone())
}

// ------------------------------------------------------------------------------ sections

#[test]
fn rules_before_any_user_line_are_for_anonymous_clients_only() {
    let a = acl("topic read public/#\nuser alice\ntopic home/#\n");
    assert!(a.allows("c", None, "public/x", Read));
    // A client with a username does not get the anonymous section.
    assert!(!a.allows("c", Some("alice"), "public/x", Read));
    assert!(!a.allows("c", Some("bob"), "public/x", Read));
    // And an anonymous client does not get alice's.
    assert!(!a.allows("c", None, "home/x", Read));
    assert!(a.allows("c", Some("alice"), "home/x", Read));
}

#[test]
fn user_sections_are_per_username_and_add_up() {
    let a = acl("user alice\n\
         topic read a/#\n\
         user bob\n\
         topic read b/#\n\
         user alice\n\
         topic write c/#\n\
         user John Smith\n\
         topic read js/#\n");
    assert!(a.allows("c", Some("alice"), "a/1", Read));
    assert!(a.allows("c", Some("alice"), "c/1", Write));
    assert!(!a.allows("c", Some("alice"), "b/1", Read));
    assert!(a.allows("c", Some("bob"), "b/1", Read));
    assert!(!a.allows("c", Some("bob"), "a/1", Read));
    // Usernames are compared exactly: case and spaces count.
    assert!(a.allows("c", Some("John Smith"), "js/1", Read));
    assert!(!a.allows("c", Some("john smith"), "js/1", Read));
    assert!(!a.allows("c", Some("Alice"), "a/1", Read));
    // A username with no section gets nothing (no patterns here).
    assert!(!a.allows("c", Some("carol"), "a/1", Read));
    // Nor does an empty username.
    assert!(!a.allows("c", Some(""), "a/1", Read));
}

#[test]
fn access_keywords_and_the_readwrite_default() {
    let a = acl("topic r\ntopic read ro\ntopic write wo\ntopic readwrite rw\n");
    for (topic, read, write) in [
        ("r", true, true),
        ("ro", true, false),
        ("wo", false, true),
        ("rw", true, true),
        ("other", false, false),
    ] {
        assert_eq!(a.allows("c", None, topic, Read), read, "read {topic}");
        assert_eq!(a.allows("c", None, topic, Write), write, "write {topic}");
    }
}

#[test]
fn wildcards_in_rules_match_as_in_subscriptions() {
    let a = acl("topic read sensors/+/temp\ntopic read logs/#\n");
    assert!(a.allows("c", None, "sensors/7/temp", Read));
    assert!(!a.allows("c", None, "sensors/7/8/temp", Read));
    assert!(!a.allows("c", None, "sensors/7/hum", Read));
    assert!(a.allows("c", None, "logs", Read));
    assert!(a.allows("c", None, "logs/a/b/c", Read));
    assert!(!a.allows("c", None, "logsx", Read));
}

#[test]
fn an_empty_file_or_one_of_comments_refuses_everything() {
    for text in ["", "\n\n", "# nothing\n   \n\t# indented\n"] {
        let a = acl(text);
        assert!(a.is_empty());
        assert!(!a.allows("c", None, "a", Read), "{text:?}");
        assert!(!a.allows("c", Some("u"), "a", Write), "{text:?}");
        assert!(!a.allows_subscribe("c", None, "a"), "{text:?}");
    }
    assert!(!acl("topic a\n").is_empty());
}

#[test]
fn topics_that_are_not_topic_names_are_refused() {
    let a = acl("topic #\n");
    assert!(a.allows("c", None, "a", Read));
    assert!(!a.allows("c", None, "", Read));
    assert!(!a.allows("c", None, "a/+", Read));
    assert!(!a.allows("c", None, "a/#", Write));
}

// ------------------------------------------------------------------------------ deny

#[test]
fn deny_wins_over_grants_wherever_it_stands() {
    // The deny after the grant, and before it: both win.
    for text in [
        "topic readwrite home/#\ntopic deny home/safe/#\n",
        "topic deny home/safe/#\ntopic readwrite home/#\n",
    ] {
        let a = acl(text);
        assert!(a.allows("c", None, "home/kitchen", Read), "{text}");
        assert!(!a.allows("c", None, "home/safe", Read), "{text}");
        assert!(!a.allows("c", None, "home/safe/code", Write), "{text}");
    }
}

#[test]
fn a_deny_in_one_section_does_not_touch_another() {
    let a = acl("topic deny x\nuser alice\ntopic x\n");
    assert!(a.allows("c", Some("alice"), "x", Read));
    assert!(!a.allows("c", None, "x", Read));
}

#[test]
fn a_pattern_deny_wins_over_a_topic_grant() {
    // Mosquitto 2.0 grants here (its topic rules come before its patterns); refusing is the
    // deliberate difference.
    let a = acl("user bob\ntopic readwrite secret/#\npattern deny secret/%c/#\n");
    assert!(a.allows("bob-1", Some("bob"), "secret/shared", Read));
    assert!(!a.allows("bob-1", Some("bob"), "secret/bob-1/x", Read));
    assert!(!a.allows("bob-1", Some("bob"), "secret/bob-1", Write));
    assert!(a.allows("bob-2", Some("bob"), "secret/bob-1/x", Read));
}

#[test]
fn a_topic_deny_wins_over_a_pattern_grant() {
    let a = acl("topic deny dev/locked/#\npattern readwrite dev/%c/#\n");
    assert!(a.allows("x", None, "dev/x/1", Write));
    assert!(!a.allows("locked", None, "dev/locked/1", Write));
    // The deny is in the anonymous section: a client with a username is not refused.
    assert!(a.allows("locked", Some("u"), "dev/locked/1", Write));
}

// ------------------------------------------------------------------------------ patterns

#[test]
fn patterns_substitute_client_id_and_username() {
    let a = acl("pattern readwrite devices/%c/#\n\
         pattern read users/%u/inbox\n\
         pattern write by/%u/%c\n");
    assert!(a.allows("pump-7", None, "devices/pump-7/status", Write));
    assert!(a.allows("pump-7", Some("bob"), "devices/pump-7", Read));
    assert!(!a.allows("pump-7", None, "devices/pump-8/status", Write));
    assert!(!a.allows("pump", None, "devices/pump-7", Write));
    assert!(a.allows("c1", Some("bob"), "users/bob/inbox", Read));
    assert!(!a.allows("c1", Some("bob"), "users/bob/inbox", Write));
    assert!(!a.allows("c1", Some("bob"), "users/alice/inbox", Read));
    assert!(a.allows("c1", Some("bob"), "by/bob/c1", Write));
    assert!(!a.allows("c1", Some("bob"), "by/c1/bob", Write));
}

#[test]
fn a_pattern_with_username_is_not_for_anonymous_clients() {
    let a = acl("pattern read users/%u/#\npattern read any/%c\n");
    // No username: `%u` is not replaced by anything, not even the empty string.
    assert!(!a.allows("c", None, "users//x", Read));
    assert!(!a.allows("c", None, "users/%u/x", Read));
    assert!(a.allows("c", None, "any/c", Read));
}

#[test]
fn patterns_apply_to_every_client_wherever_they_stand() {
    let a = acl("user alice\ntopic a\npattern read p/%c\nuser bob\ntopic b\n");
    assert!(a.allows("x", Some("alice"), "p/x", Read));
    assert!(a.allows("x", Some("bob"), "p/x", Read));
    assert!(a.allows("x", Some("carol"), "p/x", Read));
    assert!(a.allows("x", None, "p/x", Read));
}

#[test]
fn substitution_inside_a_level_and_a_literal_percent() {
    let a = acl("pattern read dev_%c/x\npattern read 100%/%c\n");
    assert!(a.allows("7", None, "dev_7/x", Read));
    assert!(!a.allows("7", None, "dev_8/x", Read));
    assert!(a.allows("7", None, "100%/7", Read));
}

#[test]
fn a_pattern_without_substitution_is_a_rule_for_everyone() {
    let a = acl("user alice\npattern read news/#\n");
    assert!(a.allows("c", None, "news/today", Read));
    assert!(a.allows("c", Some("bob"), "news/today", Read));
}

// ------------------------------------------------------------------------------ injection

#[test]
fn a_client_id_with_wildcards_cannot_widen_a_pattern() {
    let a = acl("pattern readwrite devices/%c/#\npattern read users/%u\n");
    // `devices/#/#` and `devices/+/#` would match every device.
    assert!(!a.allows("#", None, "devices/pump-7/status", Read));
    assert!(!a.allows("+", None, "devices/pump-7/status", Read));
    assert!(!a.allows("a+b", None, "devices/a+b", Read));
    // As in mosquitto: a client whose identifier has `+` or `#` gets no pattern grant at all,
    // not even from a pattern that does not use the identifier.
    assert!(a.allows("ok", Some("bob"), "users/bob", Read));
    assert!(!a.allows("x#", Some("bob"), "users/bob", Read));
    // Likewise a username with wildcards.
    assert!(!a.allows("c", Some("#"), "users/alice", Read));
    assert!(!a.allows("c", Some("b+"), "devices/c/x", Read));
}

#[test]
fn a_client_id_with_a_slash_cannot_reach_into_another_clients_tree() {
    let a = acl("pattern readwrite devices/%c/#\n");
    // `alice/private` would give `devices/alice/private/#`, inside alice's tree. Mosquitto 2.0
    // substitutes it as it is; here the pattern grants nothing to that identifier.
    assert!(!a.allows("alice/private", None, "devices/alice/private/x", Read));
    assert!(!a.allows("alice/private", None, "devices/alice/private", Write));
    assert!(!a.allows("a/b", None, "devices/a/b", Read));
    assert!(a.allows("alice", None, "devices/alice/private/x", Read));
}

#[test]
fn a_client_id_cannot_turn_a_pattern_into_a_dollar_topic() {
    let a = acl("pattern read %c/#\npattern read home/%c\n");
    assert!(a.allows("kitchen", None, "kitchen/temp", Read));
    // `$SYS` at the start would make `$SYS/#`, which a wildcard rule could never match.
    assert!(!a.allows("$SYS", None, "$SYS/broker/uptime", Read));
    // Not at the start, a `$` is an ordinary character.
    assert!(a.allows("$x", None, "home/$x", Read));
}

#[test]
fn an_empty_client_id_or_username_is_not_substituted() {
    let a = acl("pattern read dev/%c/x\npattern read users/%u/x\n");
    assert!(!a.allows("", None, "dev//x", Read));
    assert!(!a.allows("c", Some(""), "users//x", Read));
}

#[test]
fn a_client_keeps_its_topic_grants_whatever_its_id() {
    let a = acl("topic read public/#\npattern readwrite dev/%c/#\n");
    assert!(a.allows("#", None, "public/x", Read));
    assert!(a.allows("a/b", None, "public/x", Read));
}

#[test]
fn a_pattern_deny_that_cannot_be_evaluated_refuses_everything() {
    let a = acl("topic read public/#\npattern deny private/%c/#\n");
    assert!(a.allows("ok", None, "public/x", Read));
    for id in ["a/b", "#", "+", ""] {
        assert!(!a.allows(id, None, "public/x", Read), "{id:?}");
        assert!(!a.allows_subscribe(id, None, "public/x"), "{id:?}");
    }
    // A deny with `%u` does not apply to a client without a username.
    let a = acl("topic read public/#\npattern deny private/%u/#\n");
    assert!(a.allows("c", None, "public/x", Read));
    assert!(!a.allows("c", Some("a/b"), "public/x", Read));
}

// ------------------------------------------------------------------------------ $ topics

#[test]
fn wildcard_rules_do_not_match_dollar_topics_mqtt_4_7_2_1() {
    let a = acl("topic read #\ntopic read +/uptime\n");
    assert!(a.allows("c", None, "a/uptime", Read));
    assert!(!a.allows("c", None, "$SYS/broker/uptime", Read));
    assert!(!a.allows("c", None, "$SYS/uptime", Read));
    assert!(!a.allows_subscribe("c", None, "$SYS/#"));
    let a = acl("topic read $SYS/#\n");
    assert!(a.allows("c", None, "$SYS/broker/uptime", Read));
    assert!(a.allows_subscribe("c", None, "$SYS/broker/#"));
    // Only the first level is special.
    let a = acl("topic read a/#\n");
    assert!(a.allows("c", None, "a/$x", Read));
}

#[test]
fn sys_is_never_writable_but_for_bridge_state() {
    let a = acl("topic readwrite $SYS/#\npattern write $SYS/broker/connection/%c/state\n");
    assert!(a.allows("c", None, "$SYS/broker/uptime", Read));
    assert!(!a.allows("c", None, "$SYS/broker/uptime", Write));
    assert!(!a.allows("c", None, "$SYS", Write));
    // The exception holds only where a rule grants it.
    assert!(a.allows(
        "bridge-1",
        Some("u"),
        "$SYS/broker/connection/bridge-1/state",
        Write
    ));
    assert!(!a.allows(
        "bridge-2",
        Some("u"),
        "$SYS/broker/connection/bridge-1/state",
        Write
    ));
    // By prefix, as mosquitto checks it.
    let a = acl("topic readwrite $SYSTEM/#\n");
    assert!(!a.allows("c", None, "$SYSTEM/x", Write));
    assert!(a.allows("c", None, "$SYSTEM/x", Read));
}

#[test]
fn share_topics_are_neither_read_nor_written() {
    let a = acl("topic readwrite $share/#\ntopic readwrite $other/#\n");
    assert!(!a.allows("c", None, "$share/g/a", Read));
    assert!(!a.allows("c", None, "$share/g/a", Write));
    assert!(a.allows("c", None, "$other/a", Write));
}

// ------------------------------------------------------------------------------ subscriptions

#[test]
fn a_subscription_needs_a_read_grant_that_covers_its_filter() {
    let a = acl("topic read sensors/#\n\
         topic write cmd/#\n\
         topic read a/+/c\n\
         topic read x/y\n");
    assert!(a.allows_subscribe("c", None, "sensors/#"));
    assert!(a.allows_subscribe("c", None, "sensors"));
    assert!(a.allows_subscribe("c", None, "sensors/+/temp"));
    assert!(a.allows_subscribe("c", None, "a/b/c"));
    assert!(a.allows_subscribe("c", None, "a/+/c"));
    assert!(a.allows_subscribe("c", None, "x/y"));
    // Not covered: broader than the grant, or a write-only grant.
    assert!(!a.allows_subscribe("c", None, "#"));
    assert!(!a.allows_subscribe("c", None, "+/temp"));
    assert!(!a.allows_subscribe("c", None, "a/#"));
    assert!(!a.allows_subscribe("c", None, "a/+/+"));
    assert!(!a.allows_subscribe("c", None, "x/+"));
    assert!(!a.allows_subscribe("c", None, "cmd/1"));
    // An invalid filter is refused.
    assert!(!a.allows_subscribe("c", None, "sensors/#/x"));
    assert!(!a.allows_subscribe("c", None, ""));
}

#[test]
fn a_deny_refuses_the_subscriptions_it_covers_and_filters_the_others() {
    let a = acl("topic read #\ntopic deny secret/#\n");
    assert!(!a.allows_subscribe("c", None, "secret/#"));
    assert!(!a.allows_subscribe("c", None, "secret/+/x"));
    assert!(!a.allows_subscribe("c", None, "secret"));
    // `#` is partly denied: the subscription is allowed, the delivery check withholds.
    assert!(a.allows_subscribe("c", None, "#"));
    assert!(a.allows("c", None, "public", Read));
    assert!(!a.allows("c", None, "secret/x", Read));
}

#[test]
fn subscriptions_through_patterns() {
    let a = acl("pattern read devices/%c/#\npattern deny devices/%c/keys\n");
    assert!(a.allows_subscribe("d1", None, "devices/d1/#"));
    assert!(a.allows_subscribe("d1", None, "devices/d1/+/x"));
    assert!(!a.allows_subscribe("d1", None, "devices/d1/keys"));
    assert!(!a.allows_subscribe("d1", None, "devices/+/status"));
    assert!(!a.allows_subscribe("d2", None, "devices/d1/#"));
    assert!(!a.allows_subscribe("#", None, "devices/#"));
    assert!(!a.allows_subscribe("a/b", None, "devices/a/b/#"));
}

// ------------------------------------------------------------------------------ syntax

#[test]
fn whitespace_comments_and_line_endings() {
    let a = acl("\u{feff}# comment\r\n\
         \r\n\
         \t  topic\tread   a b c  \r\n\
         \t# indented comment\n\
         topic  write\t x/y\t\n\
         user   John Smith  \n\
         topic read js\n");
    // The filter is the rest of the line, inner spaces kept, outer blanks trimmed.
    assert!(a.allows("c", None, "a b c", Read));
    assert!(!a.allows("c", None, "a b c ", Read));
    assert!(a.allows("c", None, "x/y", Write));
    assert!(a.allows("c", Some("John Smith"), "js", Read));
}

#[test]
fn parse_errors_name_their_line() {
    assert_eq!(
        error("# a comment\n\ntopic a\nsubscribe b\n"),
        (4, AclErrorKind::UnknownKeyword("subscribe".into()))
    );
    assert_eq!(
        error("topic reed a/b\n"),
        (1, AclErrorKind::UnknownAccess("reed".into()))
    );
    // A filter with spaces needs the access keyword.
    assert_eq!(
        error("topic a\ntopic my topic\n"),
        (2, AclErrorKind::UnknownAccess("my".into()))
    );
    // Keywords are case-sensitive, as mosquitto reads them.
    assert_eq!(
        error("Topic a\n"),
        (1, AclErrorKind::UnknownKeyword("Topic".into()))
    );
    assert_eq!(
        error("topic READ a\n"),
        (1, AclErrorKind::UnknownAccess("READ".into()))
    );
    assert_eq!(
        error("topic a\n\ntopic\n"),
        (3, AclErrorKind::MissingFilter("topic"))
    );
    assert_eq!(
        error("pattern   \n"),
        (1, AclErrorKind::MissingFilter("pattern"))
    );
    // Only an access keyword: mosquitto would grant a topic named `read`; refused here.
    for keyword in ["read", "write", "readwrite", "deny"] {
        assert_eq!(
            error(&format!("user a\ntopic {keyword}  \n")),
            (2, AclErrorKind::MissingFilter("topic"))
        );
    }
    assert_eq!(error("user\n"), (1, AclErrorKind::MissingUsername));
    assert_eq!(error("user \t \n"), (1, AclErrorKind::MissingUsername));
}

#[test]
fn invalid_filters_are_parse_errors() {
    for (text, filter) in [
        ("topic read a/#/b", "a/#/b"),
        ("topic a+", "a+"),
        ("topic read sensors #", "sensors #"),
        ("pattern write x/%c#", "x/%c#"),
        ("topic read a\0b", "a\0b"),
    ] {
        let (line, kind) = error(text);
        assert_eq!(line, 1, "{text}");
        match kind {
            AclErrorKind::InvalidFilter { filter: f, .. } => assert_eq!(f, filter),
            other => panic!("{text}: {other:?}"),
        }
    }
    let long = format!("topic {}", "a".repeat(65_536));
    assert!(matches!(error(&long).1, AclErrorKind::InvalidFilter { .. }));
    // `$share/...` is an ordinary filter in a rule, as mosquitto reads it.
    assert!(AclFile::parse("topic read $share/#").is_ok());
}

#[test]
fn errors_read_well() {
    let e = AclFile::parse("topic a\ntopic read a/#/b\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: invalid topic filter `a/#/b`: invalid topic filter"
    );
    let e = AclFile::parse("allow a\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: unknown keyword `allow` (expected `topic`, `pattern` or `user`)"
    );
    let e = AclFile::parse("topic deny\n").unwrap_err();
    assert_eq!(e.to_string(), "line 1: `topic` rule without a topic filter");
    let e = AclFile::parse("user\n").unwrap_err();
    assert_eq!(e.to_string(), "line 1: `user` without a username");
    assert_eq!("topic a".parse::<AclFile>(), AclFile::parse("topic a"));
}

// ------------------------------------------------------------------------------ examples

/// The rules of the example file Debian ships with mosquitto
/// (`/usr/share/doc/mosquitto/examples/aclfile.example`), comments our own.
const MOSQUITTO_EXAMPLE: &str = "\
# Anonymous clients read the broker's $SYS tree.
topic read $SYS/#

# The user roger reads and writes foo/bar.
user roger
topic foo/bar

# Every client writes its own bridge state.
pattern write $SYS/broker/connection/%c/state
";

#[test]
fn mosquitto_example_file() {
    let a = acl(MOSQUITTO_EXAMPLE);
    assert!(a.allows("c", None, "$SYS/broker/uptime", Read));
    assert!(!a.allows("c", None, "$SYS/broker/uptime", Write));
    assert!(!a.allows("c", None, "foo/bar", Read));
    assert!(!a.allows("c", Some("roger"), "$SYS/broker/uptime", Read));
    assert!(a.allows("c", Some("roger"), "foo/bar", Read));
    assert!(a.allows("c", Some("roger"), "foo/bar", Write));
    assert!(!a.allows("c", Some("roger"), "foo/baz", Write));
    for username in [None, Some("roger"), Some("other")] {
        assert!(a.allows("br", username, "$SYS/broker/connection/br/state", Write));
        assert!(!a.allows("br", username, "$SYS/broker/connection/br2/state", Write));
        // Readable only through the anonymous section's `$SYS/#`.
        assert_eq!(
            a.allows("br", username, "$SYS/broker/connection/br/state", Read),
            username.is_none()
        );
    }
    assert!(a.allows_subscribe("c", None, "$SYS/#"));
    assert!(!a.allows_subscribe("c", Some("roger"), "foo/#"));
    assert!(a.allows_subscribe("c", Some("roger"), "foo/bar"));
}

#[test]
fn manual_example_pattern() {
    // The example of mosquitto.conf(5): each user writes its own sensor data.
    let a = acl("pattern write sensor/%u/data\n");
    assert!(a.allows("c", Some("s1"), "sensor/s1/data", Write));
    assert!(!a.allows("c", Some("s1"), "sensor/s2/data", Write));
    assert!(!a.allows("c", None, "sensor/s1/data", Write));
}

// ------------------------------------------------------------------------------ properties

/// Levels of a small alphabet, so that filters and topics meet often.
fn level() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just(""), Just("$x")]
}

fn filter() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(prop_oneof![level(), Just("+")], 1..4),
        any::<bool>(),
    )
        .prop_map(|(levels, hash)| {
            let mut f = levels.join("/");
            if f.is_empty() {
                f.push('a');
            }
            if hash {
                f.push_str("/#");
            }
            f
        })
}

fn topic() -> impl Strategy<Value = String> {
    prop::collection::vec(level(), 1..5).prop_map(|levels| levels.join("/"))
}

proptest! {
    /// A `topic` rule matches as `matches_literal` does.
    #[test]
    fn topic_rules_match_as_subscriptions(filter in filter(), topic in topic()) {
        prop_assume!(!topic.is_empty());
        let a = acl(&format!("topic read {filter}"));
        prop_assert_eq!(a.allows("c", None, &topic, Read), matches_literal(&filter, &topic));
    }

    /// A pattern with its `b` levels written `%c` matches, for client `b`, as the filter with
    /// `b` does: the substitution in place agrees with `matches_literal`.
    #[test]
    fn patterns_match_as_their_substituted_filter(filter in filter(), topic in topic()) {
        prop_assume!(!topic.is_empty());
        let pattern = filter
            .split('/')
            .map(|level| if level == "b" { "%c" } else { level })
            .collect::<Vec<_>>()
            .join("/");
        let a = acl(&format!("pattern read {pattern}"));
        prop_assert_eq!(a.allows("b", None, &topic, Read), matches_literal(&filter, &topic));
        // A client with another identifier matches only where no `%c` level is involved.
        if !pattern.contains("%c") {
            prop_assert_eq!(a.allows("z", None, &topic, Read), matches_literal(&filter, &topic));
        }
    }

    /// When a grant covers a filter, it matches every topic that filter matches.
    #[test]
    fn covering_implies_matching(rule in filter(), sub in filter(), topic in topic()) {
        let a = acl(&format!("topic read {rule}"));
        if a.allows_subscribe("c", None, &sub) && matches_literal(&sub, &topic) {
            prop_assert!(matches_literal(&rule, &topic), "{rule} covers {sub} but not {topic}");
        }
    }
}
