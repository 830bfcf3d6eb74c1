//! Parse of the extended protocol: a statement parsed once, planned once for Describe (its
//! parameters' types and its result columns), the plan kept for Execute while it is fresh.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use datafusion::arrow::datatypes::{DataType, FieldRef};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{DataType as SqlDataType, Statement};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser as SqlParser;

use crate::error::{EngineError, EngineResult};
use crate::session::Session;
use crate::session::outcome::{Planned, Prepared};
use crate::sql::ident_name;
use crate::sql::kind::{Family, Kind};
use crate::sql::parse::parse;

impl Session {
    /// Parses and plans one statement for the extended protocol; `None` for an empty query.
    /// `declared` holds the parameter types the client's Parse named (PostgreSQL type names,
    /// `None` where it left the type to the server): each is its parameter's type wherever
    /// the parameter stands, as in PostgreSQL. A statement that fails here counts as a
    /// statement that failed, in the metrics and in the transaction block.
    pub async fn prepare(
        &self,
        sql: &str,
        declared: &[Option<String>],
    ) -> EngineResult<Option<Prepared>> {
        let statements = parse(sql);
        let label = match &statements {
            Ok(s) => s.first().map_or("other", |p| p.kind.label),
            Err(_) => Kind::unparsed().label,
        };
        let prepared = match statements {
            Ok(statements) => self.prepare_statement(sql, statements, declared).await,
            Err(e) => Err(e),
        };
        if prepared.is_err() {
            crate::metrics::metered::Statement::start(self.shared.metrics.clone(), label)
                .finish("error");
            self.tx.lock().expect("transaction lock").fail();
        }
        prepared
    }

    async fn prepare_statement(
        &self,
        sql: &str,
        mut statements: Vec<crate::sql::parse::Parsed>,
        declared: &[Option<String>],
    ) -> EngineResult<Option<Prepared>> {
        if statements.len() > 1 {
            return Err(EngineError::syntax(
                "cannot insert multiple commands into a prepared statement",
            ));
        }
        let Some(parsed) = statements.pop() else {
            return Ok(None);
        };
        let mut prepared = Prepared {
            sql: sql.to_owned(),
            statement: parsed,
            plan: None,
            param_types: vec![],
            schema: None,
        };
        match &prepared.statement.statement {
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::ShowVariable { variable } => {
                    prepared.schema = Some(self.show_schema(variable));
                }
                Statement::Call(f) => {
                    prepared.schema = Some(super::call::schema(self, f)?);
                }
                Statement::Fetch { name, .. } if !prepared.statement.is_move => {
                    let mut cursors = self.cursors.lock().await;
                    if let Ok(c) = cursors.get(&ident_name(name)) {
                        prepared.schema = Some(c.schema.clone());
                    }
                }
                _ if matches!(
                    prepared.statement.kind.family,
                    Family::Query | Family::Planned
                ) =>
                {
                    self.plan_for_describe(&mut prepared, declared).await?
                }
                _ => {}
            },
            DFStatement::Reset(_) => {}
            _ => self.plan_for_describe(&mut prepared, declared).await?,
        }
        Ok(Some(prepared))
    }

    async fn plan_for_describe(
        &self,
        prepared: &mut Prepared,
        declared: &[Option<String>],
    ) -> EngineResult<()> {
        // Read before planning: a change made meanwhile must make the plan stale.
        let changes = self.shared.changes.current();
        let epoch = self.epoch.load(Ordering::SeqCst);
        let mut plan = self
            .ctx
            .state()
            .statement_to_plan(prepared.statement.statement.clone())
            .await?;
        let mut param_types = parameter_types(&plan)?;
        // A parameter nothing gives a type to is text, as in PostgreSQL; planned again with
        // that type, `SELECT $1` is a text column, not one of no type that a binary result
        // would send as raw bytes.
        let untyped = plan.get_parameter_fields()?.values().any(Option::is_none);
        if (untyped || declared.iter().any(Option::is_some))
            && let DFStatement::Statement(inner) = &prepared.statement.statement
            && let Some(types) = typed_parameters(declared, &param_types)?
        {
            // Planned again as `PREPARE p(<types>) AS <statement>`: DataFusion's own way of
            // giving placeholders their types before it plans what surrounds them.
            let wrapped = DFStatement::Statement(Box::new(Statement::Prepare {
                name: "aloe_parse".into(),
                data_types: types,
                statement: inner.clone(),
            }));
            let typed = self.ctx.state().statement_to_plan(wrapped).await?;
            if let LogicalPlan::Statement(datafusion::logical_expr::Statement::Prepare(p)) = typed {
                plan = p.input.as_ref().clone();
                param_types = parameter_types(&plan)?;
            }
        }
        prepared.param_types = param_types;
        if super::query::returns_rows(&plan) {
            // The columns as Execute will send them: Aloe's analyzer rules change types
            // (an integer literal is an int4), so the planned schema alone would describe
            // `$1::int4 + 1` as int8 and a binary client would read 8 bytes of 4.
            let state = self.ctx.state();
            let analyzed =
                state
                    .analyzer()
                    .execute_and_check(plan.clone(), state.config_options(), |_, _| {});
            let schema = match &analyzed {
                Ok(analyzed) => analyzed.schema(),
                Err(_) => plan.schema(),
            };
            prepared.schema = Some(schema.inner().clone());
        }
        prepared.plan = Some(Planned {
            plan,
            changes,
            epoch,
        });
        Ok(())
    }
}

