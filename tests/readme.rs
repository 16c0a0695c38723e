//! The README's mapping table and code table are rendered from the code; this keeps them true.
//! Run with `UPDATE_README=1` to rewrite them after changing a table.

fn section(readme: &str, name: &str) -> (usize, usize) {
    let start = format!("<!-- {name}:start -->\n");
    let end = format!("<!-- {name}:end -->");
    let s = readme
        .find(&start)
        .unwrap_or_else(|| panic!("README.md has no {start:?}"))
        + start.len();
    let e = readme
        .find(&end)
        .unwrap_or_else(|| panic!("README.md has no {end:?}"));
    (s, e)
}

#[test]
fn readme_tables_match_the_code() {
    let path = crate::common::root().join("README.md");
    let mut readme = std::fs::read_to_string(&path).unwrap();
    for (name, table) in [
        ("fields", ecs2eks::model::fields::markdown_table()),
        ("codes", ecs2eks::diagnostics::markdown_table()),
    ] {
        let (s, e) = section(&readme, name);
        if std::env::var_os("UPDATE_README").is_some() {
            readme.replace_range(s..e, &table);
        } else {
            assert_eq!(
                readme[s..e],
                table,
                "README.md's {name} table is stale: run UPDATE_README=1 cargo test --test readme"
            );
        }
    }
    if std::env::var_os("UPDATE_README").is_some() {
        std::fs::write(&path, readme).unwrap();
    }
}
