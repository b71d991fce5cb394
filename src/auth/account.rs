//! The kinds of account that sign in — staff (the admin portal) and license
//! managers (the license portal) — behind one trait, so sign-in, sessions, throttling
//! and guards are written once.

use diesel::QueryResult;

use crate::db::DbConnection;
use crate::domain::{LicenseManagerId, StaffId};
use crate::models::audit::Actor;
use crate::models::license_manager::{self, LicenseManager};
use crate::models::session::Kind;
use crate::models::staff::{self, StaffUser};

/// An account that signs in with an email and a password.
pub trait Account: Clone + Send + Sync + 'static {
    /// Its kind, as sessions store it.
    const KIND: Kind;
    /// Its area's sign-in page.
    const LOGIN: &'static str;
    /// Where a signed-in account lands.
    const HOME: &'static str;
    /// The throttling bucket of its sign-ins.
    const THROTTLE_AREA: &'static str;
    /// The audit log's object type and action prefix for it.
    const AUDIT_TYPE: &'static str;
    /// The heading of its sign-in page.
    const SIGN_IN_HEADING: &'static str;
    /// What its sign-in page says to a disabled account.
    const DISABLED_MESSAGE: &'static str;
    /// Where a person who forgot their password asks for a link, if self-service.
    const FORGOT_PASSWORD: Option<&'static str>;
    /// Whether its pages carry the vendor's name (the customer-facing portal).
    const VENDOR_BRANDED: bool;

    fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Self>>;
    fn find_by_email(conn: &mut DbConnection, email_norm: &str) -> QueryResult<Option<Self>>;
    fn record_sign_in(conn: &mut DbConnection, id: i64) -> QueryResult<()>;
    /// Stores a new password hash, ends the account's sessions but `keep`, and audits it.
    fn set_password(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        hash: &str,
        keep: Option<i64>,
    ) -> QueryResult<()>;
    fn id(&self) -> i64;
    fn email(&self) -> &str;
    fn email_norm(&self) -> &str;
    fn password_hash(&self) -> Option<&str>;
    /// Whether the account may sign in (not disabled).
    fn is_active(&self) -> bool;
    /// This account as the actor of an audited change made from `ip`.
    fn actor(&self, ip: &str) -> Actor;
    /// Queues the notice of a password change, if this kind of account gets one (in the
    /// change's transaction).
    fn notify_password_changed(
        &self,
        _conn: &mut DbConnection,
        _mailer: &crate::mail::Mailer,
    ) -> QueryResult<()> {
        Ok(())
    }
}

/// The accessors every account row has under the same names.
macro_rules! common_fields {
    () => {
        fn id(&self) -> i64 {
            self.id.into()
        }
        fn email(&self) -> &str {
            &self.email
        }
        fn email_norm(&self) -> &str {
            &self.email_norm
        }
        fn password_hash(&self) -> Option<&str> {
            self.password_hash.as_deref()
        }
    };
}

impl Account for StaffUser {
    const KIND: Kind = Kind::Staff;
    const LOGIN: &'static str = "/login";
    const HOME: &'static str = "/orders";
    const THROTTLE_AREA: &'static str = "staff";
    const AUDIT_TYPE: &'static str = "staff_user";
    const SIGN_IN_HEADING: &'static str = "Sign in to the admin portal";
    const DISABLED_MESSAGE: &'static str =
        "This account is disabled. Ask an administrator to enable it.";
    const FORGOT_PASSWORD: Option<&'static str> = None;
    const VENDOR_BRANDED: bool = false;

    fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Self>> {
        staff::find(conn, StaffId(id))
    }
    fn find_by_email(conn: &mut DbConnection, email_norm: &str) -> QueryResult<Option<Self>> {
        staff::find_by_email(conn, email_norm)
    }
    fn record_sign_in(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        staff::record_sign_in(conn, StaffId(id))
    }
    fn set_password(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        hash: &str,
        keep: Option<i64>,
    ) -> QueryResult<()> {
        staff::set_password(conn, actor, self, hash, keep)
    }
    common_fields!();
    fn is_active(&self) -> bool {
        self.active
    }
    fn actor(&self, ip: &str) -> Actor {
        Actor::staff(self.id, &self.email, Some(ip.to_owned()))
    }
}

impl Account for LicenseManager {
    const KIND: Kind = Kind::LicenseManager;
    const LOGIN: &'static str = "/portal/login";
    const HOME: &'static str = "/portal";
    const THROTTLE_AREA: &'static str = "portal";
    const AUDIT_TYPE: &'static str = "license_manager";
    const SIGN_IN_HEADING: &'static str = "Sign in to manage your licenses";
    const DISABLED_MESSAGE: &'static str =
        "This account is disabled. Ask your software vendor to enable it.";
    const FORGOT_PASSWORD: Option<&'static str> = Some("/portal/forgot-password");
    const VENDOR_BRANDED: bool = true;

    fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Self>> {
        license_manager::find(conn, LicenseManagerId(id))
    }
    fn find_by_email(conn: &mut DbConnection, email_norm: &str) -> QueryResult<Option<Self>> {
        license_manager::find_by_email(conn, email_norm)
    }
    fn record_sign_in(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        license_manager::record_sign_in(conn, LicenseManagerId(id))
    }
    fn set_password(
        &self,
        conn: &mut DbConnection,
        actor: &Actor,
        hash: &str,
        keep: Option<i64>,
    ) -> QueryResult<()> {
        license_manager::set_password(conn, actor, self, hash, keep)
    }
    common_fields!();
    fn is_active(&self) -> bool {
        self.enabled
    }
    fn actor(&self, ip: &str) -> Actor {
        Actor::license_manager(self.id, &self.email, Some(ip.to_owned()))
    }
    fn notify_password_changed(
        &self,
        conn: &mut DbConnection,
        mailer: &crate::mail::Mailer,
    ) -> QueryResult<()> {
        crate::ops::accounts::queue_password_changed(conn, mailer, self)
    }
}
