//! Typed ids: a `StaffId` cannot be passed where an `OrderId` is expected.

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    StaffId,
    SessionId,
    CustomerId,
    CustomerAccountId,
    LabelId,
    ProductId,
    OrderId,
    LicenseId,
    DeviceId,
    LicenseManagerId,
    GrantId,
    OutboxId,
    LicenseUserId,
);
