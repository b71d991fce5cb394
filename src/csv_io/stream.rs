//! Streamed CSV downloads: a blocking task reads the database a page at a time and hands
//! each page's CSV bytes to the response through a small bounded channel, so memory stays
//! flat whatever the row count and a slow client slows the reader instead of filling
//! memory. When the client goes away the reader stops at the next page.

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::mpsc;

use crate::db::{DbConnection, Pool};

/// At most this many pages wait between the reader and the client.
const PAGES_IN_FLIGHT: usize = 4;

/// Where a producer writes the file: `send` hands over a finished page.
pub struct Sink {
    tx: mpsc::Sender<Bytes>,
    pub rows: u64,
}

impl Sink {
    /// A sink and the receiving end of its pages (for a writer that is not a response,
    /// such as the command line's standard output).
    pub fn channel() -> (Sink, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel(PAGES_IN_FLIGHT);
        (Sink { tx, rows: 0 }, rx)
    }

    /// Hands a page to the client; `false` when the client has gone.
    pub fn send(&mut self, page: Vec<u8>) -> bool {
        self.tx.blocking_send(Bytes::from(page)).is_ok()
    }
}

/// Runs `produce` on a blocking thread with a pooled connection and streams what it
/// sends. `produce` returns whether it finished (or stopped early because the client went
/// away); errors are logged and end the file where it is (the download then looks cut
/// short, never silently complete).
pub fn csv_stream<F>(pool: Pool, produce: F) -> impl Stream<Item = Result<Bytes, actix_web::Error>>
where
    F: FnOnce(&mut DbConnection, &mut Sink) -> Result<(), String> + Send + 'static,
{
    let (tx, rx) = mpsc::channel(PAGES_IN_FLIGHT);
    tokio::task::spawn_blocking(move || {
        let mut sink = Sink { tx, rows: 0 };
        let result = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| produce(&mut conn, &mut sink));
        if let Err(e) = result {
            tracing::error!(error = %e, "CSV export stopped");
        }
    });
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|b| (Ok(b), rx)) },
    )
}

/// A CSV writer into a page buffer (RFC 4180: quoted when needed, CRLF line ends).
pub fn page_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

/// Writes one record with every cell neutralised against formula injection.
pub fn write_cells<I, S>(out: &mut csv::Writer<Vec<u8>>, cells: I) -> Result<(), String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    for c in cells {
        out.write_field(super::neutralise(c.as_ref()).as_bytes())
            .map_err(|e| e.to_string())?;
    }
    out.write_record(None::<&[u8]>).map_err(|e| e.to_string())
}

/// The bytes written so far (the writer is left empty for the next page).
pub fn take(out: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, String> {
    out.into_inner().map_err(|e| e.to_string())
}

/// Writes `header`, then every row `fetch` returns (each written by `row`), a page of `page_size` at a time after
/// the last row's id (keyset), sending each page to `sink`. Returns whether the whole file
/// was sent (`false`: the client went away).
pub fn export_pages<R, H, S>(
    conn: &mut DbConnection,
    sink: &mut Sink,
    header: H,
    page_size: i64,
    mut fetch: impl FnMut(&mut DbConnection, i64) -> diesel::QueryResult<Vec<R>>,
    id: impl Fn(&R) -> i64,
    row: impl Fn(&mut csv::Writer<Vec<u8>>, &R) -> Result<(), String>,
) -> Result<bool, String>
where
    H: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = page_writer();
    write_cells(&mut out, header)?;
    let mut after = 0;
    loop {
        let rows = fetch(conn, after).map_err(|e| e.to_string())?;
        for r in &rows {
            row(&mut out, r)?;
        }
        sink.rows += rows.len() as u64;
        let page = std::mem::replace(&mut out, page_writer());
        if !sink.send(take(page)?) {
            return Ok(false);
        }
        match rows.last() {
            Some(r) if rows.len() as i64 == page_size => after = id(r),
            _ => return Ok(true),
        }
    }
}
