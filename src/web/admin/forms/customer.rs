//! The customer form: strings as submitted (`domain::customer::CustomerDraft`), parsed
//! into a validated customer; filled from a stored customer for editing.

use crate::domain::values;
use crate::models::customer::Customer;

pub use crate::domain::customer::CustomerDraft as CustomerForm;

/// The form filled with a customer's current values.
pub fn from_customer(c: &Customer) -> CustomerForm {
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
