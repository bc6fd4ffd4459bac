//! Text normalization shared by validation, compilation and evaluation, so a
//! rule and an answer are always compared in the same form.

/// Lowercased words: runs of letters and digits, everything else separates.
/// For ASCII this is exactly `/[^a-z0-9]+/` splitting of the lowercased text.
pub(crate) fn words(lower: &str) -> impl Iterator<Item = &str> + Clone {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// The words of ASCII text, split on bytes: exactly what `words` gives for
/// ASCII, without decoding characters (scoring splits a title per lead).
pub(crate) fn ascii_words(s: &str) -> AsciiWords<'_> {
    AsciiWords { rest: s }
}

#[derive(Debug, Clone)]
pub(crate) struct AsciiWords<'a> {
    rest: &'a str,
}

impl<'a> Iterator for AsciiWords<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let bytes = self.rest.as_bytes();
        let mut start = 0;
        while bytes.get(start).is_some_and(|b| !b.is_ascii_alphanumeric()) {
            start += 1;
        }
        let mut end = start;
        while bytes.get(end).is_some_and(u8::is_ascii_alphanumeric) {
            end += 1;
        }
        // Byte offsets next to ASCII bytes are always character boundaries.
        let word = self.rest.get(start..end).filter(|w| !w.is_empty());
        self.rest = self.rest.get(end..).unwrap_or("");
        word
    }
}

/// Folds full-width forms (U+FF01..U+FF5E, as typed with East Asian input
/// methods) and the ideographic full stop to ASCII.
pub(crate) fn fold_width(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                '\u{3000}' => ' ',
                '\u{3002}' | '\u{FF61}' => '.',
                _ => c,
            })
            .collect(),
    )
}

/// Lowercase, with an allocation-free path for text that is already lowercase.
pub(crate) fn lower(s: &str) -> String {
    if s.bytes().all(|b| !b.is_ascii_uppercase() && b.is_ascii()) {
        s.to_owned()
    } else {
        crate::lowercase::lowercase(s)
    }
}

// The helpers below are plain loops on purpose: the widget and the edge ship
// size-optimized wasm (`opt-level = "z"`), where iterator adapters and `str`
// methods are often left as calls, one per byte or per item.

/// `a == b`, inline: for the short strings rules compare a `memcmp` call
/// costs more than the comparison. Words, as `memcmp` does: eight bytes at a
/// time, the tail as one more word that overlaps the last (so at most one
/// word per eight bytes and no byte loop past three bytes).
///
/// Without `bulk` (the widget, which scores one lead per keystroke) it is
/// `a == b`: one `memcmp` call, and no inlined copies in the shipped wasm.
#[cfg(feature = "bulk")]
#[inline(always)]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    // No closures for the words: at `opt-level = "z"` each stays a call.
    if a.len() >= 8 {
        let (mut x, mut y) = (a, b);
        while x.len() > 8 {
            let (Some((p, rx)), Some((q, ry))) = (x.split_first_chunk(), y.split_first_chunk())
            else {
                break;
            };
            if u64::from_ne_bytes(*p) != u64::from_ne_bytes(*q) {
                return false;
            }
            (x, y) = (rx, ry);
        }
        return match (a.last_chunk(), b.last_chunk()) {
            (Some(p), Some(q)) => u64::from_ne_bytes(*p) == u64::from_ne_bytes(*q),
            _ => false,
        };
    }
    if a.len() >= 4 {
        return match (
            a.first_chunk(),
            b.first_chunk(),
            a.last_chunk(),
            b.last_chunk(),
        ) {
            (Some(p), Some(q), Some(r), Some(s)) => {
                u32::from_ne_bytes(*p) == u32::from_ne_bytes(*q)
                    && u32::from_ne_bytes(*r) == u32::from_ne_bytes(*s)
            }
            _ => false,
        };
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), b.get(i)) {
        if x != y {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(not(feature = "bulk"))]
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a == b
}

