//! A customer as typed on the form or read from a CSV row: strings in, a validated
//! customer out. The admin form and the customers import parse with the same code.

use chrono::NaiveDateTime;
use serde::Deserialize;

use super::values;
use super::{EmailAddress, FieldErrors};

/// A validated customer.
#[derive(Debug, Clone)]
pub struct CustomerInput {
    pub email: EmailAddress,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: String,
    pub reference: String,
    pub external_id: String,
    pub address_line1: String,
    pub address_line2: String,
    pub postcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub customer_account_id: Option<i64>,
    pub metadata: String,
    pub status: String,
    pub seen_updated_at: Option<NaiveDateTime>,
}

/// A customer as submitted: strings only, so every mistake comes back as a message.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct CustomerDraft {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub company: String,
    pub phone: String,
    pub reference: String,
    pub external_id: String,
    pub address_line1: String,
    pub address_line2: String,
    pub postcode: String,
    pub city: String,
    pub state: String,
    pub country: String,
    pub customer_account_id: String,
    pub metadata: String,
    pub status: String,
    pub updated_at: String,
}

impl CustomerDraft {
    /// Validates every field at once.
    pub fn parse(&self) -> Result<CustomerInput, FieldErrors> {
        let mut e = FieldErrors::new();
        let email = e.check("email", EmailAddress::parse(&self.email));
        let short = |e: &mut FieldErrors, field: &'static str, v: &str| {
            e.check(field, values::text(v, values::SHORT, false))
                .unwrap_or_default()
        };
        let first_name = short(&mut e, "first_name", &self.first_name);
        let last_name = short(&mut e, "last_name", &self.last_name);
        let company = short(&mut e, "company", &self.company);
        let phone = short(&mut e, "phone", &self.phone);
        let reference = short(&mut e, "reference", &self.reference);
        let external_id = short(&mut e, "external_id", &self.external_id);
        let address_line1 = short(&mut e, "address_line1", &self.address_line1);
        let address_line2 = short(&mut e, "address_line2", &self.address_line2);
        let postcode = short(&mut e, "postcode", &self.postcode);
        let city = short(&mut e, "city", &self.city);
        let state = short(&mut e, "state", &self.state);
        let country = short(&mut e, "country", &self.country);
        let account = self.customer_account_id.trim();
        let customer_account_id = if account.is_empty() {
            None
        } else {
            match account.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add("customer_account_id", "Choose an account from the list.");
                    None
                }
            }
        };
        let metadata = e
            .check("metadata", values::json_object(&self.metadata))
            .unwrap_or_default();
        let status = match self.status.trim() {
            "" | "active" => "active",
            "disabled" => "disabled",
            _ => {
                e.add("status", "Choose active or disabled.");
                "active"
            }
        };
        let seen_updated_at = values::parse_version(&self.updated_at);
        match email {
            Some(email) if e.is_empty() => Ok(CustomerInput {
                email,
                first_name,
                last_name,
                company,
                phone,
                reference,
                external_id,
                address_line1,
                address_line2,
                postcode,
                city,
                state,
                country,
                customer_account_id,
                metadata,
                status: status.to_owned(),
                seen_updated_at,
            }),
            _ => Err(e),
        }
    }
}
