//! Lowercase for rules, from Baton's own table: the same on every target and
//! with every compiler, because rustc's Unicode tables ship only when used.
//!
//! It is `str::to_lowercase` (the Unicode version of the rustc that made
//! the table; a test holds it to the std of today's rustc, code point by code
//! point) but for one thing: Greek sigma. std lowers `Σ` to `ς` at the end
//! of a word and to `σ` elsewhere; here `Σ`, `σ` and `ς` are all `σ`
//! (as Unicode case folding has it), so a Greek word matches in any form.
//!
//! Why not std: its tables are 12 KB of wasm (4 KB brotli) the widget ships to
//! every visitor, where these runs are 2 KB.

/// Runs of code points above ASCII that lowercase by a fixed offset:
/// `(first, count, step, offset)`: `first`, `first + step`, … (`count` of
/// them) lower to themselves plus `offset`. Sorted by `first`, disjoint.
/// Made from std by the test below, which prints the table when it differs.
#[rustfmt::skip]
static RUNS: [(u32, u8, u8, i32); 184] = [
    (0x000c0, 23, 1, 32), (0x000d8, 7, 1, 32), (0x00100, 24, 2, 1),
    (0x00132, 3, 2, 1), (0x00139, 8, 2, 1), (0x0014a, 23, 2, 1),
    (0x00178, 1, 1, -121), (0x00179, 3, 2, 1), (0x00181, 1, 1, 210),
    (0x00182, 2, 2, 1), (0x00186, 1, 1, 206), (0x00187, 1, 1, 1),
    (0x00189, 2, 1, 205), (0x0018b, 1, 1, 1), (0x0018e, 1, 1, 79),
    (0x0018f, 1, 1, 202), (0x00190, 1, 1, 203), (0x00191, 1, 1, 1),
    (0x00193, 1, 1, 205), (0x00194, 1, 1, 207), (0x00196, 1, 1, 211),
    (0x00197, 1, 1, 209), (0x00198, 1, 1, 1), (0x0019c, 1, 1, 211),
    (0x0019d, 1, 1, 213), (0x0019f, 1, 1, 214), (0x001a0, 3, 2, 1),
    (0x001a6, 1, 1, 218), (0x001a7, 1, 1, 1), (0x001a9, 1, 1, 218),
    (0x001ac, 1, 1, 1), (0x001ae, 1, 1, 218), (0x001af, 1, 1, 1),
    (0x001b1, 2, 1, 217), (0x001b3, 2, 2, 1), (0x001b7, 1, 1, 219),
    (0x001b8, 1, 1, 1), (0x001bc, 1, 1, 1), (0x001c4, 1, 1, 2),
    (0x001c5, 1, 1, 1), (0x001c7, 1, 1, 2), (0x001c8, 1, 1, 1),
    (0x001ca, 1, 1, 2), (0x001cb, 9, 2, 1), (0x001de, 9, 2, 1),
    (0x001f1, 1, 1, 2), (0x001f2, 2, 2, 1), (0x001f6, 1, 1, -97),
    (0x001f7, 1, 1, -56), (0x001f8, 20, 2, 1), (0x00220, 1, 1, -130),
    (0x00222, 9, 2, 1), (0x0023a, 1, 1, 10795), (0x0023b, 1, 1, 1),
    (0x0023d, 1, 1, -163), (0x0023e, 1, 1, 10792), (0x00241, 1, 1, 1),
    (0x00243, 1, 1, -195), (0x00244, 1, 1, 69), (0x00245, 1, 1, 71),
    (0x00246, 5, 2, 1), (0x00370, 2, 2, 1), (0x00376, 1, 1, 1),
    (0x0037f, 1, 1, 116), (0x00386, 1, 1, 38), (0x00388, 3, 1, 37),
    (0x0038c, 1, 1, 64), (0x0038e, 2, 1, 63), (0x00391, 17, 1, 32),
    (0x003a4, 8, 1, 32), (0x003cf, 1, 1, 8), (0x003d8, 12, 2, 1),
    (0x003f4, 1, 1, -60), (0x003f7, 1, 1, 1), (0x003f9, 1, 1, -7),
    (0x003fa, 1, 1, 1), (0x003fd, 3, 1, -130), (0x00400, 16, 1, 80),
    (0x00410, 32, 1, 32), (0x00460, 17, 2, 1), (0x0048a, 27, 2, 1),
    (0x004c0, 1, 1, 15), (0x004c1, 7, 2, 1), (0x004d0, 48, 2, 1),
    (0x00531, 38, 1, 48), (0x010a0, 38, 1, 7264), (0x010c7, 1, 1, 7264),
    (0x010cd, 1, 1, 7264), (0x013a0, 80, 1, 38864), (0x013f0, 6, 1, 8),
    (0x01c89, 1, 1, 1), (0x01c90, 43, 1, -3008), (0x01cbd, 3, 1, -3008),
    (0x01e00, 75, 2, 1), (0x01e9e, 1, 1, -7615), (0x01ea0, 48, 2, 1),
    (0x01f08, 8, 1, -8), (0x01f18, 6, 1, -8), (0x01f28, 8, 1, -8),
    (0x01f38, 8, 1, -8), (0x01f48, 6, 1, -8), (0x01f59, 4, 2, -8),
    (0x01f68, 8, 1, -8), (0x01f88, 8, 1, -8), (0x01f98, 8, 1, -8),
    (0x01fa8, 8, 1, -8), (0x01fb8, 2, 1, -8), (0x01fba, 2, 1, -74),
    (0x01fbc, 1, 1, -9), (0x01fc8, 4, 1, -86), (0x01fcc, 1, 1, -9),
    (0x01fd8, 2, 1, -8), (0x01fda, 2, 1, -100), (0x01fe8, 2, 1, -8),
    (0x01fea, 2, 1, -112), (0x01fec, 1, 1, -7), (0x01ff8, 2, 1, -128),
    (0x01ffa, 2, 1, -126), (0x01ffc, 1, 1, -9), (0x02126, 1, 1, -7517),
    (0x0212a, 1, 1, -8383), (0x0212b, 1, 1, -8262), (0x02132, 1, 1, 28),
    (0x02160, 16, 1, 16), (0x02183, 1, 1, 1), (0x024b6, 26, 1, 26),
    (0x02c00, 48, 1, 48), (0x02c60, 1, 1, 1), (0x02c62, 1, 1, -10743),
    (0x02c63, 1, 1, -3814), (0x02c64, 1, 1, -10727), (0x02c67, 3, 2, 1),
    (0x02c6d, 1, 1, -10780), (0x02c6e, 1, 1, -10749), (0x02c6f, 1, 1, -10783),
    (0x02c70, 1, 1, -10782), (0x02c72, 1, 1, 1), (0x02c75, 1, 1, 1),
    (0x02c7e, 2, 1, -10815), (0x02c80, 50, 2, 1), (0x02ceb, 2, 2, 1),
    (0x02cf2, 1, 1, 1), (0x0a640, 23, 2, 1), (0x0a680, 14, 2, 1),
    (0x0a722, 7, 2, 1), (0x0a732, 31, 2, 1), (0x0a779, 2, 2, 1),
    (0x0a77d, 1, 1, -35332), (0x0a77e, 5, 2, 1), (0x0a78b, 1, 1, 1),
    (0x0a78d, 1, 1, -42280), (0x0a790, 2, 2, 1), (0x0a796, 10, 2, 1),
    (0x0a7aa, 1, 1, -42308), (0x0a7ab, 1, 1, -42319), (0x0a7ac, 1, 1, -42315),
    (0x0a7ad, 1, 1, -42305), (0x0a7ae, 1, 1, -42308), (0x0a7b0, 1, 1, -42258),
    (0x0a7b1, 1, 1, -42282), (0x0a7b2, 1, 1, -42261), (0x0a7b3, 1, 1, 928),
    (0x0a7b4, 8, 2, 1), (0x0a7c4, 1, 1, -48), (0x0a7c5, 1, 1, -42307),
    (0x0a7c6, 1, 1, -35384), (0x0a7c7, 2, 2, 1), (0x0a7cb, 1, 1, -42343),
    (0x0a7cc, 8, 2, 1), (0x0a7dc, 1, 1, -42561), (0x0a7f5, 1, 1, 1),
    (0x0ff21, 26, 1, 32), (0x10400, 40, 1, 40), (0x104b0, 36, 1, 40),
    (0x10570, 11, 1, 39), (0x1057c, 15, 1, 39), (0x1058c, 7, 1, 39),
    (0x10594, 2, 1, 39), (0x10c80, 51, 1, 64), (0x10d50, 22, 1, 32),
    (0x118a0, 32, 1, 32), (0x16e40, 32, 1, 32), (0x16ea0, 25, 1, 27),
    (0x1e900, 34, 1, 34),
];

