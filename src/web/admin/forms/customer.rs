//! The customer form: strings as submitted, parsed into a validated customer.

use serde::Deserialize;

use crate::domain::values;
use crate::domain::{EmailAddress, FieldErrors};
use crate::models::customer::{Customer, CustomerInput};

/// The customer form as submitted: strings only, so every mistake comes back as a message.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct CustomerForm {
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

impl CustomerForm {
    /// The form filled with a customer's current values.
    pub fn from_customer(c: &Customer) -> Self {
        CustomerForm {
            email: c.email.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            company: c.company.clone(),
            phone: c.phone.clone(),
            reference: c.reference.clone(),
            external_id: c.external_id.clone(),
            address_line1: c.address_line1.clone(),
            address_line2: c.address_line2.clone(),
            postcode: c.postcode.clone(),
            city: c.city.clone(),
            state: c.state.clone(),
            country: c.country.clone(),
            customer_account_id: c
                .customer_account_id
                .map(|i| i.to_string())
                .unwrap_or_default(),
            metadata: values::pretty_json(&c.metadata),
            status: c.status.clone(),
            updated_at: values::version(&c.updated_at),
        }
    }

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
