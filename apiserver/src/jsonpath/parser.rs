//! The parser of client-go's `util/jsonpath`, ported rule for rule so that expressions parse
//! (and fail) as they do for kube-apiserver and kubectl.

use std::sync::LazyLock;

use regex::Regex;

/// One step of an action.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Node {
    /// A quoted string, or text outside actions: evaluates to itself.
    Text(String),
    /// `.name`; the empty name (`{.}`) is the current value.
    Field(String),
    /// `[start:end:step]`, including `[n]` and `[*]`.
    Slice([Param; 3]),
    /// `[a,b]`: each alternative evaluated on the same input, results concatenated.
    Union(Vec<Vec<Node>>),
    /// `[?(left op right)]`, or `[?(left)]` with `operator` "exists".
    Filter {
        left: Vec<Node>,
        operator: String,
        right: Vec<Node>,
    },
    /// `.*` or `[*]` on an object.
    Wildcard,
    /// `..`: the current value and every container below it.
    Recursive,
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A bare word such as `range` or `end`; parses, but does not evaluate here.
    Identifier(String),
}

/// One bound of a slice, as client-go's `ParamsEntry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Param {
    pub(super) value: i64,
    pub(super) known: bool,
    /// The end of `[n]`, derived as `n + 1`.
    pub(super) derived: bool,
}

/// A template: literal text and `{...}` actions.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Segment {
    Text(String),
    Action(Vec<Node>),
}

/// Parses a template, such as `{.metadata.name}` or `name: {.metadata.name}`.
pub(super) fn parse_template(input: &str) -> Result<Vec<Segment>, String> {
    let mut parser = Parser { input, pos: 0 };
    let mut segments = Vec::new();
    let mut text_start = 0;
    while let Some(c) = parser.peek() {
        if c == '{' {
            if parser.pos > text_start {
                segments.push(Segment::Text(input[text_start..parser.pos].to_owned()));
            }
            parser.pos += 1;
            segments.push(Segment::Action(parser.parse_action()?));
            text_start = parser.pos;
        } else {
            parser.pos += c.len_utf8();
        }
    }
    if parser.pos > text_start {
        segments.push(Segment::Text(input[text_start..].to_owned()));
    }
    Ok(segments)
}

/// Parses `text` as the inside of one action (client-go's `parseAction`).
fn parse_nodes(text: &str) -> Result<Vec<Node>, String> {
    let segments = parse_template(&format!("{{{text}}}"))?;
    match segments.into_iter().next() {
        Some(Segment::Action(nodes)) => Ok(nodes),
        _ => Ok(Vec::new()),
    }
}

