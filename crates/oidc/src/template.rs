//! The part of Go's `text/template` that Fulcio's CI-provider templates use, executed the way
//! Fulcio executes them (`missingkey=error` over a `map[string]string`).
//!
//! Supported: literal text; `{{ .key }}`; `{{ index . "key" }}` (a missing key gives `""`, as in
//! Go); string literals (`"..."` with Go escapes, or backquoted); `eq a b [c...]`; parentheses;
//! `{{ if X }}…{{ else if Y }}…{{ else }}…{{ end }}`; trim markers `{{- ` and ` -}}`; comments
//! `{{/* … */}}`. Anything else is a parse error at configuration time, never at signing time.
//!
//! A configured value without `{{` is not a template but a key name whose value is copied
//! ([`ValueTemplate`]).

use std::collections::BTreeMap;

use thiserror::Error;

/// Deepest nesting of `if` blocks and parentheses accepted.
const MAX_DEPTH: usize = 16;

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("template syntax error at byte {offset}: {reason}")]
pub struct TemplateSyntaxError {
    /// Byte offset in the template where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

/// Why a template could not be rendered for a token.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A key the template needs is neither a token claim nor a default value.
    #[error("{key:?} is neither a token claim nor a default template value")]
    MissingKey {
        /// The key.
        key: String,
    },
    /// `eq` compared a string with a boolean.
    #[error("eq compares values of different types")]
    IncomparableTypes,
}

/// A configured value: a template when it contains `{{`, otherwise the name of the key whose
/// value it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueTemplate {
    /// Copy the value of this key.
    Key(String),
    /// Execute this template.
    Template(Template),
}

impl ValueTemplate {
    /// Parse a configured value.
    pub fn parse(source: &str) -> Result<Self, TemplateSyntaxError> {
        if source.contains("{{") {
            Template::parse(source).map(ValueTemplate::Template)
        } else {
            Ok(ValueTemplate::Key(source.to_owned()))
        }
    }

    /// Produce the value from the data (claims over defaults).
    pub fn render(&self, data: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        match self {
            ValueTemplate::Key(key) => data
                .get(key)
                .cloned()
                .ok_or_else(|| TemplateError::MissingKey { key: key.clone() }),
            ValueTemplate::Template(template) => template.render(data),
        }
    }
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Print(Expr),
    If {
        condition: Expr,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Field(String),
    Index(String),
    Literal(String),
    Eq(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Val {
    Str(String),
    Bool(bool),
}

impl Template {
    /// Parse a template.
    pub fn parse(source: &str) -> Result<Self, TemplateSyntaxError> {
        let items = lex(source)?;
        let mut cursor = Cursor { items, next: 0 };
        let (nodes, end) = cursor.parse_list(0)?;
        match end {
            ListEnd::Eof => Ok(Template { nodes }),
            ListEnd::Else { offset } | ListEnd::ElseIf { offset, .. } => Err(TemplateSyntaxError {
                offset,
                reason: "{{else}} outside {{if}}",
            }),
            ListEnd::End { offset } => Err(TemplateSyntaxError {
                offset,
                reason: "{{end}} outside {{if}}",
            }),
        }
    }

    /// Execute the template over the data.
    pub fn render(&self, data: &BTreeMap<String, String>) -> Result<String, TemplateError> {
        let mut out = String::new();
        render_nodes(&self.nodes, data, &mut out)?;
        Ok(out)
    }
}

fn render_nodes(
    nodes: &[Node],
    data: &BTreeMap<String, String>,
    out: &mut String,
) -> Result<(), TemplateError> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Print(expr) => match eval(expr, data)? {
                Val::Str(s) => out.push_str(&s),
                Val::Bool(b) => out.push_str(if b { "true" } else { "false" }),
            },
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                let truthy = match eval(condition, data)? {
                    Val::Str(s) => !s.is_empty(),
                    Val::Bool(b) => b,
                };
                render_nodes(if truthy { then } else { otherwise }, data, out)?;
            }
        }
    }
    Ok(())
}

