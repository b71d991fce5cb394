//! CSV in and out. Exports are RFC 4180, UTF-8, with cells that a spreadsheet would run
//! as a formula neutralised.

pub mod cli;
pub mod customer_import;
pub mod customers;
pub mod license_import;
pub mod licenses;
pub mod order_export;
pub mod reader;
pub mod run;
pub mod stream;

/// Prefixes a cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return)
/// — or with a quote already — with a single quote, so a spreadsheet shows it as text
/// instead of running it (OWASP). [`restore`] takes exactly one such quote off again.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\'') => {
            std::borrow::Cow::Owned(format!("'{cell}"))
        }
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// What an import reads from a cell: one leading quote taken off, so that
/// `restore(neutralise(x)) == x` for every cell.
pub fn restore(cell: &str) -> &str {
    cell.strip_prefix('\'').unwrap_or(cell)
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
        assert_eq!(neutralise("'quoted"), "''quoted");
    }

    #[test]
    fn restoring_takes_off_exactly_the_quote_neutralising_added() {
        for c in ["=1+1", "'x", "''y", "-5", "plain", "", "'", "@"] {
            assert_eq!(super::restore(&neutralise(c)), c, "{c:?}");
        }
    }
}