/// `s` in lowercase (see the module doc for the one difference from std).
pub(crate) fn lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if c == '\u{130}' {
            // Capital I with dot above: the one character that lowers to two.
            out.push('i');
            out.push('\u{307}');
        } else {
            out.push(lower_char(c));
        }
    }
    out
}

/// One character above ASCII in lowercase (not U+0130, which lowers to two).
fn lower_char(c: char) -> char {
    if c == 'Σ' || c == 'ς' {
        return 'σ';
    }
    let u = u32::from(c);
    let at = RUNS.partition_point(|r| r.0 <= u);
    let Some(&(first, count, step, offset)) = at.checked_sub(1).and_then(|i| RUNS.get(i)) else {
        return c;
    };
    let (k, step) = (u - first, u32::from(step));
    if k % step != 0 || k / step >= u32::from(count) {
        return c;
    }
    u.checked_add_signed(offset)
        .and_then(char::from_u32)
        .unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The runs std's lowercase makes, as `RUNS` writes them.
    fn runs_of_std() -> Vec<(u32, u8, u8, i32)> {
        let mut runs: Vec<(u32, u32, u32, i64)> = Vec::new();
        for c in (0x80..=0x10ffff).filter_map(char::from_u32) {
            let l: Vec<char> = c.to_lowercase().collect();
            let &[l] = l.as_slice() else { continue };
            if l == c || c == 'Σ' {
                continue;
            }
            let (u, offset) = (
                u32::from(c),
                i64::from(u32::from(l)) - i64::from(u32::from(c)),
            );
            if let Some(last) = runs.last_mut() {
                let next = last.0 + last.1 * last.2;
                let starts_step = last.1 == 1 && (u - last.0 == 1 || u - last.0 == 2);
                if last.3 == offset && (starts_step || u == next) {
                    if last.1 == 1 {
                        last.2 = u - last.0;
                    }
                    last.1 += 1;
                    continue;
                }
            }
            runs.push((u, 1, 1, offset));
        }
        runs.into_iter()
            .map(|(f, n, s, o)| (f, n as u8, s as u8, o as i32))
            .collect()
    }

    #[test]
    fn the_table_is_std_lowercase() {
        let fresh = runs_of_std();
        let rows: Vec<String> = fresh
            .iter()
            .map(|r| format!("(0x{:05x}, {}, {}, {}),", r.0, r.1, r.2, r.3))
            .collect();
        assert!(
            fresh == RUNS,
            "std's lowercase changed: make RUNS ({} runs)\n{}",
            fresh.len(),
            rows.join(" ")
        );
    }

    #[test]
    fn every_character_lowers_as_std_does_but_sigma() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let ours = lowercase(c.encode_utf8(&mut [0; 4]));
            if matches!(c, 'Σ' | 'ς') {
                assert_eq!(ours, "σ");
            } else {
                assert_eq!(
                    ours,
                    c.to_lowercase().collect::<String>(),
                    "U+{:04X}",
                    u32::from(c)
                );
            }
        }
    }

    #[test]
    fn greek_words_match_in_any_form() {
        assert_eq!(lowercase("ΟΔΥΣΣΕΥΣ"), lowercase("Οδυσσευς"));
        assert_eq!(lowercase("İstanbul ÄÖÜ Ǆ"), "i\u{307}stanbul äöü ǆ");
    }
}
