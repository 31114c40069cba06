//! Unicode hygiene shared by emails, email domains and display names: NFC,
//! characters that cannot be seen, and domain labels that mix scripts. The
//! data is ICU4X's, the same tables `idna` uses for UTS 46.

use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{GeneralCategory, Script};
use icu_properties::{CodePointMapData, PropertyNamesLong};
use std::borrow::Cow;

/// The NFC form of `text`: `é` typed as `e` + U+0301 and as U+00E9 compare equal.
pub fn nfc(text: &str) -> Cow<'_, str> {
    ComposingNormalizerBorrowed::new_nfc().normalize(text)
}

/// Characters that render as nothing or reorder the text around them: controls
/// (Cc), format characters (Cf: zero-width spaces and joiners, U+200E/U+200F
/// marks, U+202A..U+202E and U+2066..U+2069 embeddings and isolates, U+2060..U+2064,
/// U+FEFF, soft hyphen, tags) and the line and paragraph separators. An address or
/// name carrying one can look exactly like another.
pub fn is_invisible(c: char) -> bool {
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// The first invisible character of `text`, written `U+200B`, for messages.
pub fn first_invisible(text: &str) -> Option<String> {
    text.chars()
        .find(|c| is_invisible(*c))
        .map(|c| format!("U+{:04X}", u32::from(c)))
}

/// Script combinations a single label may use (UTS 39's "highly restrictive"
/// level): Japanese, Chinese with Bopomofo, Korean, each possibly with Latin.
const ALLOWED_MIXES: &[&[Script]] = &[
    &[
        Script::Latin,
        Script::Han,
        Script::Hiragana,
        Script::Katakana,
    ],
    &[Script::Latin, Script::Han, Script::Bopomofo],
    &[Script::Latin, Script::Han, Script::Hangul],
];

/// When a domain label (in its Unicode form) mixes scripts that are not
/// written together, such as Latin with Cyrillic (`pаypal`, with a Cyrillic
/// `а`), the names of the scripts it mixes. Digits, hyphens and combining marks
/// belong to no script and are ignored.
pub fn mixed_scripts(label: &str) -> Option<Vec<&'static str>> {
    let scripts_of = CodePointMapData::<Script>::new();
    let mut scripts: Vec<Script> = Vec::new();
    for c in label.chars() {
        let script = scripts_of.get(c);
        if script != Script::Common && script != Script::Inherited && !scripts.contains(&script) {
            scripts.push(script);
        }
    }
    if scripts.len() < 2
        || ALLOWED_MIXES
            .iter()
            .any(|mix| scripts.iter().all(|s| mix.contains(s)))
    {
        return None;
    }
    let names = PropertyNamesLong::<Script>::new();
    Some(
        scripts
            .into_iter()
            .map(|s| names.get(s).unwrap_or("another script"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_bidirectional_characters_are_recognised() {
        for c in [
            '\u{0}',
            '\u{7}',
            '\u{7f}',
            '\u{ad}',
            '\u{200b}',
            '\u{200c}',
            '\u{200d}',
            '\u{200e}',
            '\u{200f}',
            '\u{202a}',
            '\u{202e}',
            '\u{2028}',
            '\u{2029}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", u32::from(c));
        }
        for c in ['a', 'é', 'ж', '木', ' ', '-', '.', '\u{301}'] {
            assert!(!is_invisible(c), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn labels_of_one_script_or_a_usual_mix_are_not_mixed() {
        for label in [
            "example",
            "exämple",
            "пример",
            "παράδειγμα",
            "例え",
            "ひらがなカタカナ漢字abc",
            "한국어漢字",
            "b2b-shop",
            "123",
        ] {
            assert_eq!(mixed_scripts(label), None, "{label:?}");
        }
    }

    #[test]
    fn labels_mixing_confusable_scripts_are_named() {
        for (label, scripts) in [
            ("pаypal", vec!["Latin", "Cyrillic"]),
            ("аpple", vec!["Cyrillic", "Latin"]),
            ("gοogle", vec!["Latin", "Greek"]),
            ("пpимep", vec!["Cyrillic", "Latin"]),
        ] {
            assert_eq!(mixed_scripts(label), Some(scripts), "{label:?}");
        }
    }

    #[test]
    fn nfc_composes() {
        assert_eq!(nfc("e\u{301}"), "\u{e9}");
        assert_eq!(nfc("\u{e9}"), "\u{e9}");
    }
}
