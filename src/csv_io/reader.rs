//! Reading an uploaded CSV file: everything that makes a whole file unreadable is found
//! here, before any row is looked at, and named in words a person can act on (empty,
//! header only, binary, not UTF-8, a `;` or tab delimiter, unbalanced quotes, unknown,
//! repeated or missing columns, too many columns). Header names are case-insensitive and
//! their order is free; a UTF-8 byte-order mark is accepted.

use csv::StringRecord;

/// At most this many columns are read.
pub const MAX_COLUMNS: usize = 100;

/// The columns a kind of file knows.
pub struct Columns<'a> {
    /// Columns whose values are read.
    pub read: &'a [&'a str],
    /// Columns an export writes that an import recognises and ignores.
    pub ignored: &'a [&'a str],
    /// Columns that must be present.
    pub required: &'a [&'a str],
}

/// A file whose header is understood: its columns (lower-cased) and its data.
pub struct Checked<'a> {
    header: Vec<String>,
    data: &'a [u8],
}

/// One data row: its line number in the file (the header is line 1) and its cells.
pub struct Row {
    pub line: u64,
    cells: StringRecord,
    /// Where each known column is in this file.
    width: usize,
}

impl Row {
    /// The cell of column `index` (see [`Checked::index`]), with one neutralising quote
    /// taken off and spaces trimmed; empty when the column is absent.
    pub fn get(&self, index: Option<usize>) -> &str {
        index
            .and_then(|i| self.cells.get(i))
            .map(|c| super::restore(c.trim()).trim())
            .unwrap_or("")
    }

    /// A message when the row has another number of cells than the header.
    pub fn shape_error(&self) -> Option<String> {
        (self.cells.len() != self.width).then(|| {
            format!(
                "This row has {} cells but the header has {}.",
                self.cells.len(),
                self.width
            )
        })
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Checks the file as a whole and reads its header.
pub fn check<'a>(bytes: &'a [u8], columns: &Columns<'_>) -> Result<Checked<'a>, String> {
    let data = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if data.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("The file is empty.".to_owned());
    }
    if let Some(at) = data.iter().position(|b| *b == 0) {
        return Err(format!(
            "This is not a CSV file: it holds binary data (line {}).",
            line_of(data, at)
        ));
    }
    if let Err(e) = std::str::from_utf8(data) {
        return Err(format!(
            "The file is not UTF-8 text (line {}). Save it as “CSV UTF-8” and upload it again.",
            line_of(data, e.valid_up_to())
        ));
    }
    if data.iter().filter(|b| **b == b'"').count() % 2 == 1 {
        let mut reader = reader(data);
        let mut start = 1;
        let mut record = StringRecord::new();
        while let Ok(true) = reader.read_record(&mut record) {
            start = record.position().map_or(start, |p| {
                let mut at = usize::try_from(p.byte()).unwrap_or(0).min(data.len());
                while at < data.len() && matches!(data[at], b'\r' | b'\n') {
                    at += 1;
                }
                line_of(data, at)
            });
        }
        return Err(format!(
            "A quoted cell that starts on line {start} is never closed (unbalanced quotes)."
        ));
    }
    let mut reader = reader(data);
    let header = reader
        .headers()
        .map_err(|e| format!("The header could not be read: {e}."))?
        .clone();
    if header.len() == 1 {
        let only = &header[0];
        for (sep, name) in [(';', "semicolons (;)"), ('\t', "tabs")] {
            if only.contains(sep) {
                return Err(format!(
                    "The file is separated by {name}, not commas. Save it as comma-separated CSV and upload it again."
                ));
            }
        }
    }
    if header.len() > MAX_COLUMNS {
        return Err(format!(
            "The file has {} columns; at most {MAX_COLUMNS} are read.",
            header.len()
        ));
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    for (i, n) in names.iter().enumerate() {
        if names[..i].contains(n) {
            return Err(format!("The column “{n}” appears twice."));
        }
    }
    let unknown: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !columns.read.contains(n) && !columns.ignored.contains(n))
        .collect();
    if !unknown.is_empty() {
        let shown: Vec<String> = unknown
            .iter()
            .take(10)
            .map(|n| {
                let n: String = n.chars().filter(|c| !c.is_control()).take(40).collect();
                format!("“{n}”")
            })
            .collect();
        return Err(format!(
            "Unknown column{} {}. The columns are: {}.",
            if unknown.len() == 1 { "" } else { "s" },
            shown.join(", "),
            columns.read.join(", ")
        ));
    }
    for r in columns.required {
        if !names.iter().any(|n| n == r) {
            return Err(format!("The required column “{r}” is missing."));
        }
    }
    let checked = Checked {
        header: names,
        data,
    };
    if checked.rows().next().is_none() {
        return Err("The file has a header but no rows.".to_owned());
    }
    Ok(checked)
}

fn reader(data: &[u8]) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(data)
}

