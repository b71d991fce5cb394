//! Device variables: named values a client stores on its device through the license
//! API and reads back; staff and license managers see them on the license pages.
//! A change takes the license's lock, so the per-device cap holds under concurrency.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::license_user::lock_license;
use super::{ModelError, ModelResult, Refusal};
use crate::db::schema::{device_variables, devices};
use crate::db::DbConnection;
use crate::domain::{DeviceId, LicenseId};

/// The longest name, in characters.
pub const MAX_NAME: usize = 64;
/// The longest value, in bytes.
pub const MAX_VALUE: usize = 4096;
/// The most variables one device may hold.
pub const MAX_PER_DEVICE: i64 = 50;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = device_variables)]
pub struct DeviceVariable {
    pub device_id: DeviceId,
    pub name: String,
    pub value: String,
    pub updated_at: NaiveDateTime,
}

/// A device's variables by name.
pub fn of_device(conn: &mut DbConnection, device: DeviceId) -> QueryResult<Vec<DeviceVariable>> {
    device_variables::table
        .filter(device_variables::device_id.eq(device))
        .order(device_variables::name.asc())
        .select(DeviceVariable::as_select())
        .load(conn)
}

/// A variable as a license page shows it, with its device.
#[derive(Queryable, Debug, Clone)]
pub struct ShownVariable {
    pub hardware_id: Option<String>,
    pub hostname: String,
    pub name: String,
    pub value: String,
    pub updated_at: NaiveDateTime,
}

/// The variables of a license's active devices (its page's), by device and name.
pub fn of_license(conn: &mut DbConnection, license: LicenseId) -> QueryResult<Vec<ShownVariable>> {
    device_variables::table
        .inner_join(devices::table)
        .filter(devices::license_id.eq(license))
        .filter(devices::deactivated_at.is_null())
        .order((devices::id.asc(), device_variables::name.asc()))
        .limit(500)
        .select((
            devices::hardware_id,
            devices::hostname,
            device_variables::name,
            device_variables::value,
            device_variables::updated_at,
        ))
        .load(conn)
}

/// Sets (a value) or removes (`None`) variables of a device, then answers them all. More
/// than [`MAX_PER_DEVICE`] afterwards is refused (`variables_limit_reached`) and changes
/// nothing (an error, so the transaction rolls back). Call it in a write transaction.
pub fn set(
    conn: &mut DbConnection,
    license: LicenseId,
    device: DeviceId,
    changes: &[(String, Option<String>)],
    now: NaiveDateTime,
) -> ModelResult<Vec<DeviceVariable>> {
    lock_license(conn, license)?;
    for (name, value) in changes {
        let row = device_variables::table.find((device, name));
        match value {
            None => {
                diesel::delete(row).execute(conn)?;
            }
            Some(v) => {
                let updated = diesel::update(row)
                    .set((
                        device_variables::value.eq(v),
                        device_variables::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                if updated == 0 {
                    diesel::insert_into(device_variables::table)
                        .values((
                            device_variables::device_id.eq(device),
                            device_variables::name.eq(name),
                            device_variables::value.eq(v),
                            device_variables::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    let all = of_device(conn, device)?;
    if all.len() as i64 > MAX_PER_DEVICE {
        // An error: the transaction rolls every change of this request back.
        return Err(ModelError::Refused(Refusal {
            code: "variables_limit_reached",
            message: format!(
                "A device holds at most {MAX_PER_DEVICE} variables: remove some first (send null as their value)."
            ),
            retry_after: None,
        }));
    }
    Ok(all)
}