/// Whether `a` equals `lower` ignoring ASCII case, where `lower` has no ASCII
/// capitals (values compile lowercased): `a.eq_ignore_ascii_case(lower)`.
#[inline(always)]
pub(crate) fn same_folded(a: &[u8], lower: &[u8]) -> bool {
    if a.len() != lower.len() {
        return false;
    }
    let mut i = 0;
    while let (Some(x), Some(y)) = (a.get(i), lower.get(i)) {
        if x.to_ascii_lowercase() != *y {
            return false;
        }
        i += 1;
    }
    true
}

/// `a.cmp(b)` in byte order (as `str` orders), inline; eight bytes at a
/// time (big-endian integers order as their bytes do), then byte by byte.
#[inline(always)]
pub(crate) fn byte_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (mut x, mut y) = (a, b);
    while let (Some((p, rx)), Some((q, ry))) = (x.split_first_chunk(), y.split_first_chunk()) {
        let (p, q) = (u64::from_be_bytes(*p), u64::from_be_bytes(*q));
        if p != q {
            return p.cmp(&q);
        }
        (x, y) = (rx, ry);
    }
    let mut i = 0;
    while let (Some(p), Some(q)) = (x.get(i), y.get(i)) {
        if p != q {
            return p.cmp(q);
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

/// `s.rsplit_once('@')`, by bytes.
#[inline(always)]
pub(crate) fn split_at_last_at(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if b.get(i) == Some(&b'@') {
            // `@` is ASCII: both sides start and end on character boundaries.
            return Some((s.get(..i)?, s.get(i + 1..)?));
        }
    }
    None
}

/// ASCII lowercase of ASCII text, borrowed when it has no capitals.
pub(crate) fn ascii_lower(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        std::borrow::Cow::Owned(s.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// A domain as rules compare it: width-folded, lowercase, no trailing dot.
pub(crate) fn normalize_domain(s: &str) -> String {
    let folded = fold_width(s.trim());
    let d = folded.trim_start_matches('@').trim_end_matches('.');
    lower(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_the_peer_engine() {
        let w: Vec<_> = words("vp, sales/marketing (emea)").collect();
        assert_eq!(w, ["vp", "sales", "marketing", "emea"]);
        assert_eq!(words("headcount").collect::<Vec<_>>(), ["headcount"]);
    }

    #[test]
    fn ascii_words_are_the_words_of_ascii_text() {
        for s in [
            "",
            "  ",
            "vp, sales/marketing (emea)",
            "Head-of-Growth",
            "C.E.O.",
            "a",
            "--x--y--",
            "Sr. VP & GM, EMEA 2",
            "tab\tsep\nnew",
        ] {
            let fast: Vec<_> = ascii_words(s).collect();
            let slow: Vec<_> = words(s).collect();
            assert_eq!(fast, slow, "{s:?}");
        }
    }

    #[test]
    fn byte_helpers_agree_with_std() {
        let words = [
            "",
            "a",
            "A",
            "ab",
            "aB",
            "abc",
            "b",
            "@",
            "a@b",
            "x@y@z.com",
            "é@É",
            "@@",
            // Every length class of `same_bytes`: under 4, 4 to 7, 8, past 8, past 16.
            "abcd",
            "abce",
            "xbcd",
            "abcdefg",
            "abcdefh",
            "bbcdefg",
            "abcdefgh",
            "abcdefgi",
            "abcdefghijklmnop",
            "abcdefghijklmnoq",
            "abcdefghXjklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
        ];
        for a in words {
            assert_eq!(split_at_last_at(a), a.rsplit_once('@'), "{a:?}");
            for b in words {
                assert_eq!(same_bytes(a.as_bytes(), b.as_bytes()), a == b);
                assert_eq!(byte_order(a.as_bytes(), b.as_bytes()), a.cmp(b));
                let lower = b.to_ascii_lowercase();
                assert_eq!(
                    same_folded(a.as_bytes(), lower.as_bytes()),
                    a.eq_ignore_ascii_case(&lower)
                );
            }
        }
    }

    #[test]
    fn full_width_digits_fold_to_ascii() {
        assert_eq!(fold_width("１２０"), "120");
        assert_eq!(normalize_domain("Ｅｘａｍｐｌｅ．COM"), "example.com");
    }
}