impl<'a> Checked<'a> {
    /// Where column `name` is in this file.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }

    /// The data rows, skipping blank lines; a row the CSV reader cannot read ends the
    /// file with an error naming its line.
    pub fn rows(&self) -> impl Iterator<Item = Result<Row, (u64, String)>> + 'a {
        let width = self.header.len();
        let data = self.data;
        let mut reader = reader(data);
        let mut done = false;
        // Lines counted so far up to `seen` bytes (the reader's own line numbers lag a
        // line behind CRLF files, so a row's line is counted from where its text starts).
        let (mut seen, mut lines) = (0usize, 1u64);
        let mut line_at = move |byte: u64| {
            let mut at = usize::try_from(byte).unwrap_or(usize::MAX).min(data.len());
            while at < data.len() && matches!(data[at], b'\r' | b'\n') {
                at += 1;
            }
            if at >= seen {
                lines += data[seen..at].iter().filter(|b| **b == b'\n').count() as u64;
                seen = at;
            }
            lines
        };
        std::iter::from_fn(move || loop {
            if done {
                return None;
            }
            let mut record = StringRecord::new();
            match reader.read_record(&mut record) {
                Ok(false) => return None,
                Ok(true) => {
                    if record.iter().all(|c| c.trim().is_empty()) {
                        continue;
                    }
                    let line = record.position().map_or(0, |p| line_at(p.byte()));
                    return Some(Ok(Row {
                        line,
                        cells: record,
                        width,
                    }));
                }
                Err(e) => {
                    done = true;
                    let line = e.position().map_or(0, |p| line_at(p.byte()));
                    return Some(Err((line, format!("This row could not be read: {e}."))));
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: Columns<'static> = Columns {
        read: &["email", "first_name"],
        ignored: &["status"],
        required: &["email"],
    };

    fn err(file: &[u8]) -> String {
        match check(file, &COLS) {
            Ok(_) => panic!("{:?} was accepted", String::from_utf8_lossy(file)),
            Err(e) => e,
        }
    }

    #[test]
    fn a_broken_file_is_named_for_what_is_wrong() {
        assert!(err(b"").contains("empty"));
        assert!(err(b"\xEF\xBB\xBF\n  \n").contains("empty"));
        assert!(err(b"email\n").contains("header but no rows"));
        assert!(err(b"email,first_name\n\n\n").contains("header but no rows"));
        assert!(err(b"email;first_name\na@x.example;A\n").contains("semicolons"));
        assert!(err(b"email\tfirst_name\na@x.example\tA\n").contains("tabs"));
        assert!(err(b"email\n\"a@x.example\nb@x.example\n").contains("line 2"));
        assert!(err(b"email\na@x.example\n\xff\xfe\n").contains("not UTF-8 text (line 3)"));
        assert!(err(b"email\n\x00\x01\x02binary").contains("binary"));
        assert!(err(b"first_name\nAda\n").contains("required column “email”"));
        assert!(err(b"email,colour\na@x.example,red\n").contains("Unknown column “colour”"));
        assert!(err(b"email,EMAIL\na,b\n").contains("appears twice"));
        let wide = (0..=MAX_COLUMNS)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert!(err(format!("{wide}\n1\n").as_bytes()).contains("at most"));
    }

    #[test]
    fn a_good_file_reads_any_case_any_order_with_a_bom_and_quoted_cells() {
        let file = b"\xEF\xBB\xBFFirst_Name,STATUS,Email\r\n\"Lovelace, Ada\",active,'=a@x.example\r\n\r\nGrace,,g@x.example,extra\r\n";
        let checked = check(file, &COLS).unwrap();
        let (email, first) = (checked.index("email"), checked.index("first_name"));
        let rows: Vec<Row> = checked.rows().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[0].get(first)), (2, "Lovelace, Ada"));
        assert_eq!(rows[0].get(email), "=a@x.example");
        assert_eq!(rows[0].shape_error(), None);
        assert_eq!(rows[1].line, 4);
        assert!(rows[1].shape_error().unwrap().contains("4 cells"));
        assert_eq!(rows[0].get(None), "");
    }
}
