//! The admin portal's forms: structs of strings as submitted (so a wrong value comes back
//! as a message beside its field), their `parse()` into the model's validated inputs, and
//! the values a form is filled with. The model layer never sees a form.

pub mod customer;
pub mod license;
pub mod lines;
pub mod order;
pub mod product;
