//! Case conversions for generated names.

/// `InMessage` -> `in_message`, `HTTPRequest` -> `http_request`.
pub(crate) fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let after_lower = i > 0 && (chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit());
            let before_lower = i > 0
                && chars[i - 1].is_uppercase()
                && chars.get(i + 1).is_some_and(|next| next.is_lowercase());
            if after_lower || before_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `created_at` -> `CREATED_AT`.
pub(crate) fn screaming_case(name: &str) -> String {
    snake_case(name).to_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_splits_words_and_acronyms() {
        assert_eq!(snake_case("Message"), "message");
        assert_eq!(snake_case("InMessage"), "in_message");
        assert_eq!(snake_case("HTTPRequest"), "http_request");
        assert_eq!(snake_case("User2Fa"), "user2_fa");
        assert_eq!(snake_case("already_snake"), "already_snake");
    }

    #[test]
    fn screaming_case_of_field_names() {
        assert_eq!(screaming_case("likes"), "LIKES");
        assert_eq!(screaming_case("created_at"), "CREATED_AT");
        assert_eq!(screaming_case("reply_to"), "REPLY_TO");
    }
}
