//! The GraphQL rule "All Variable Usages Are Allowed" (spec §5.8.5): a variable declared `ID!`
//! may not be passed where a `String!` is expected, a nullable one not where a non-null is
//! expected (unless it has a default), and lists must match in shape. async-graphql's own rule
//! for this never sees argument values (its visitor chain does not forward them), so operations
//! with mismatched variables ran; the schema's hooks ([`super::hooks`]) check every operation
//! here after parsing, with the schema's types, before anything executes.

use std::collections::HashSet;

use async_graphql::{
    Pos, Positioned, ServerError, ServerResult,
    parser::types::{
        BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
        VariableDefinition,
    },
    registry::{MetaType, Registry},
};
use async_graphql_value::Value;

/// Checks every variable usage of every operation in `document`.
pub(super) fn check(registry: &Registry, document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let root = match operation.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        let Some(root) = root else { continue };
        let mut walk = Walk {
            registry,
            document,
            definitions: &operation.node.variable_definitions,
            visited: HashSet::new(),
        };
        walk.selection_set(root, &operation.node.selection_set.node)?;
    }
    Ok(())
}

struct Walk<'a> {
    registry: &'a Registry,
    document: &'a ExecutableDocument,
    definitions: &'a [Positioned<VariableDefinition>],
    visited: HashSet<&'a str>,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, type_name: &str, set: &'a SelectionSet) -> ServerResult<()> {
        let Some(meta) = self.registry.types.get(type_name) else {
            // Unknown types are the schema validation's to report.
            return Ok(());
        };
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let Some(meta_field) = meta.field_by_name(&field.node.name.node) else {
                        continue;
                    };
                    for (name, value) in &field.node.arguments {
                        if let Some(argument) = meta_field.args.get(name.node.as_str()) {
                            let has_default = argument.default_value.is_some();
                            self.value(&argument.ty, has_default, &value.node, value.pos)?;
                        }
                    }
                    let inner = concrete(&meta_field.ty);
                    self.selection_set(inner, &field.node.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(type_name, |c| c.node.on.node.as_str());
                    self.selection_set(on, &fragment.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if self.visited.insert(name) {
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        self.selection_set(on, &fragment.node.selection_set.node)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks the variables in `value`, which sits where `expected` (a type as the registry
    /// writes it, with a default value or not) is expected.
    fn value(
        &self,
        expected: &str,
        location_default: bool,
        value: &'a Value,
        pos: Pos,
    ) -> ServerResult<()> {
        let Some(expected_type) = Type::new(expected) else {
            return Ok(());
        };
        match value {
            Value::Variable(name) => {
                let Some(definition) = self.definitions.iter().find(|d| d.node.name.node == *name)
                else {
                    return Ok(());
                };
                let declared = &definition.node.var_type.node;
                let has_default = definition.node.default_value.is_some() || location_default;
                if allowed(declared, has_default, &expected_type) {
                    Ok(())
                } else {
                    Err(ServerError::new(
                        format!(
                            "Variable \"${name}\" of type \"{declared}\" used in position expecting type \"{expected_type}\""
                        ),
                        Some(pos),
                    ))
                }
            }
            Value::List(items) => match &expected_type.base {
                BaseType::List(item) => items
                    .iter()
                    .try_for_each(|v| self.value(&item.to_string(), false, v, pos)),
                // A single value may stand for a list of one (input coercion).
                BaseType::Named(_) => Ok(()),
            },
            Value::Object(fields) => {
                let input = match &expected_type.base {
                    BaseType::Named(name) => self.registry.types.get(name.as_str()),
                    BaseType::List(_) => None,
                };
                let Some(MetaType::InputObject { input_fields, .. }) = input else {
                    return Ok(());
                };
                for (name, field) in fields {
                    if let Some(meta) = input_fields.get(name.as_str()) {
                        self.value(&meta.ty, meta.default_value.is_some(), field, pos)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

/// The named type inside list and non-null wrappers.
fn concrete(ty: &str) -> &str {
    ty.trim_matches(|c| matches!(c, '[' | ']' | '!'))
}

/// Whether a variable of type `declared` may be used where `expected` is expected (spec
/// "AreTypesCompatible"; a default value of the variable or of the location stands in for
/// non-null).
fn allowed(declared: &Type, has_default: bool, expected: &Type) -> bool {
    if !expected.nullable && declared.nullable {
        if !has_default {
            return false;
        }
        let non_null = Type {
            base: declared.base.clone(),
            nullable: false,
        };
        return compatible(&non_null, expected);
    }
    compatible(declared, expected)
}

fn compatible(declared: &Type, expected: &Type) -> bool {
    if !expected.nullable && declared.nullable {
        return false;
    }
    match (&declared.base, &expected.base) {
        (BaseType::List(declared), BaseType::List(expected)) => compatible(declared, expected),
        (BaseType::Named(declared), BaseType::Named(expected)) => declared == expected,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Type {
        Type::new(text).unwrap()
    }

    #[test]
    fn usages_follow_the_specification() {
        assert!(allowed(&ty("String!"), false, &ty("String!")));
        assert!(allowed(&ty("String!"), false, &ty("String")));
        assert!(!allowed(&ty("ID!"), false, &ty("String!")));
        assert!(!allowed(&ty("String"), false, &ty("String!")));
        assert!(allowed(&ty("String"), true, &ty("String!")));
        assert!(allowed(&ty("[String!]!"), false, &ty("[String]")));
        assert!(!allowed(&ty("[String]"), false, &ty("[String!]")));
        assert!(!allowed(&ty("String"), false, &ty("[String]")));
        assert!(!allowed(&ty("[[ID]]"), false, &ty("[ID]")));
    }
}
