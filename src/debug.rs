//! How binary fields appear in `Debug` and `Display`: secrets (passwords, Authentication Data)
//! by length only, payloads by length and a short prefix, so that logging a packet never logs a
//! credential or a whole message.

use core::fmt;

/// The most bytes of a payload that formatting shows.
pub(crate) const PREFIX: usize = 16;

/// A secret: only its length, `<9 bytes>`.
pub(crate) struct Redacted(pub(crate) usize);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} bytes>", self.0)
    }
}

impl fmt::Display for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Binary data shown by length and at most [`PREFIX`] bytes: `<5 bytes: b"hello">`,
/// `<65536 bytes: b"0123456789abcdef"..>`.
pub(crate) struct Shortened<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shown, more) = match self.0.split_at_checked(PREFIX) {
            Some((head, rest)) => (head, !rest.is_empty()),
            None => (self.0, false),
        };
        write!(f, "<{} bytes: b\"", self.0.len())?;
        for &b in shown {
            match b {
                b'"' => f.write_str("\\\"")?,
                b'\\' => f.write_str("\\\\")?,
                0x20..=0x7E => write!(f, "{}", b as char)?,
                _ => write!(f, "\\x{b:02x}")?,
            }
        }
        f.write_str(if more { "\"..>" } else { "\">" })
    }
}

impl fmt::Display for Shortened<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn secrets_show_their_length_and_payloads_a_prefix() {
        assert_eq!(format!("{:?}", Redacted(9)), "<9 bytes>");
        assert_eq!(format!("{:?}", Shortened(b"")), "<0 bytes: b\"\">");
        assert_eq!(
            format!("{:?}", Shortened(b"a\"\\\x00\xff")),
            r#"<5 bytes: b"a\"\\\x00\xff">"#
        );
        assert_eq!(
            format!("{:?}", Shortened(b"0123456789abcdef")),
            "<16 bytes: b\"0123456789abcdef\">"
        );
        assert_eq!(
            format!("{:?}", Shortened(b"0123456789abcdefg")),
            "<17 bytes: b\"0123456789abcdef\"..>"
        );
    }

    #[test]
    fn display_reads_as_debug() {
        assert_eq!(format!("{}", Redacted(9)), "<9 bytes>");
        assert_eq!(format!("{}", Shortened(b"hi\n")), r#"<3 bytes: b"hi\x0a">"#);
    }
}
