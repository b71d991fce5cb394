//! The areas of the product: the admin portal (`/`), the license portal (`/portal`) and
//! the JSON API (`/api/`). Errors, sign-in and layouts are chosen per area. The route
//! table gives each route its area (as the resource's app data, see
//! `web::routes`); [`Area::of`] guesses it from the URL prefix only for a URL that
//! matches no route (its 404 page).

/// Which part of the product a request belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The admin portal, for staff.
    Admin,
    /// The license portal, for license managers.
    Portal,
    /// The JSON API, for applications.
    Api,
}

impl Area {
    /// The area of a request path that matched no route, by its prefix.
    pub fn of(path: &str) -> Area {
        if path == "/api" || path.starts_with("/api/") {
            Area::Api
        } else if path == "/portal" || path.starts_with("/portal/") {
            Area::Portal
        } else {
            Area::Admin
        }
    }

    /// Where a person goes back to from an error page of this area.
    pub fn home(self) -> &'static str {
        match self {
            Area::Admin => "/orders",
            Area::Portal => "/portal",
            Area::Api => "/api/v1/openapi.json",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Area;

    #[test]
    fn areas_by_prefix() {
        assert_eq!(Area::of("/orders/5"), Area::Admin);
        assert_eq!(Area::of("/portal"), Area::Portal);
        assert_eq!(Area::of("/portal/orders/5"), Area::Portal);
        assert_eq!(Area::of("/portals"), Area::Admin);
        assert_eq!(Area::of("/api/v1/x"), Area::Api);
        assert_eq!(Area::of("/apiary"), Area::Admin);
    }
}