/// The SQL types of every parameter for a typed plan: the client's where it named one, else
/// the one inferred without them; `None` (keep the untyped plan) when a type has no SQL name
/// here, such as an array type's `_int4`, so a Parse that planned before still plans.
fn typed_parameters(
    declared: &[Option<String>],
    inferred: &[Option<FieldRef>],
) -> EngineResult<Option<Vec<SqlDataType>>> {
    let count = declared.len().max(inferred.len());
    let mut types = Vec::with_capacity(count);
    for i in 0..count {
        let name = match declared.get(i).cloned().flatten() {
            Some(name) => name,
            None => match inferred.get(i).cloned().flatten().and_then(|f| {
                match f.metadata().get(crate::plan::types::PG_TYPE_KEY) {
                    // uuid and json are held as text, tagged with their type.
                    Some(tagged) => Some(tagged.clone()),
                    None => sql_name(f.data_type()),
                }
            }) {
                Some(name) => name,
                None => return Ok(None),
            },
        };
        match SqlParser::new(&PostgreSqlDialect {})
            .try_with_sql(&name)
            .and_then(|mut p| p.parse_data_type())
        {
            Ok(parsed) => types.push(parsed),
            Err(_) => return Ok(None),
        }
    }
    Ok(Some(types))
}

/// The PostgreSQL name of an Arrow type a parameter may take.
fn sql_name(data_type: &DataType) -> Option<String> {
    Some(match data_type {
        DataType::Boolean => "bool".into(),
        DataType::Int16 => "int2".into(),
        DataType::Int32 => "int4".into(),
        DataType::Int64 => "int8".into(),
        DataType::Float32 => "float4".into(),
        DataType::Float64 => "float8".into(),
        DataType::Decimal128(p, s) => format!("numeric({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "text".into(),
        DataType::Binary | DataType::LargeBinary => "bytea".into(),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".into(),
        DataType::Time64(_) => "time".into(),
        DataType::Interval(_) => "interval".into(),
        _ => return None,
    })
}

/// Parameter types by position ($1 first), from the plan, with placeholders that sit
/// directly in a CAST taking the cast's type, and text where nothing says otherwise (as
/// PostgreSQL does for an unknown-typed parameter).
fn parameter_types(plan: &LogicalPlan) -> EngineResult<Vec<Option<FieldRef>>> {
    let inferred = plan.get_parameter_fields()?;
    let mut from_casts: HashMap<String, FieldRef> = HashMap::new();
    plan.apply_with_subqueries(|p| {
        p.apply_expressions(|e| {
            e.apply(|e| {
                if let Expr::Cast(c) = e
                    && let Expr::Placeholder(ph) = c.expr.as_ref()
                {
                    from_casts.insert(ph.id.clone(), c.field.clone());
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    })?;
    let count = inferred
        .keys()
        .chain(from_casts.keys())
        .filter_map(|k| k.trim_start_matches('$').parse::<usize>().ok())
        .max()
        .unwrap_or(0);
    Ok((1..=count)
        .map(|i| {
            let id = format!("${i}");
            inferred
                .get(&id)
                .cloned()
                .flatten()
                .or_else(|| from_casts.get(&id).cloned())
                .or_else(|| {
                    Some(std::sync::Arc::new(
                        datafusion::arrow::datatypes::Field::new(&id, DataType::Utf8, true),
                    ))
                })
        })
        .collect())
}
