//! The filter language: a [`Filter`] written as text, for a command line or a search
//! box. `likes > 10 and author = "ada"`, `tags contains "rust"`, `reply_to is none`,
//! `profile.name starts_with "A"`, `id in [1, 2, 3]`, `likes between 10 and 20`,
//! `not (a = 1 or b != 2)`.
//!
//! ```text
//! filter     := or
//! or         := xor ("or" xor)*
//! xor        := and ("xor" and)*
//! and        := unary ("and" unary)*
//! unary      := "not" unary | "(" or ")" | condition
//! condition  := path ( ("=" | "==" | "!=" | ">" | ">=" | "<" | "<=") value
//!                    | ("contains" | "starts_with" | "ends_with") value
//!                    | "is" ["not"] ("none" | "null")
//!                    | "in" "[" [value ("," value)*] "]"
//!                    | "between" value "and" value )
//! path       := name ("." name)*
//! value      := number | "string" | true | false | none | null | name (an enum variant)
//! ```
//!
//! Keywords are lowercase. Strings take `\"`, `\\`, `\n`, `\t` and `\u{..}` escapes.
//! An integer is compared by value with a field of any numeric type; a number with a
//! `.` or an exponent is a float.

use super::filter::Filter;
use super::value::AnyValue;
use crate::{Error, Result};

impl Filter {
    /// Parses a filter written in the filter language (see the module documentation of
    /// [`insula::dynamic`](crate::dynamic)). An error says at which column (counted in
    /// characters, from 1) the text goes wrong: [`Error::FilterSyntax`].
    ///
    /// ```
    /// use insula::dynamic::Filter;
    ///
    /// let filter = Filter::parse(r#"likes > 10 and (author = "ada" or tags contains "rust")"#)?;
    /// assert_eq!(filter, Filter::gt("likes", 10u64).and(Filter::eq("author", "ada").or(Filter::contains("tags", "rust"))));
    /// let error = Filter::parse("likes >> 10").unwrap_err();
    /// assert_eq!(error.to_string(), "filter, column 8: expected a value, found `>`");
    /// # Ok::<(), insula::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Filter> {
        let tokens = tokenize(text)?;
        let mut parser = Parser { tokens, at: 0, end: text.chars().count() + 1 };
        let filter = parser.or()?;
        match parser.peek() {
            None => Ok(filter),
            Some(token) => {
                Err(syntax(token.column, format!("expected `and`, `or` or the end, found {}", token.kind)))
            }
        }
    }
}

fn syntax(column: usize, reason: String) -> Error {
    Error::FilterSyntax { column, reason }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Str(String),
    Number(String),
    Symbol(&'static str),
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Kind::Word(word) | Kind::Number(word) => write!(f, "`{word}`"),
            Kind::Str(text) => write!(f, "the string {text:?}"),
            Kind::Symbol(symbol) => write!(f, "`{symbol}`"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    /// Where it starts, in characters from 1.
    column: usize,
}

const SYMBOLS: [&str; 12] = ["==", "!=", ">=", "<=", "=", ">", "<", "(", ")", "[", "]", ","];

fn tokenize(text: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let column = at + 1;
        let c = chars[at];
        if c.is_whitespace() {
            at += 1;
        } else if c == '"' {
            let (text, next) = string(&chars, at)?;
            tokens.push(Token { kind: Kind::Str(text), column });
            at = next;
        } else if c.is_ascii_digit() || (c == '-' && chars.get(at + 1).is_some_and(char::is_ascii_digit)) {
            let start = at;
            at += 1;
            while at < chars.len()
                && (chars[at].is_ascii_alphanumeric()
                    || chars[at] == '.'
                    || ((chars[at] == '-' || chars[at] == '+') && matches!(chars[at - 1], 'e' | 'E')))
            {
                at += 1;
            }
            tokens.push(Token { kind: Kind::Number(chars[start..at].iter().collect()), column });
        } else if c.is_alphabetic() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_' || chars[at] == '.') {
                at += 1;
            }
            tokens.push(Token { kind: Kind::Word(chars[start..at].iter().collect()), column });
        } else {
            let rest: String = chars[at..chars.len().min(at + 2)].iter().collect();
            let Some(symbol) = SYMBOLS.iter().find(|symbol| rest.starts_with(**symbol)) else {
                return Err(syntax(column, format!("unexpected `{c}`")));
            };
            tokens.push(Token { kind: Kind::Symbol(symbol), column });
            at += symbol.len();
        }
    }
    Ok(tokens)
}

