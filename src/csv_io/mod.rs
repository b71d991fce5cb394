//! CSV in and out. Exports are RFC 4180, UTF-8, with cells that a spreadsheet would run
//! as a formula neutralised.

pub mod order_export;

/// Prefixes a cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return)
/// with a single quote, so a spreadsheet shows it as text instead of running it.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_like_cells_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        for c in ["+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise(c).starts_with('\''), "{c:?}");
        }
        assert_eq!(neutralise("ORD-1"), "ORD-1");
        assert_eq!(neutralise(""), "");
    }
}
