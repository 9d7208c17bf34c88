//! The served schema against the original's early Director schema
//! (`tests/original/director-early.graphql`): every type, field, argument, default, enum value,
//! union member and implemented interface a client of the original may name must be there, with
//! the same nullability, and no field may be added to the original's types.

use std::collections::BTreeMap;

use async_graphql::parser::{
    parse_schema,
    types::{FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition},
};

/// Each type of a schema as canonical text, by name.
fn signatures(sdl: &str) -> BTreeMap<String, String> {
    let document = parse_schema(sdl).expect("the schema parses");
    let argument = |value: &InputValueDefinition| {
        let default = value
            .default_value
            .as_ref()
            .map(|d| format!(" = {}", d.node))
            .unwrap_or_default();
        format!("{}: {}{default}", value.name.node, value.ty.node)
    };
    let field = |field: &FieldDefinition| {
        let mut arguments: Vec<String> =
            field.arguments.iter().map(|a| argument(&a.node)).collect();
        arguments.sort();
        format!(
            "{}({}): {}",
            field.name.node,
            arguments.join(", "),
            field.ty.node
        )
    };
    let sorted = |mut lines: Vec<String>| {
        lines.sort();
        lines.join("\n  ")
    };
    document
        .definitions
        .into_iter()
        .filter_map(|definition| match definition {
            TypeSystemDefinition::Type(definition) => Some(definition.node),
            _ => None,
        })
        .map(|definition| {
            let text = match &definition.kind {
                TypeKind::Scalar => "scalar".to_owned(),
                TypeKind::Object(object) => format!(
                    "type implements [{}]\n  {}",
                    sorted(
                        object
                            .implements
                            .iter()
                            .map(|i| i.node.to_string())
                            .collect()
                    ),
                    sorted(object.fields.iter().map(|f| field(&f.node)).collect())
                ),
                TypeKind::Interface(interface) => format!(
                    "interface\n  {}",
                    sorted(interface.fields.iter().map(|f| field(&f.node)).collect())
                ),
                TypeKind::Union(union) => format!(
                    "union {}",
                    sorted(union.members.iter().map(|m| m.node.to_string()).collect())
                ),
                TypeKind::Enum(enumeration) => format!(
                    "enum {}",
                    sorted(
                        enumeration
                            .values
                            .iter()
                            .map(|v| v.node.value.node.to_string())
                            .collect()
                    )
                ),
                TypeKind::InputObject(input) => format!(
                    "input\n  {}",
                    sorted(input.fields.iter().map(|f| argument(&f.node)).collect())
                ),
            };
            (definition.name.node.to_string(), text)
        })
        .collect()
}

#[test]
fn the_served_schema_has_every_type_field_and_default_of_the_original() {
    let original = signatures(include_str!("original/director-early.graphql"));
    let served = signatures(&compass_api::director::sdl());
    let mut differences = Vec::new();
    for (name, expected) in &original {
        match served.get(name) {
            None => differences.push(format!("{name}: missing")),
            Some(actual) if actual != expected => {
                let lines = |text: &str| {
                    text.lines()
                        .map(str::trim)
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                };
                let (want, have) = (lines(expected), lines(actual));
                let removed = want
                    .iter()
                    .filter(|l| !have.contains(l))
                    .map(|l| format!("  - {l}"));
                let added = have
                    .iter()
                    .filter(|l| !want.contains(l))
                    .map(|l| format!("  + {l}"));
                differences.push(format!(
                    "{name}\n{}",
                    removed.chain(added).collect::<Vec<_>>().join("\n")
                ))
            }
            Some(_) => {}
        }
    }
    assert!(
        differences.is_empty(),
        "{} types differ from the original:\n\n{}",
        differences.len(),
        differences.join("\n\n")
    );
}