/// The string that starts with the quote at `start`, and where it ends.
fn string(chars: &[char], start: usize) -> Result<(String, usize)> {
    let mut text = String::new();
    let mut at = start + 1;
    loop {
        match chars.get(at) {
            None => return Err(syntax(start + 1, "a string that does not end".to_owned())),
            Some('"') => return Ok((text, at + 1)),
            Some('\\') => {
                let escaped = match chars.get(at + 1) {
                    Some('"') => '"',
                    Some('\\') => '\\',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('u') if chars.get(at + 2) == Some(&'{') => {
                        let close = (at + 3..chars.len()).find(|&i| chars[i] == '}');
                        let code = close
                            .map(|close| chars[at + 3..close].iter().collect::<String>())
                            .and_then(|hex| u32::from_str_radix(&hex, 16).ok())
                            .and_then(char::from_u32);
                        match (code, close) {
                            (Some(code), Some(close)) => {
                                text.push(code);
                                at = close + 1;
                                continue;
                            }
                            _ => {
                                return Err(syntax(
                                    at + 1,
                                    "a `\\u{..}` escape that is not a character".to_owned(),
                                ));
                            }
                        }
                    }
                    _ => {
                        return Err(syntax(
                            at + 1,
                            "an unknown escape; use \\\", \\\\, \\n, \\t or \\u{..}".to_owned(),
                        ));
                    }
                };
                text.push(escaped);
                at += 2;
            }
            Some(&c) => {
                text.push(c);
                at += 1;
            }
        }
    }
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// The column just past the text, for errors at its end.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self, expected: &str) -> Result<Token> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| syntax(self.end, format!("expected {expected}, found the end")))?;
        self.at += 1;
        Ok(token)
    }

    /// Takes the keyword or symbol `what` if it comes next.
    fn eat(&mut self, what: &str) -> bool {
        let found = match self.peek().map(|token| &token.kind) {
            Some(Kind::Word(word)) => word == what,
            Some(Kind::Symbol(symbol)) => *symbol == what,
            _ => false,
        };
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, what: &str) -> Result<()> {
        let token = self.next(&format!("`{what}`"))?;
        let found = match &token.kind {
            Kind::Word(word) => word == what,
            Kind::Symbol(symbol) => *symbol == what,
            _ => false,
        };
        if found {
            Ok(())
        } else {
            Err(syntax(token.column, format!("expected `{what}`, found {}", token.kind)))
        }
    }

    fn or(&mut self) -> Result<Filter> {
        let mut filter = self.xor()?;
        while self.eat("or") {
            filter = filter.or(self.xor()?);
        }
        Ok(filter)
    }

    fn xor(&mut self) -> Result<Filter> {
        let mut filter = self.and()?;
        while self.eat("xor") {
            filter = filter.xor(self.and()?);
        }
        Ok(filter)
    }

    fn and(&mut self) -> Result<Filter> {
        let mut filter = self.unary()?;
        while self.eat("and") {
            filter = filter.and(self.unary()?);
        }
        Ok(filter)
    }

    fn unary(&mut self) -> Result<Filter> {
        if self.eat("not") {
            return Ok(self.unary()?.not());
        }
        if self.eat("(") {
            let filter = self.or()?;
            self.expect(")")?;
            return Ok(filter);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Filter> {
        let token = self.next("a field name")?;
        let path = match &token.kind {
            Kind::Word(word) if !is_keyword(word) && !word.ends_with('.') && !word.contains("..") => {
                word.clone()
            }
            kind => return Err(syntax(token.column, format!("expected a field name, found {kind}"))),
        };
        let operator = self.next("an operator")?;
        let path = path.as_str();
        Ok(match &operator.kind {
            Kind::Symbol("=" | "==") => Filter::eq(path, self.value()?),
            Kind::Symbol("!=") => Filter::ne(path, self.value()?),
            Kind::Symbol(">") => Filter::gt(path, self.value()?),
            Kind::Symbol(">=") => Filter::ge(path, self.value()?),
            Kind::Symbol("<") => Filter::lt(path, self.value()?),
            Kind::Symbol("<=") => Filter::le(path, self.value()?),
            Kind::Word(word) if word == "contains" => Filter::contains(path, self.value()?),
            Kind::Word(word) if word == "starts_with" => Filter::starts_with(path, &self.text()?),
            Kind::Word(word) if word == "ends_with" => Filter::ends_with(path, &self.text()?),
            Kind::Word(word) if word == "is" => {
                let negated = self.eat("not");
                if !(self.eat("none") || self.eat("null")) {
                    let token = self.next("`none`")?;
                    return Err(syntax(token.column, format!("expected `none`, found {}", token.kind)));
                }
                if negated { Filter::is_none(path).not() } else { Filter::is_none(path) }
            }
            Kind::Word(word) if word == "in" => {
                self.expect("[")?;
                let mut values = Vec::new();
                if !self.eat("]") {
                    loop {
                        values.push(self.value()?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Filter::any_of(path, values)
            }
            Kind::Word(word) if word == "between" => {
                let lower = self.value()?;
                self.expect("and")?;
                Filter::between(path, lower, self.value()?)
            }
            kind => {
                return Err(syntax(
                    operator.column,
                    format!(
                        "expected an operator (=, !=, >, >=, <, <=, contains, starts_with, ends_with, is none, in, between), found {kind}"
                    ),
                ));
            }
        })
    }

    fn value(&mut self) -> Result<AnyValue> {
        let token = self.next("a value")?;
        let column = token.column;
        match token.kind {
            Kind::Str(text) => Ok(AnyValue::String(text)),
            Kind::Number(number) => {
                parse_number(&number).ok_or_else(|| syntax(column, format!("`{number}` is not a number")))
            }
            Kind::Word(word) => Ok(match word.as_str() {
                "true" => AnyValue::Bool(true),
                "false" => AnyValue::Bool(false),
                "none" | "null" => AnyValue::Null,
                _ if is_keyword(&word) => {
                    return Err(syntax(column, format!("expected a value, found `{word}`")));
                }
                // A bare name: an enum variant (an enum field also accepts a string).
                _ => AnyValue::Enum(word),
            }),
            kind => Err(syntax(column, format!("expected a value, found {kind}"))),
        }
    }

    fn text(&mut self) -> Result<String> {
        let token = self.next("a string")?;
        match token.kind {
            Kind::Str(text) => Ok(text),
            kind => Err(syntax(token.column, format!("expected a string, found {kind}"))),
        }
    }
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "or"
            | "not"
            | "is"
            | "in"
            | "between"
            | "contains"
            | "starts_with"
            | "ends_with"
            | "none"
            | "null"
    )
}

/// An integer as `U64` (or `I64` when negative), anything else with a `.` or an
/// exponent as `F64`.
fn parse_number(text: &str) -> Option<AnyValue> {
    if let Ok(value) = text.parse::<u64>() {
        return Some(AnyValue::U64(value));
    }
    if let Ok(value) = text.parse::<i64>() {
        return Some(AnyValue::I64(value));
    }
    if !text.contains(['.', 'e', 'E']) {
        return None;
    }
    text.parse::<f64>().ok().filter(|value| value.is_finite()).map(AnyValue::F64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(text: &str) -> (usize, String) {
        match Filter::parse(text) {
            Err(Error::FilterSyntax { column, reason }) => (column, reason),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn every_form_parses_into_its_filter() {
        let cases = [
            ("a = 1", Filter::eq("a", 1u64)),
            ("a == -2", Filter::eq("a", -2i64)),
            ("a != 1.5", Filter::ne("a", 1.5f64)),
            ("a > 1e3", Filter::gt("a", 1000.0f64)),
            ("a >= 0", Filter::ge("a", 0u64)),
            ("a < \"x\\\"y\"", Filter::lt("a", "x\"y")),
            ("a <= true", Filter::le("a", true)),
            ("p.q contains \"r\"", Filter::contains("p.q", "r")),
            ("a starts_with \"\\u{e9}\"", Filter::starts_with("a", "é")),
            ("a ends_with \"z\"", Filter::ends_with("a", "z")),
            ("a is none", Filter::is_none("a")),
            ("a is not null", Filter::is_none("a").not()),
            ("a in [1, 2]", Filter::any_of("a", [1u64, 2])),
            ("a in []", Filter::any_of("a", Vec::<u64>::new())),
            ("a between 1 and 2", Filter::between("a", 1u64, 2u64)),
            ("mood = Sad", Filter::eq("mood", AnyValue::Enum("Sad".into()))),
            (
                "not a = 1 and b = 2 or c = 3",
                Filter::eq("a", 1u64).not().and(Filter::eq("b", 2u64)).or(Filter::eq("c", 3u64)),
            ),
            (
                "a = 1 or b = 2 and c = 3",
                Filter::eq("a", 1u64).or(Filter::eq("b", 2u64).and(Filter::eq("c", 3u64))),
            ),
            (
                "(a = 1 or b = 2) and c = none",
                Filter::eq("a", 1u64).or(Filter::eq("b", 2u64)).and(Filter::eq("c", AnyValue::Null)),
            ),
            (
                "a = 1 xor b = 2 or c = 3",
                Filter::eq("a", 1u64).xor(Filter::eq("b", 2u64)).or(Filter::eq("c", 3u64)),
            ),
            (
                "a = 1 xor b = 2 and c = 3",
                Filter::eq("a", 1u64).xor(Filter::eq("b", 2u64).and(Filter::eq("c", 3u64))),
            ),
        ];
        for (text, filter) in cases {
            assert_eq!(Filter::parse(text).unwrap(), filter, "{text}");
        }
    }

    #[test]
    fn errors_point_at_their_column() {
        assert_eq!(column("likes >> 10"), (8, "expected a value, found `>`".to_owned()));
        assert_eq!(column("likes > 10 and"), (15, "expected a field name, found the end".to_owned()));
        assert_eq!(column("author = \"ada"), (10, "a string that does not end".to_owned()));
        assert_eq!(column("a = 1 b = 2").0, 7);
        assert_eq!(column("(a = 1").0, 7);
        assert_eq!(column("a like 1").0, 3);
        assert_eq!(column("a = 1 & b = 2"), (7, "unexpected `&`".to_owned()));
        assert_eq!(column("é = 1 and = 2").0, 11);
        assert_eq!(column("a is 1").0, 6);
        assert_eq!(column("a in [1 2]").0, 9);
        assert_eq!(column("a = 12x").0, 5);
        assert_eq!(column("a starts_with 1").0, 15);
    }
}