/// Whether `c` ends a field name or identifier.
fn is_terminator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
    )
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.input[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// The character before the last one read.
    fn before_last(&self) -> Option<char> {
        let mut back = self.input[..self.pos].chars().rev();
        back.next();
        back.next()
    }

    /// Reads up to (not including) the next unescaped terminator.
    fn take_word(&mut self) -> &str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c == '\\' {
                self.next();
                self.next();
            } else if is_terminator(c) {
                break;
            } else {
                self.next();
            }
        }
        &self.input[start..self.pos]
    }

    /// Parses after `{` up to and including the matching `}`.
    fn parse_action(&mut self) -> Result<Vec<Node>, String> {
        let mut nodes = Vec::new();
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                return Ok(nodes);
            }
            if rest.starts_with("[?(") {
                self.pos += 3;
                nodes.push(self.parse_filter()?);
                continue;
            }
            if rest.starts_with("..") {
                if nodes.last() == Some(&Node::Recursive) {
                    return Err("invalid multiple recursive descent".to_owned());
                }
                self.pos += 2;
                nodes.push(Node::Recursive);
                if self.peek().is_some_and(is_alphanumeric) {
                    nodes.push(self.parse_field());
                }
                continue;
            }
            match self.peek() {
                None | Some('\r' | '\n') => return Err("unclosed action".to_owned()),
                // `@` and `$` name the current value, which is where evaluation already is.
                Some(' ' | '@' | '$') => self.pos += 1,
                Some('[') => {
                    self.pos += 1;
                    nodes.push(self.parse_array()?);
                }
                Some(quote @ ('"' | '\'')) => nodes.push(self.parse_quote(quote)?),
                Some('.') => {
                    self.pos += 1;
                    nodes.push(self.parse_field());
                }
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    nodes.push(self.parse_number()?);
                }
                Some(c) if is_alphanumeric(c) => {
                    let word = self.take_word();
                    nodes.push(match word {
                        "true" => Node::Bool(true),
                        "false" => Node::Bool(false),
                        _ => Node::Identifier(word.to_owned()),
                    });
                }
                Some(c) => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        u32::from(c)
                    ));
                }
            }
        }
    }

    /// A field name after `.`; backslashes escape terminators (`kubernetes\.io/name`).
    fn parse_field(&mut self) -> Node {
        let name = self.take_word().replace('\\', "");
        if name == "*" {
            Node::Wildcard
        } else {
            Node::Field(name)
        }
    }

    fn parse_number(&mut self) -> Result<Node, String> {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.next();
        }
        while self.peek().is_some_and(|c| c == '.' || c.is_ascii_digit()) {
            self.next();
        }
        let text = &self.input[start..self.pos];
        if let Ok(int) = text.parse::<i64>() {
            return Ok(Node::Int(int));
        }
        text.parse::<f64>()
            .map(Node::Float)
            .map_err(|_| format!("cannot parse number {text}"))
    }

    /// After `[`: an index, a slice, a union or a quoted key.
    fn parse_array(&mut self) -> Result<Node, String> {
        let start = self.pos;
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".to_owned()),
                Some(']') => break,
                Some(_) => {}
            }
        }
        let text = &self.input[start..self.pos - 1];
        let text = if text == "*" { ":" } else { text };
        if text.contains(',') {
            let alternatives = text
                .split(',')
                .map(|part| parse_nodes(&format!("[{}]", part.trim_matches(' '))))
                .collect::<Result<_, _>>()?;
            return Ok(Node::Union(alternatives));
        }
        // NB: client-go re-parses `['a.b']` as `.a.b`, two fields. We keep the quoted key whole,
        // which is what anyone writing the brackets means; double quotes work too.
        for quote in ['\'', '"'] {
            if let Some(key) = text
                .strip_prefix(quote)
                .and_then(|t| t.strip_suffix(quote))
                .filter(|k| !k.contains(quote))
            {
                return Ok(Node::Field(key.to_owned()));
            }
        }
        parse_slice(text).map(Node::Slice)
    }

    /// After `[?(`, up to and including `)]`.
    fn parse_filter(&mut self) -> Result<Node, String> {
        static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^([^!<>=]+)([!<>=]+)(.+?)$").expect("the filter pattern is valid")
        });
        let start = self.pos;
        let (mut begin, mut end, mut pair) = (false, false, '"');
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".to_owned()),
                Some(quote @ ('"' | '\'')) => {
                    if !begin {
                        (begin, pair) = (true, quote);
                    } else if quote == pair && self.before_last() != Some('\\') {
                        end = true;
                    }
                }
                // Quotes appear at most once in a condition, so a `)` outside them ends it.
                Some(')') if begin == end => break,
                Some(_) => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".to_owned());
        }
        let text = &self.input[start..self.pos - 2];
        match CONDITION.captures(text) {
            None => Ok(Node::Filter {
                left: parse_nodes(text)?,
                operator: "exists".to_owned(),
                right: Vec::new(),
            }),
            Some(parts) => Ok(Node::Filter {
                left: parse_nodes(&parts[1])?,
                operator: parts[2].to_owned(),
                right: parse_nodes(&parts[3])?,
            }),
        }
    }

    /// A quoted string, unescaped.
    fn parse_quote(&mut self, quote: char) -> Result<Node, String> {
        let start = self.pos;
        self.next();
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".to_owned()),
                Some(c) if c == quote && self.before_last() != Some('\\') => break,
                Some(_) => {}
            }
        }
        let quoted = &self.input[start..self.pos];
        unquote(&quoted[1..quoted.len() - 1])
            .map(Node::Text)
            .ok_or_else(|| format!("unquote string {quoted} error invalid syntax"))
    }
}

/// `start:end:step`, each part `-?\d*`, as client-go's slice pattern.
fn parse_slice(text: &str) -> Result<[Param; 3], String> {
    let parts: Vec<&str> = text.split(':').collect();
    let well_formed = parts.len() <= 3
        && parts.iter().all(|p| {
            let digits = p.strip_prefix('-').unwrap_or(p);
            digits.chars().all(|c| c.is_ascii_digit())
        });
    if !well_formed {
        return Err(format!("invalid array index {text}"));
    }
    let number = |part: &str| {
        part.parse::<i64>()
            .map_err(|_| format!("array index {part} is not a number"))
    };
    let mut params = [Param::default(); 3];
    if !parts[0].is_empty() {
        params[0] = Param {
            value: number(parts[0])?,
            known: true,
            derived: false,
        };
    }
    params[1] = match parts.get(1) {
        // `[n]` selects one element: the end is derived.
        None => Param {
            value: params[0].value + 1,
            known: true,
            derived: true,
        },
        Some(&"") => Param::default(),
        Some(part) => Param {
            value: number(part)?,
            known: true,
            derived: false,
        },
    };
    if let Some(part) = parts.get(2).filter(|p| !p.is_empty()) {
        params[2] = Param {
            value: number(part)?,
            known: true,
            derived: false,
        };
    }
    Ok(params)
}

/// Go's `strconv.Unquote` escapes; `None` for an invalid one.
fn unquote(body: &str) -> Option<String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let escaped = match chars.next()? {
            'a' => '\u{7}',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\u{b}',
            c @ ('\\' | '\'' | '"') => c,
            hex @ ('x' | 'u' | 'U') => {
                let width = match hex {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let digits: String = chars.by_ref().take(width).collect();
                let code = u32::from_str_radix(&digits, 16).ok()?;
                char::from_u32(code).filter(|_| digits.len() == width)?
            }
            _ => return None,
        };
        out.push(escaped);
    }
    Some(out)
}
