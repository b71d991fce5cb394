//! The order forms as submitted (strings only) and what they parse to: a new order with
//! its customer choice and license lines, an edit of the order's own fields.

use serde::Deserialize;

use super::lines::LinesForm;
use crate::domain::values;
use crate::domain::{EmailAddress, FieldErrors};
use crate::models::order::{CustomerChoice, NewOrder, Order, OrderEdit};

/// The customer part of an order form: an email names an existing customer, or a new one
/// made with the names given. No email, no customer.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct CustomerChoiceForm {
    pub customer_email: String,
    pub customer_first_name: String,
    pub customer_last_name: String,
    pub customer_company: String,
}

impl CustomerChoiceForm {
    fn parse(&self, e: &mut FieldErrors) -> Option<CustomerChoice> {
        if self.customer_email.trim().is_empty() {
            return Some(CustomerChoice::None);
        }
        let email = e.check("customer_email", EmailAddress::parse(&self.customer_email))?;
        let first = e.check(
            "customer_first_name",
            values::text(&self.customer_first_name, values::SHORT, false),
        )?;
        let last = e.check(
            "customer_last_name",
            values::text(&self.customer_last_name, values::SHORT, false),
        )?;
        let company = e.check(
            "customer_company",
            values::text(&self.customer_company, values::SHORT, false),
        )?;
        Some(CustomerChoice::Email {
            email,
            first,
            last,
            company,
        })
    }
}

/// The new-order form as submitted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct NewOrderForm {
    pub reference: String,
    pub customer_email: String,
    pub customer_first_name: String,
    pub customer_last_name: String,
    pub customer_company: String,
    pub is_test: Option<String>,
    pub is_trial: Option<String>,
    pub campaign_params: String,
    pub download_id: String,
    pub metadata: String,
    pub line_product: Vec<String>,
    pub line_count: Vec<String>,
    pub line_type: Vec<String>,
    pub line_max_activations: Vec<String>,
    pub line_validity_days: Vec<String>,
    pub line_maintenance_days: Vec<String>,
    /// Present when "Add lines" was pressed instead of "Create order".
    pub add_lines: Option<String>,
}

impl NewOrderForm {
    pub fn lines(&self) -> LinesForm {
        LinesForm {
            line_product: self.line_product.clone(),
            line_count: self.line_count.clone(),
            line_type: self.line_type.clone(),
            line_max_activations: self.line_max_activations.clone(),
            line_validity_days: self.line_validity_days.clone(),
            line_maintenance_days: self.line_maintenance_days.clone(),
            add_lines: self.add_lines.clone(),
        }
    }

    pub fn customer(&self) -> CustomerChoiceForm {
        CustomerChoiceForm {
            customer_email: self.customer_email.clone(),
            customer_first_name: self.customer_first_name.clone(),
            customer_last_name: self.customer_last_name.clone(),
            customer_company: self.customer_company.clone(),
        }
    }

    pub fn test_checked(&self) -> bool {
        values::checkbox(&self.is_test)
    }

    pub fn trial_checked(&self) -> bool {
        values::checkbox(&self.is_trial)
    }

    pub fn parse(&self) -> Result<NewOrder, FieldErrors> {
        let mut e = FieldErrors::new();
        let reference = e
            .check("reference", values::text(&self.reference, 100, false))
            .unwrap_or_default();
        let customer = self.customer().parse(&mut e);
        let campaign_params = e
            .check(
                "campaign_params",
                values::text(&self.campaign_params, 1000, false),
            )
            .unwrap_or_default();
        let download_id = e
            .check(
                "download_id",
                values::text(&self.download_id, values::SHORT, false),
            )
            .unwrap_or_default();
        let metadata = e
            .check("metadata", values::json_object(&self.metadata))
            .unwrap_or_default();
        let lines = self.lines().parse(&mut e);
        match customer {
            Some(customer) if e.is_empty() => Ok(NewOrder {
                reference,
                customer,
                is_test: self.test_checked(),
                is_trial: self.trial_checked(),
                campaign_params,
                download_id,
                metadata,
                lines,
            }),
            _ => Err(e),
        }
    }
}

/// The edit-order form as submitted.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(default)]
pub struct EditOrderForm {
    pub reference: String,
    pub campaign_params: String,
    pub download_id: String,
    pub is_test: Option<String>,
    pub is_trial: Option<String>,
    pub updated_at: String,
}

impl EditOrderForm {
    pub fn from_order(o: &Order) -> Self {
        EditOrderForm {
            reference: o.reference.clone(),
            campaign_params: o.campaign_params.clone(),
            download_id: o.download_id.clone(),
            is_test: o.is_test.then(|| "on".to_owned()),
            is_trial: o.is_trial.then(|| "on".to_owned()),
            updated_at: values::version(&o.updated_at),
        }
    }

    pub fn test_checked(&self) -> bool {
        values::checkbox(&self.is_test)
    }

    pub fn trial_checked(&self) -> bool {
        values::checkbox(&self.is_trial)
    }

    /// Validates every field at once.
    pub fn parse(&self) -> Result<OrderEdit, FieldErrors> {
        let mut e = FieldErrors::new();
        let reference = e.check("reference", values::text(&self.reference, 100, true));
        let campaign = e.check(
            "campaign_params",
            values::text(&self.campaign_params, 1000, false),
        );
        let download = e.check(
            "download_id",
            values::text(&self.download_id, values::SHORT, false),
        );
        match (reference, campaign, download) {
            (Some(reference), Some(campaign_params), Some(download_id)) if e.is_empty() => {
                Ok(OrderEdit {
                    reference,
                    campaign_params,
                    download_id,
                    is_test: self.test_checked(),
                    is_trial: self.trial_checked(),
                    seen_updated_at: values::parse_version(&self.updated_at),
                })
            }
            _ => Err(e),
        }
    }
}

/// Parses a customer choice on its own (the order's customer form).
pub fn parse_customer_choice(form: &CustomerChoiceForm) -> Result<CustomerChoice, FieldErrors> {
    let mut e = FieldErrors::new();
    match form.parse(&mut e) {
        Some(choice) if e.is_empty() => Ok(choice),
        _ => Err(e),
    }
}
