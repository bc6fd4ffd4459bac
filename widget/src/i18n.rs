//! The widget's own words (the playbook supplies the form's): English,
//! German and Hebrew, everything else falls back to English like the
//! engine's messages; and which way each locale is written.

/// Strings the widget itself shows.
pub struct Ui {
    pub fit: &'static str,
    pub points: &'static str,
    pub preliminary: &'static str,
    pub sending: &'static str,
    pub queued: &'static str,
    pub refused: &'static str,
    pub someone: &'static str,
    pub step: &'static str,
    pub of: &'static str,
    /// The empty first choice of a select.
    pub choose: &'static str,
    pub minute: &'static str,
    pub minutes: &'static str,
    pub hour: &'static str,
    pub hours: &'static str,
    /// A returning visitor's form, with what they told us before left out.
    pub known: &'static str,
    pub not_you: &'static str,
}

static EN: Ui = Ui {
    fit: "Fit",
    points: "points",
    preliminary: "Preliminary: confirmed when you send the form.",
    sending: "Sending…",
    queued: "We could not reach our server just now. Your request is saved in this browser and will be sent automatically.",
    refused: "Sorry, this form could not be sent:",
    someone: "Someone",
    step: "Step",
    of: "of",
    choose: "Please choose",
    minute: "minute",
    minutes: "minutes",
    hour: "hour",
    hours: "hours",
    known: "Welcome back: we still have the details you gave us.",
    not_you: "Not you?",
};

static DE: Ui = Ui {
    fit: "Passung",
    points: "Punkte",
    preliminary: "Vorläufig: wird beim Absenden bestätigt.",
    sending: "Wird gesendet…",
    queued: "Unser Server ist gerade nicht erreichbar. Ihre Anfrage ist in diesem Browser gespeichert und wird automatisch gesendet.",
    refused: "Das Formular konnte leider nicht gesendet werden:",
    someone: "Jemand",
    step: "Schritt",
    of: "von",
    choose: "Bitte wählen",
    minute: "Minute",
    minutes: "Minuten",
    hour: "Stunde",
    hours: "Stunden",
    known: "Willkommen zurück: Ihre Angaben vom letzten Mal haben wir noch.",
    not_you: "Nicht Sie?",
};

static HE: Ui = Ui {
    fit: "התאמה",
    points: "נקודות",
    preliminary: "ראשוני: יאושר עם שליחת הטופס.",
    sending: "שולח…",
    queued: "לא הצלחנו להגיע לשרת שלנו כרגע. הבקשה שלך נשמרה בדפדפן הזה ותישלח אוטומטית.",
    refused: "מצטערים, לא ניתן היה לשלוח את הטופס:",
    someone: "מישהו",
    step: "שלב",
    of: "מתוך",
    choose: "נא לבחור",
    minute: "דקה",
    minutes: "דקות",
    hour: "שעה",
    hours: "שעות",
    known: "ברוכים השבים: הפרטים שמסרת בפעם הקודמת עדיין אצלנו.",
    not_you: "לא את/ה?",
};

/// Languages written right to left, by primary subtag.
const RTL: [&str; 12] = [
    "ar", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi",
];

/// `Some("rtl")` for a locale written right to left: the form's `dir`.
pub fn dir(lang: &str) -> Option<&'static str> {
    let primary = lang.split(['-', '_']).next().unwrap_or(lang);
    RTL.iter()
        .any(|r| r.eq_ignore_ascii_case(primary))
        .then_some("rtl")
}

pub fn ui(lang: &str) -> &'static Ui {
    if lang == "de" {
        &DE
    } else if lang == "he" {
        &HE
    } else {
        &EN
    }
}

/// "15 minutes", "1 hour", "24 hours": whole hours read as hours.
pub fn duration(ui: &Ui, minutes: u32) -> String {
    let (n, one, many) = if minutes >= 60 && minutes.is_multiple_of(60) {
        (minutes / 60, ui.hour, ui.hours)
    } else {
        (minutes, ui.minute, ui.minutes)
    };
    let mut s = n.to_string();
    s.push(' ');
    s.push_str(if n == 1 { one } else { many });
    s
}

/// Fills `{rep}`, `{team}` and `{sla}` in a playbook text.
pub fn fill(template: &str, rep: &str, team: &str, sla: &str) -> String {
    template
        .replace("{rep}", rep)
        .replace("{team}", team)
        .replace("{sla}", sla)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally_in_english_and_german() {
        assert_eq!(duration(ui("en"), 15), "15 minutes");
        assert_eq!(duration(ui("en"), 1), "1 minute");
        assert_eq!(duration(ui("en"), 60), "1 hour");
        assert_eq!(duration(ui("en"), 1440), "24 hours");
        assert_eq!(duration(ui("en"), 90), "90 minutes");
        assert_eq!(duration(ui("de"), 15), "15 Minuten");
        assert_eq!(duration(ui("de"), 60), "1 Stunde");
        assert_eq!(duration(ui("de"), 1440), "24 Stunden");
        assert_eq!(duration(ui("he"), 60), "1 שעה");
    }

    #[test]
    fn right_to_left_by_language_whatever_the_region() {
        assert_eq!(dir("he"), Some("rtl"));
        assert_eq!(dir("ar-EG"), Some("rtl"));
        assert_eq!(dir("FA_ir"), Some("rtl"));
        assert_eq!(dir("en"), None);
        assert_eq!(dir("de-AT"), None);
        assert_eq!(dir(""), None);
    }

    #[test]
    fn templates_name_the_rep_team_and_deadline() {
        assert_eq!(
            fill(
                "{rep} from {team} will contact you within {sla}.",
                "Ana Souza",
                "EMEA Enterprise",
                "15 minutes"
            ),
            "Ana Souza from EMEA Enterprise will contact you within 15 minutes."
        );
    }
}
