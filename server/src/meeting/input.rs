//! What people type, checked before a command takes it: trimmed, not
//! empty, not too long, no control characters.

use crate::meeting::error::MeetingError;

/// `value` trimmed, refused (naming it `what`) if empty, longer than
/// `max` characters or holding a control character.
pub(crate) fn clean_text(what: &str, value: &str, max: usize) -> Result<String, MeetingError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(MeetingError::invalid(format!("{what} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(MeetingError::invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(MeetingError::invalid(format!(
            "{what} must not contain control characters"
        )));
    }
    Ok(value.to_owned())
}
