//! Field error messages in the visitor's language. Built in for English and
//! German; any other locale falls back to English.

use crate::wire::FieldErrorCode;

/// Numbers a message may mention.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Limits {
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub max_length: Option<u32>,
}

pub(crate) fn field_error(lang: &str, code: FieldErrorCode, l: Limits) -> String {
    use FieldErrorCode as C;
    // A number beyond what a whole number holds is too large (or small) even
    // for a field without `max` (`min`): say so without naming a limit.
    let len = l.max_length.map_or(String::new(), |v| v.to_string());
    match lang {
        "de" => match code {
            C::Required => "Bitte füllen Sie dieses Feld aus.".to_owned(),
            C::TooLong => format!("Bitte höchstens {len} Zeichen eingeben."),
            C::InvalidEmail => {
                "Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@firma.de.".to_owned()
            }
            C::InvalidPhone => {
                "Bitte geben Sie eine Telefonnummer mit 6 bis 15 Ziffern ein.".to_owned()
            }
            C::NotANumber => "Bitte geben Sie eine ganze Zahl ein.".to_owned(),
            C::TooSmall => match l.min {
                Some(m) => format!("Bitte geben Sie mindestens {m} ein."),
                None => "Bitte geben Sie eine größere Zahl ein.".to_owned(),
            },
            C::TooLarge => match l.max {
                Some(m) => format!("Bitte geben Sie höchstens {m} ein."),
                None => "Bitte geben Sie eine kleinere Zahl ein.".to_owned(),
            },
            C::UnknownOption => "Bitte wählen Sie eine der angebotenen Optionen.".to_owned(),
            C::MustAccept => "Bitte stimmen Sie zu, um fortzufahren.".to_owned(),
            C::WrongType => "Dieser Wert passt nicht zu diesem Feld.".to_owned(),
        },
        _ => match code {
            C::Required => "Please fill in this field.".to_owned(),
            C::TooLong => format!("Please use at most {len} characters."),
            C::InvalidEmail => {
                "Please enter a valid email address, like name@company.com.".to_owned()
            }
            C::InvalidPhone => "Please enter a phone number with 6 to 15 digits.".to_owned(),
            C::NotANumber => "Please enter a whole number.".to_owned(),
            C::TooSmall => match l.min {
                Some(m) => format!("Please enter {m} or more."),
                None => "Please enter a larger number.".to_owned(),
            },
            C::TooLarge => match l.max {
                Some(m) => format!("Please enter {m} or less."),
                None => "Please enter a smaller number.".to_owned(),
            },
            C::UnknownOption => "Please choose one of the options.".to_owned(),
            C::MustAccept => "Please agree to continue.".to_owned(),
            C::WrongType => "This value does not fit this field.".to_owned(),
        },
    }
}
