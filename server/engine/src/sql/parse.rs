//! SQL text to statements, in PostgreSQL's dialect, with the few statements sqlparser lacks.

use datafusion::sql::parser::{DFParserBuilder, Statement as DFStatement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::keywords::Keyword;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace, Word};

use crate::error::{EngineError, EngineResult};

/// One statement of a query string.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The statement as DataFusion's parser understands it.
    pub statement: DFStatement,
    /// `MOVE` parses as `FETCH`; this says which one the client wrote.
    pub is_move: bool,
    /// What kind of statement it is, decided here once.
    pub kind: crate::sql::kind::Kind,
}

/// Parses a query string into its statements; empty and comment-only text gives none.
pub fn parse(sql: &str) -> EngineResult<Vec<Parsed>> {
    let dialect = PostgreSqlDialect {};
    let mut tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| EngineError::syntax(format!("syntax error: {e}")))?;

    // sqlparser has no MOVE; it is FETCH without the rows, so parse it as FETCH and remember.
    let mut moves = Vec::new();
    let mut fetches = Vec::new();
    let mut at_start = true;
    for (i, t) in tokens.iter_mut().enumerate() {
        match &t.token {
            Token::Whitespace(_) => {}
            Token::SemiColon => at_start = true,
            Token::Word(w) if at_start => {
                at_start = false;
                let is_move = w.quote_style.is_none() && w.value.eq_ignore_ascii_case("move");
                if is_move || w.keyword == Keyword::FETCH {
                    fetches.push(i);
                }
                if is_move {
                    t.token = Token::Word(Word {
                        value: "FETCH".into(),
                        quote_style: None,
                        keyword: Keyword::FETCH,
                    });
                }
                moves.push(is_move);
            }
            _ if at_start => {
                at_start = false;
                moves.push(false);
            }
            _ => {}
        }
    }

    // PostgreSQL makes both the direction (NEXT) and FROM/IN optional; sqlparser wants both.
    for &i in fetches.iter().rev() {
        let end = (i + 1..tokens.len())
            .find(|&k| tokens[k].token == Token::SemiColon)
            .unwrap_or(tokens.len());
        let significant = |range: std::ops::Range<usize>| {
            range
                .rev()
                .find(|&k| !matches!(tokens[k].token, Token::Whitespace(_)))
        };
        let Some(name) = significant(i + 1..end) else {
            continue;
        };
        if !matches!(tokens[name].token, Token::Word(_)) {
            continue;
        }
        let before = significant(i..name).unwrap_or(i);
        let inserted: Vec<TokenWithSpan> = if before == i {
            vec![
                word("NEXT", Keyword::NEXT),
                space(),
                word("FROM", Keyword::FROM),
                space(),
            ]
        } else if matches!(&tokens[before].token, Token::Word(w) if matches!(w.keyword, Keyword::FROM | Keyword::IN))
        {
            vec![]
        } else {
            vec![word("FROM", Keyword::FROM), space()]
        };
        tokens.splice(name..name, inserted);
    }

    // Statement by statement: PostgreSQL's COPY (TO STDOUT, or TO a file with `(FORMAT ...)`)
    // is not DataFusion's COPY (`STORED AS`), so sqlparser's own PostgreSQL parser takes it.
    let mut parsed = Vec::new();
    let mut moves = moves.into_iter();
    for segment in tokens.split(|t| t.token == Token::SemiColon) {
        let mut words = segment.iter().filter_map(|t| match &t.token {
            Token::Whitespace(_) => None,
            Token::Word(w) if w.quote_style.is_none() => Some(Some(w.keyword)),
            _ => Some(None),
        });
        let Some(first) = words.next() else {
            continue;
        };
        let is_move = moves.next().unwrap_or(false);
        let copy_pg = first == Some(Keyword::COPY) && !words.any(|w| w == Some(Keyword::STORED));
        let statement = if copy_pg {
            let s = SqlParser::new(&dialect)
                .with_tokens_with_locations(segment.to_vec())
                .parse_statement()
                .map_err(EngineError::from)?;
            DFStatement::Statement(Box::new(s))
        } else {
            let mut statements = DFParserBuilder::new(segment.to_vec())
                .with_dialect(&dialect)
                .build()
                .map_err(EngineError::from)?
                .parse_statements()
                .map_err(EngineError::from)?;
            match statements.pop_front() {
                Some(s) => s,
                None => continue,
            }
        };
        let mut statement = crate::sql::rewrite::rewrite(statement);
        crate::sql::rewrite::literals::rewrite(&mut statement)?;
        parsed.push(Parsed {
            kind: crate::sql::kind::Kind::of(&statement),
            statement,
            is_move,
        });
    }
    Ok(parsed)
}

fn word(value: &str, keyword: Keyword) -> TokenWithSpan {
    TokenWithSpan::wrap(Token::Word(Word {
        value: value.into(),
        quote_style: None,
        keyword,
    }))
}

fn space() -> TokenWithSpan {
    TokenWithSpan::wrap(Token::Whitespace(Whitespace::Space))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_comment_only_text_has_no_statements() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse(" ; ;").unwrap().is_empty());
        assert!(parse("-- ping").unwrap().is_empty());
    }

    #[test]
    fn move_is_fetch_marked() {
        let p = parse("SELECT 1; MOVE 5 IN c; FETCH 2 FROM c").unwrap();
        assert_eq!(
            p.iter().map(|s| s.is_move).collect::<Vec<_>>(),
            vec![false, true, false]
        );
    }

    #[test]
    fn fetch_without_direction_means_next() {
        let p = parse("FETCH c; MOVE c; FETCH 3 c").unwrap();
        assert_eq!(p[0].statement.to_string(), "FETCH NEXT FROM c");
        assert!(p[1].is_move);
        assert_eq!(p[2].statement.to_string(), "FETCH 3 FROM c");
    }

    #[test]
    fn syntax_errors_are_42601() {
        assert_eq!(parse("SELEC 1").unwrap_err().code, "42601");
    }
}
