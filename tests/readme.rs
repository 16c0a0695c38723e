//! The field mapping table (docs/mapping.md) and the code table (docs/findings.md) are rendered
//! from the code; this keeps them true. Run with `UPDATE_README=1` to rewrite them after
//! changing a table.

fn section(doc: &str, name: &str) -> (usize, usize) {
    let start = format!("<!-- {name}:start -->\n");
    let end = format!("<!-- {name}:end -->");
    let s = doc.find(&start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let e = doc.find(&end).unwrap_or_else(|| panic!("no {end:?}"));
    (s, e)
}

#[test]
fn generated_tables_match_the_code() {
    for (file, name, table) in [
        (
            "docs/mapping.md",
            "fields",
            ecs2eks::model::fields::markdown_table(),
        ),
        (
            "docs/findings.md",
            "codes",
            ecs2eks::diagnostics::markdown_table(),
        ),
    ] {
        let path = crate::common::root().join(file);
        let mut doc = std::fs::read_to_string(&path).unwrap();
        let (s, e) = section(&doc, name);
        if std::env::var_os("UPDATE_README").is_some() {
            doc.replace_range(s..e, &table);
            std::fs::write(&path, doc).unwrap();
        } else {
            assert_eq!(
                doc[s..e],
                table,
                "{file}'s {name} table is stale: run UPDATE_README=1 cargo test --test integration readme"
            );
        }
    }
}
