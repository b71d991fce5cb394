//! A license's timeline: what its applications did (its events, devices by hostname)
//! and what people changed (its audit entries), newest first, in one list and in words.
//!
//! A change made in one of the portals writes both an event (for the reports) and an
//! audit entry (who did it): the timeline shows the audit entry only, so nothing appears
//! twice. Borrowing and returning a seat are audited whatever did them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::audit::{self, AuditRow, Change};
use super::audit_words::field_label;
use crate::db::schema::{devices, license_events};
use crate::db::DbConnection;
use crate::domain::{ActorKind, EventKind, LicenseId, Source};

/// Who did something, as the timeline groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// The vendor's staff (or Keyfold itself, on the vendor's behalf).
    Vendor,
    /// A license manager in the license portal.
    Manager,
    /// An application through the license API.
    Application,
    /// An import file.
    Import,
}

/// One line of the timeline.
#[derive(Debug, Clone)]
pub struct Moment {
    pub at: NaiveDateTime,
    pub by: By,
    /// The person or application ("priya@example.com", "Application").
    pub who: String,
    /// What happened, as a sentence ("Activated", "Changed the license's terms").
    pub what: String,
    /// The stored code behind the sentence (shown as a tooltip to staff).
    pub code: String,
    /// The device it happened on, by hostname.
    pub device: Option<String>,
    /// A consumption's quantity.
    pub amount: Option<i64>,
    /// The fields an audited change touched (for staff; the license portal shows none,
    /// as vendor notes and metadata are not the manager's to read).
    pub changes: Vec<Change>,
}

/// An event as a sentence.
fn event_sentence(kind: EventKind, code: Option<&str>) -> String {
    match kind {
        EventKind::Activated => "Activated".to_owned(),
        EventKind::Deactivated => "Deactivated".to_owned(),
        EventKind::Checked => "Checked".to_owned(),
        EventKind::Reset => "Reset license".to_owned(),
        EventKind::Disabled => "Disabled the license".to_owned(),
        EventKind::Enabled => "Enabled the license".to_owned(),
        EventKind::Borrowed => "Borrowed a seat".to_owned(),
        EventKind::Returned => "Returned a borrowed seat".to_owned(),
        EventKind::Consumed => "Used a feature".to_owned(),
        EventKind::Transferred => "Moved to another device".to_owned(),
        EventKind::Refused => match code {
            Some(c) => format!("Refused: {}", field_label(c).to_lowercase()),
            None => "Refused".to_owned(),
        },
    }
}

fn by_source(source: Source) -> (By, &'static str) {
    match source {
        Source::LicenseApi => (By::Application, "Application"),
        Source::Import => (By::Import, "Import"),
        Source::LicensePortal => (By::Manager, "License portal"),
        Source::AdminPortal | Source::System => (By::Vendor, "Vendor"),
    }
}

impl From<AuditRow> for Moment {
    fn from(row: AuditRow) -> Self {
        let by = match row.actor_kind {
            ActorKind::LicenseManager => By::Manager,
            ActorKind::Api => By::Application,
            ActorKind::Staff | ActorKind::System => By::Vendor,
        };
        // A device's action names the device in its entry (`"device": hostname`).
        let device = [&row.after_json, &row.before_json]
            .into_iter()
            .flatten()
            .filter_map(|j| serde_json::from_str::<serde_json::Value>(j).ok())
            .find_map(|v| v.get("device")?.as_str().map(str::to_owned))
            .filter(|h| !h.is_empty());
        Moment {
            at: row.at,
            by,
            what: row.sentence(),
            changes: row.readable_changes(),
            code: row.action,
            who: row.actor_label,
            device,
            amount: None,
        }
    }
}

/// An event with its device's hostname.
type EventRow = (
    NaiveDateTime,
    EventKind,
    i64,
    Source,
    Option<String>,
    Option<String>,
);

/// The newest `limit` moments of a license.
pub fn of_license(conn: &mut DbConnection, id: LicenseId, limit: i64) -> QueryResult<Vec<Moment>> {
    let events: Vec<EventRow> = license_events::table
        .left_join(devices::table)
        .filter(license_events::license_id.eq(id))
        // Audited with who did them: the portals' changes, and seats borrowed or
        // returned by anyone.
        .filter(license_events::source.ne_all([Source::AdminPortal, Source::LicensePortal]))
        .filter(license_events::kind.ne_all([EventKind::Borrowed, EventKind::Returned]))
        .order((license_events::at.desc(), license_events::id.desc()))
        .limit(limit)
        .select((
            license_events::at,
            license_events::kind,
            license_events::amount,
            license_events::source,
            license_events::code,
            devices::hostname.nullable(),
        ))
        .load(conn)?;
    let mut moments: Vec<Moment> = events
        .into_iter()
        .map(|(at, kind, amount, source, code, host)| {
            let (by, who) = by_source(source);
            Moment {
                at,
                by,
                who: who.to_owned(),
                what: event_sentence(kind, code.as_deref()),
                code: match &code {
                    Some(c) => format!("{}: {c}", kind.as_str()),
                    None => kind.as_str().to_owned(),
                },
                device: host.filter(|h| !h.is_empty()),
                amount: (kind == EventKind::Consumed).then_some(amount),
                changes: Vec::new(),
            }
        })
        .collect();
    moments.extend(
        audit::for_object(conn, "license", id, limit)?
            .into_iter()
            .map(Moment::from),
    );
    // Newest first.
    moments.sort_by_key(|m| std::cmp::Reverse(m.at));
    moments.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(moments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_sentences() {
        assert_eq!(event_sentence(EventKind::Activated, None), "Activated");
        assert_eq!(
            event_sentence(EventKind::Refused, Some("no_seat_available")),
            "Refused: no seat available"
        );
        assert_eq!(event_sentence(EventKind::Reset, None), "Reset license");
    }
}