fn eval(expr: &Expr, data: &BTreeMap<String, String>) -> Result<Val, TemplateError> {
    match expr {
        Expr::Field(key) => data
            .get(key)
            .map(|v| Val::Str(v.clone()))
            .ok_or_else(|| TemplateError::MissingKey { key: key.clone() }),
        Expr::Index(key) => Ok(Val::Str(data.get(key).cloned().unwrap_or_default())),
        Expr::Literal(s) => Ok(Val::Str(s.clone())),
        Expr::Eq(args) => {
            let mut values = args.iter().map(|a| eval(a, data));
            let first = values.next().transpose()?;
            let mut equal = false;
            for other in values {
                let other = other?;
                match (&first, &other) {
                    (Some(Val::Str(a)), Val::Str(b)) => equal |= a == b,
                    (Some(Val::Bool(a)), Val::Bool(b)) => equal |= a == b,
                    _ => return Err(TemplateError::IncomparableTypes),
                }
            }
            Ok(Val::Bool(equal))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lexing: the source becomes text items and actions (token lists).

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Dot,
    Field(String),
    Ident(String),
    Str(String),
    LParen,
    RParen,
}

#[derive(Debug)]
enum Item {
    Text(String),
    Action {
        offset: usize,
        tokens: Vec<(usize, Tok)>,
    },
}

fn syntax(offset: usize, reason: &'static str) -> TemplateSyntaxError {
    TemplateSyntaxError { offset, reason }
}

fn lex(source: &str) -> Result<Vec<Item>, TemplateSyntaxError> {
    let bytes = source.as_bytes();
    let mut items = Vec::new();
    let mut text = String::new();
    let mut pos = 0;
    let mut trim_next_text = false;
    while pos < bytes.len() {
        let Some(open) = source[pos..].find("{{").map(|i| pos + i) else {
            push_text(&mut text, &source[pos..], trim_next_text);
            break;
        };
        push_text(&mut text, &source[pos..open], trim_next_text);
        let mut cursor = open + 2;
        if source[cursor..].starts_with("- ")
            || source[cursor..].starts_with("-\t")
            || source[cursor..].starts_with("-\n")
            || source[cursor..].starts_with("-\r")
        {
            let trimmed = text.trim_end().len();
            text.truncate(trimmed);
            cursor += 1;
        }
        if !text.is_empty() {
            items.push(Item::Text(std::mem::take(&mut text)));
        }
        let (tokens, after, trim_right) = lex_action(source, cursor)?;
        if let Some(tokens) = tokens {
            items.push(Item::Action {
                offset: open,
                tokens,
            });
        }
        trim_next_text = trim_right;
        pos = after;
    }
    if !text.is_empty() {
        items.push(Item::Text(text));
    }
    Ok(items)
}

fn push_text(text: &mut String, piece: &str, trim_start: bool) {
    if trim_start {
        text.push_str(piece.trim_start());
    } else {
        text.push_str(piece);
    }
}

type ActionLex = (Option<Vec<(usize, Tok)>>, usize, bool);

/// Lex one action starting after `{{` (and a left trim marker). Returns the tokens (`None` for
/// a comment), the offset after `}}`, and whether a right trim marker was present.
fn lex_action(source: &str, start: usize) -> Result<ActionLex, TemplateSyntaxError> {
    let bytes = source.as_bytes();
    let mut pos = start;
    skip_space(bytes, &mut pos);
    if source[pos..].starts_with("/*") {
        let close = source[pos + 2..]
            .find("*/")
            .ok_or_else(|| syntax(pos, "unclosed comment"))?;
        pos += 2 + close + 2;
        let (after, trim) = action_close(source, pos)?;
        return Ok((None, after, trim));
    }
    let mut tokens = Vec::new();
    loop {
        let had_space = skip_space(bytes, &mut pos);
        if source[pos..].starts_with("}}") {
            return Ok((Some(tokens), pos + 2, false));
        }
        if had_space && source[pos..].starts_with("-}}") {
            return Ok((Some(tokens), pos + 3, true));
        }
        let Some(&c) = bytes.get(pos) else {
            return Err(syntax(start, "unclosed action"));
        };
        let tok_start = pos;
        let tok = match c {
            b'(' => {
                pos += 1;
                Tok::LParen
            }
            b')' => {
                pos += 1;
                Tok::RParen
            }
            b'.' => {
                pos += 1;
                let name_len = ident_len(&source[pos..]);
                if name_len == 0 {
                    Tok::Dot
                } else {
                    let name = source[pos..pos + name_len].to_owned();
                    pos += name_len;
                    if bytes.get(pos) == Some(&b'.') {
                        return Err(syntax(pos, "chained field access is not supported"));
                    }
                    Tok::Field(name)
                }
            }
            b'"' => {
                let (value, after) = lex_quoted(source, pos)?;
                pos = after;
                Tok::Str(value)
            }
            b'`' => {
                let close = source[pos + 1..]
                    .find('`')
                    .ok_or_else(|| syntax(pos, "unterminated raw string"))?;
                let value = source[pos + 1..pos + 1 + close].to_owned();
                pos += close + 2;
                Tok::Str(value)
            }
            _ => {
                let len = ident_len(&source[pos..]);
                if len == 0 || c.is_ascii_digit() {
                    return Err(syntax(pos, "unsupported syntax in action"));
                }
                let name = source[pos..pos + len].to_owned();
                pos += len;
                Tok::Ident(name)
            }
        };
        tokens.push((tok_start, tok));
    }
}

fn action_close(source: &str, mut pos: usize) -> Result<(usize, bool), TemplateSyntaxError> {
    let bytes = source.as_bytes();
    let had_space = skip_space(bytes, &mut pos);
    if source[pos..].starts_with("}}") {
        Ok((pos + 2, false))
    } else if had_space && source[pos..].starts_with("-}}") {
        Ok((pos + 3, true))
    } else {
        Err(syntax(pos, "expected }} after comment"))
    }
}

fn skip_space(bytes: &[u8], pos: &mut usize) -> bool {
    let start = *pos;
    while bytes.get(*pos).is_some_and(|b| b.is_ascii_whitespace()) {
        *pos += 1;
    }
    *pos > start
}

fn ident_len(rest: &str) -> usize {
    rest.char_indices()
        .find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
        .map_or(rest.len(), |(i, _)| i)
}

/// A Go interpreted string literal starting at the opening quote.
fn lex_quoted(source: &str, start: usize) -> Result<(String, usize), TemplateSyntaxError> {
    let mut out = String::new();
    let mut chars = source[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\n' => break,
            '\\' => {
                let (_, escaped) = chars
                    .next()
                    .ok_or_else(|| syntax(start, "unterminated string"))?;
                out.push(match escaped {
                    '"' => '"',
                    '\\' => '\\',
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '\'' => '\'',
                    _ => return Err(syntax(start + 1 + i, "unsupported escape in string")),
                });
            }
            c => out.push(c),
        }
    }
    Err(syntax(start, "unterminated string"))
}

// ---------------------------------------------------------------------------------------------
// Parsing: items become a node tree.

struct Cursor {
    items: Vec<Item>,
    next: usize,
}

enum ListEnd {
    Eof,
    Else { offset: usize },
    ElseIf { offset: usize, condition: Expr },
    End { offset: usize },
}

impl Cursor {
    fn parse_list(&mut self, depth: usize) -> Result<(Vec<Node>, ListEnd), TemplateSyntaxError> {
        let mut nodes = Vec::new();
        while let Some(item) = self.items.get(self.next) {
            self.next += 1;
            let (offset, tokens) = match item {
                Item::Text(text) => {
                    nodes.push(Node::Text(text.clone()));
                    continue;
                }
                Item::Action { offset, tokens } => (*offset, tokens.clone()),
            };
            match tokens.first() {
                None => return Err(syntax(offset, "empty action")),
                Some((_, Tok::Ident(word))) if word == "if" => {
                    let condition = parse_command(&tokens[1..], offset, depth)?;
                    nodes.push(self.parse_if(condition, offset, depth + 1)?);
                }
                Some((_, Tok::Ident(word))) if word == "else" => {
                    return match tokens.get(1) {
                        None => Ok((nodes, ListEnd::Else { offset })),
                        Some((_, Tok::Ident(next))) if next == "if" => {
                            let condition = parse_command(&tokens[2..], offset, depth)?;
                            Ok((nodes, ListEnd::ElseIf { offset, condition }))
                        }
                        Some((at, _)) => Err(syntax(*at, "unexpected token after else")),
                    };
                }
                Some((_, Tok::Ident(word))) if word == "end" => {
                    if let Some((at, _)) = tokens.get(1) {
                        return Err(syntax(*at, "unexpected token after end"));
                    }
                    return Ok((nodes, ListEnd::End { offset }));
                }
                Some(_) => nodes.push(Node::Print(parse_command(&tokens, offset, depth)?)),
            }
        }
        Ok((nodes, ListEnd::Eof))
    }

    fn parse_if(
        &mut self,
        condition: Expr,
        offset: usize,
        depth: usize,
    ) -> Result<Node, TemplateSyntaxError> {
        if depth > MAX_DEPTH {
            return Err(syntax(offset, "if blocks nest too deep"));
        }
        let (then, end) = self.parse_list(depth)?;
        let otherwise = match end {
            ListEnd::End { .. } => Vec::new(),
            ListEnd::Else { .. } => match self.parse_list(depth)? {
                (nodes, ListEnd::End { .. }) => nodes,
                (_, ListEnd::Eof) => return Err(syntax(offset, "{{if}} without {{end}}")),
                (_, ListEnd::Else { offset } | ListEnd::ElseIf { offset, .. }) => {
                    return Err(syntax(offset, "{{else}} after {{else}}"));
                }
            },
            ListEnd::ElseIf {
                offset: else_offset,
                condition,
            } => vec![self.parse_if(condition, else_offset, depth + 1)?],
            ListEnd::Eof => return Err(syntax(offset, "{{if}} without {{end}}")),
        };
        Ok(Node::If {
            condition,
            then,
            otherwise,
        })
    }
}

/// A command: one operand, or a function (`eq`, `index`) applied to operands.
fn parse_command(
    tokens: &[(usize, Tok)],
    offset: usize,
    depth: usize,
) -> Result<Expr, TemplateSyntaxError> {
    if depth > MAX_DEPTH {
        return Err(syntax(offset, "expression nests too deep"));
    }
    let Some((first_at, first)) = tokens.first() else {
        return Err(syntax(offset, "missing value"));
    };
    match first {
        Tok::Ident(function) => {
            let args = parse_operands(&tokens[1..], depth)?;
            match function.as_str() {
                "eq" if args.len() >= 2 => args
                    .into_iter()
                    .map(|arg| match arg {
                        Operand::Expr(expr) => Ok(expr),
                        Operand::Dot => Err(syntax(*first_at, "eq cannot compare .")),
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(Expr::Eq),
                "eq" => Err(syntax(*first_at, "eq needs at least two arguments")),
                "index" => match args.as_slice() {
                    [Operand::Dot, Operand::Expr(Expr::Literal(key))] => {
                        Ok(Expr::Index(key.clone()))
                    }
                    _ => Err(syntax(*first_at, "only index . \"key\" is supported")),
                },
                _ => Err(syntax(*first_at, "unsupported function")),
            }
        }
        _ => {
            let mut operands = parse_operands(tokens, depth)?;
            match (operands.pop(), operands.is_empty()) {
                (Some(Operand::Expr(expr)), true) => Ok(expr),
                (Some(Operand::Dot), true) => Err(syntax(*first_at, "printing . is not supported")),
                _ => Err(syntax(*first_at, "unexpected operand")),
            }
        }
    }
}

enum Operand {
    Dot,
    Expr(Expr),
}

fn parse_operands(
    tokens: &[(usize, Tok)],
    depth: usize,
) -> Result<Vec<Operand>, TemplateSyntaxError> {
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some((at, tok)) = tokens.get(i) {
        match tok {
            Tok::Dot => operands.push(Operand::Dot),
            Tok::Field(name) => operands.push(Operand::Expr(Expr::Field(name.clone()))),
            Tok::Str(value) => operands.push(Operand::Expr(Expr::Literal(value.clone()))),
            Tok::LParen => {
                let close = matching_paren(tokens, i).ok_or_else(|| syntax(*at, "unclosed ("))?;
                let inner = parse_command(&tokens[i + 1..close], *at, depth + 1)?;
                operands.push(Operand::Expr(inner));
                i = close;
            }
            Tok::RParen => return Err(syntax(*at, "unexpected )")),
            Tok::Ident(_) => return Err(syntax(*at, "a function may only come first")),
        }
        i += 1;
    }
    Ok(operands)
}

fn matching_paren(tokens: &[(usize, Tok)], open: usize) -> Option<usize> {
    let mut level = 0usize;
    for (i, (_, tok)) in tokens.iter().enumerate().skip(open) {
        match tok {
            Tok::LParen => level += 1,
            Tok::RParen => {
                level -= 1;
                if level == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn render(template: &str, pairs: &[(&str, &str)]) -> Result<String, TemplateError> {
        Template::parse(template).unwrap().render(&data(pairs))
    }

    #[test]
    fn fields_and_text() {
        let d = [
            ("url", "https://github.com"),
            ("job_workflow_ref", "o/r/.github/w.yml@refs/heads/main"),
        ];
        assert_eq!(
            render("{{ .url }}/{{.job_workflow_ref}}", &d).unwrap(),
            "https://github.com/o/r/.github/w.yml@refs/heads/main"
        );
    }

    #[test]
    fn gitlab_ref_conditional() {
        let t = r#"refs/{{if eq .ref_type "branch"}}heads/{{ else }}tags/{{end}}{{ .ref }}"#;
        assert_eq!(
            render(t, &[("ref_type", "branch"), ("ref", "main")]).unwrap(),
            "refs/heads/main"
        );
        assert_eq!(
            render(t, &[("ref_type", "tag"), ("ref", "v1")]).unwrap(),
            "refs/tags/v1"
        );
        assert_eq!(
            render(t, &[("ref", "v1")]),
            Err(TemplateError::MissingKey {
                key: "ref_type".into()
            })
        );
    }

    #[test]
    fn circleci_index_forms() {
        let t = r#"{{.api_url}}/pipeline/{{(index . "oidc.circleci.com/pipeline-id")}}/config"#;
        assert_eq!(
            render(
                t,
                &[
                    ("api_url", "https://circleci.com/api/v2"),
                    ("oidc.circleci.com/pipeline-id", "p1")
                ]
            )
            .unwrap(),
            "https://circleci.com/api/v2/pipeline/p1/config"
        );
        // index yields "" for a missing key, as in Go.
        let t = r#"{{if eq (index . "oidc.circleci.com/ssh-rerun") "true"}}ssh-rerun{{ else }}""{{end}}"#;
        assert_eq!(render(t, &[]).unwrap(), "\"\"");
        assert_eq!(
            render(t, &[("oidc.circleci.com/ssh-rerun", "true")]).unwrap(),
            "ssh-rerun"
        );
    }

    #[test]
    fn else_if_trim_and_comments() {
        let t = "{{- if eq .a \"1\" -}} one {{- else if eq .a \"2\" \"3\" }}two-or-three{{ else }}other{{ end -}} !{{/* note */}}";
        assert_eq!(render(t, &[("a", "1")]).unwrap(), "one!");
        assert_eq!(render(t, &[("a", "3")]).unwrap(), "two-or-three!");
        assert_eq!(render(t, &[("a", "9")]).unwrap(), "other!");
    }

    #[test]
    fn parse_errors() {
        for bad in [
            "{{ .a ",
            "{{ if .a }}x",
            "{{ end }}",
            "{{ else }}",
            "{{ printf \"%s\" .a }}",
            "{{ .a.b }}",
            "{{ . }}",
            "{{ eq .a }}",
            "{{ index .a \"b\" }}",
            "{{ \"unterminated }}",
            "{{ }}",
            "{{ (.a }}",
            "{{ .a | html }}",
            "{{ 3 }}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn value_templates() {
        let d = data(&[("sha", "abc")]);
        assert_eq!(
            ValueTemplate::parse("sha").unwrap().render(&d).unwrap(),
            "abc"
        );
        assert_eq!(
            ValueTemplate::parse("missing").unwrap().render(&d),
            Err(TemplateError::MissingKey {
                key: "missing".into()
            })
        );
        assert_eq!(
            ValueTemplate::parse("x-{{.sha}}")
                .unwrap()
                .render(&d)
                .unwrap(),
            "x-abc"
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let t = format!("{}x{}", "{{if .a}}".repeat(100), "{{end}}".repeat(100));
        assert!(Template::parse(&t).is_err());
        let t = format!("{{{{ eq {}.a{} .b }}}}", "(".repeat(100), ")".repeat(100));
        assert!(Template::parse(&t).is_err());
    }
}
