//! The grant tree's invariants, proved over generated sequences of staff and manager
//! actions (invite — also someone who already holds a grant —, edit and remove with
//! forged fields, revoke, disable, lower a quota or permissions, create order, create
//! bundle order, issue, delete an order). Each action goes through the parse function its handler uses and
//! the model function its handler calls, in one write transaction, with the grant guard's
//! check for a manager's own grant. After every step:
//! - no cycle; a vendor-made grant hangs from nothing, any other from an older grant
//!   that still exists; neither the mark nor the parent ever changes;
//! - every grant's permissions and products are within its parent's (a quota no larger);
//! - for every vendor-made grant and product, the licenses recorded against it are at
//!   most its count of created licenses (equal until an order is deleted), and that count
//!   stays within its quota.

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use keyfold::db::schema::{grant_products, licenses, manager_grants, products};
use keyfold::db::DbConnection;
use keyfold::domain::{GrantId, LicenseManagerId, OrderId, Permission, Permissions};
use keyfold::mail::Mailer;
use keyfold::models::audit::Actor;
use keyfold::models::{grant, grant_change, license_manager, order, ModelError};
use keyfold::ops::{grants, issuing, Reach};
use keyfold::web::manager_forms::{ManagerForm, PermissionsForm};
use keyfold::web::portal::forms::LinesForm;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::helpers::{test_config, TestDb};

/// Staff as the property test's vendor acts (an admin: the route table let them in).
const STAFF: Reach = Reach::Staff(keyfold::domain::Role::Admin);

/// A product choice section as a form would send it (indices into the case's products,
/// the last one an id that does not exist).
#[derive(Debug, Clone)]
struct Section {
    shown: bool,
    ticked: Vec<usize>,
    quotas: Vec<(usize, &'static str)>,
}

#[derive(Debug, Clone)]
enum Step {
    StaffAdd {
        who: usize,
        order: usize,
        perms: u16,
        products: Section,
    },
    StaffEdit {
        grant: usize,
        perms: u16,
        products: Section,
    },
    StaffRemove {
        grant: usize,
    },
    StaffRevoke {
        grant: usize,
    },
    StaffDeleteOrder {
        order: usize,
    },
    SetEnabled {
        who: usize,
        on: bool,
    },
    Invite {
        by: usize,
        who: usize,
        perms: u16,
        products: Section,
    },
    Edit {
        by: usize,
        target: usize,
        perms: u16,
        products: Section,
    },
    Remove {
        by: usize,
        target: usize,
    },
    Issue {
        by: usize,
        lines: Vec<(usize, &'static str)>,
    },
    CreateOrder {
        by: usize,
        lines: Vec<(usize, &'static str)>,
        bundle: bool,
    },
}

const QUOTAS: &[&str] = &[
    "",
    "",
    "",
    "0",
    "1",
    "2",
    "2",
    "3",
    "3",
    "5",
    "5",
    "8",
    "10",
    "-1",
    "x",
    "1000001",
    "99999999999999999999",
];
const COUNTS: &[&str] = &[
    "1", "1", "1", "2", "2", "3", "3", "4", "5", "0", "-2", "1001", "", "9e9",
];
/// Managers per case: the last is a new email each time (an invite, no password).
const PEOPLE: usize = 5;

fn section() -> impl Strategy<Value = Section> {
    (
        prop::bool::weighted(0.8),
        prop::collection::vec(product(), 0..4),
        prop::collection::vec((product(), prop::sample::select(QUOTAS)), 0..4),
    )
        .prop_map(|(shown, ticked, quotas)| Section {
            shown,
            ticked,
            quotas,
        })
}

/// One of the case's products, now and then the id no product has.
fn product() -> impl Strategy<Value = usize> {
    prop_oneof![10 => 0..3usize, 1 => Just(3usize)]
}

fn lines() -> impl Strategy<Value = Vec<(usize, &'static str)>> {
    prop::collection::vec((product(), prop::sample::select(COUNTS)), 1..3)
}

fn perms() -> impl Strategy<Value = u16> {
    prop_oneof![2 => Just(0x1ff), 1 => 0..0x200u16]
}

fn staff_add() -> impl Strategy<Value = Step> {
    (0..PEOPLE, 0..3usize, perms(), section()).prop_map(|(who, order, perms, products)| {
        Step::StaffAdd {
            who,
            order,
            perms,
            products,
        }
    })
}

/// A sequence: staff make a first grant, then anything.
fn steps() -> impl Strategy<Value = Vec<Step>> {
    (staff_add(), prop::collection::vec(step(), 0..40)).prop_map(|(first, mut rest)| {
        rest.insert(0, first);
        rest
    })
}

fn step() -> impl Strategy<Value = Step> {
    let idx = || 0..12usize;
    prop_oneof![
        2 => staff_add(),
        1 => (idx(), perms(), section())
            .prop_map(|(grant, perms, products)| Step::StaffEdit { grant, perms, products }),
        1 => idx().prop_map(|grant| Step::StaffRemove { grant }),
        1 => idx().prop_map(|grant| Step::StaffRevoke { grant }),
        1 => (0..4usize).prop_map(|order| Step::StaffDeleteOrder { order }),
        1 => (0..PEOPLE, any::<bool>()).prop_map(|(who, on)| Step::SetEnabled { who, on }),
        4 => (idx(), 0..PEOPLE, perms(), section()).prop_map(|(by, who, perms, products)| {
            Step::Invite { by, who, perms, products }
        }),
        3 => (idx(), idx(), perms(), section()).prop_map(|(by, target, perms, products)| {
            Step::Edit { by, target, perms, products }
        }),
        1 => (idx(), idx()).prop_map(|(by, target)| Step::Remove { by, target }),
        6 => (idx(), lines()).prop_map(|(by, lines)| Step::Issue { by, lines }),
        3 => (idx(), lines(), any::<bool>())
            .prop_map(|(by, lines, bundle)| Step::CreateOrder { by, lines, bundle }),
    ]
}

/// What one case works on, in a database shared by the cases (each its own orders and
/// people).
struct Case<'a> {
    conn: &'a mut DbConnection,
    mailer: &'a Mailer,
    /// Two plain products, a bundle of them, and an id no product has.
    products: [i64; 4],
    orders: Vec<i64>,
    people: Vec<String>,
    /// Every grant made in this case, oldest first (removed ones stay, to be forged).
    grants: Vec<i64>,
    n: usize,
}

fn keys(mask: u16) -> Vec<String> {
    Permission::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, p)| p.key().to_owned())
        .collect()
}

impl Case<'_> {
    fn product_fields(
        &self,
        s: &Section,
    ) -> (Option<String>, Vec<String>, Vec<String>, Vec<String>) {
        let id = |i: &usize| self.products[*i].to_string();
        (
            s.shown.then(|| "1".to_owned()),
            s.ticked.iter().map(id).collect(),
            s.quotas.iter().map(|(i, _)| id(i)).collect(),
            s.quotas.iter().map(|(_, q)| (*q).to_owned()).collect(),
        )
    }

    /// "Add license manager" / "Invite a manager" as the form would be filled in.
    fn manager_form(&mut self, who: usize, perms: u16, products: &Section) -> ManagerForm {
        let (products_shown, products, quota_product, quota) = self.product_fields(products);
        ManagerForm {
            email: self.email(who),
            name: "Someone".to_owned(),
            permissions: keys(perms),
            products_shown,
            products,
            quota_product,
            quota,
        }
    }

    /// A grant's edit form, parsed as its handler parses it (`None`: a 422).
    fn edit_input(
        &self,
        perms: u16,
        products: &Section,
    ) -> Option<(
        Permissions,
        Option<Vec<keyfold::models::grant_products::ProductChoice>>,
    )> {
        let (products_shown, products, quota_product, quota) = self.product_fields(products);
        let form = PermissionsForm {
            permissions: keys(perms),
            products_shown,
            products,
            quota_product,
            quota,
        };
        Some((form.parse().ok()?, form.product_fields().parse().ok()?))
    }

    fn email(&mut self, who: usize) -> String {
        if who + 1 == PEOPLE {
            self.n += 1;
            format!("new-{}-{}@props.example", self.people[0], self.n)
        } else {
            self.people[who].clone()
        }
    }

    fn pick(&self, i: usize) -> Option<i64> {
        (!self.grants.is_empty()).then(|| self.grants[i % self.grants.len()])
    }

    /// A grant's (manager, order), if it still exists.
    fn grant_row(&mut self, id: i64) -> Option<(i64, i64)> {
        manager_grants::table
            .find(id)
            .select((manager_grants::manager_id, manager_grants::order_id))
            .first(self.conn)
            .optional()
            .unwrap()
    }

    /// The grant guard for a manager acting through grant `i`: their handle on its order
    /// with the route's permission, when the account is enabled.
    fn guard(&mut self, i: usize, need: Permission) -> Option<(grant::GrantedOrder, Actor)> {
        let (manager, order) = self.grant_row(self.pick(i)?)?;
        let m = license_manager::find(self.conn, LicenseManagerId(manager))
            .unwrap()
            .filter(|m| m.enabled && m.password_hash.is_some())?;
        let g = grant::check(
            self.conn,
            LicenseManagerId(manager),
            OrderId(order),
            Some(need),
        )
        .unwrap()
        .ok()?;
        Some((g, Actor::license_manager(m.id, &m.email, None)))
    }

    fn tx<T>(&mut self, f: impl FnOnce(&mut DbConnection) -> Result<T, ModelError>) -> Option<T> {
        match keyfold::db::write_tx(self.conn, f) {
            Ok(v) => Some(v),
            Err(ModelError::Db(e)) => panic!("a database error is a bug here: {e}"),
            Err(e) => {
                if std::env::var("PROPS_DEBUG").is_ok() {
                    eprintln!("refused: {e}");
                }
                None
            }
        }
    }

    /// Every grant's permissions and products with quotas.
    fn shapes(&mut self) -> HashMap<i64, Shape> {
        let grants: Vec<(i64, Permissions)> = manager_grants::table
            .select((manager_grants::id, Permissions::as_select()))
            .load(self.conn)
            .unwrap();
        let mut rows: Vec<(i64, i64, Option<i64>)> = grant_products::table
            .select((
                grant_products::grant_id,
                grant_products::product_id,
                grant_products::quota,
            ))
            .load(self.conn)
            .unwrap();
        rows.sort();
        grants
            .into_iter()
            .map(|(id, p)| {
                let mine = rows
                    .iter()
                    .filter(|r| r.0 == id)
                    .map(|r| (r.1, r.2))
                    .collect();
                (id, (p, mine))
            })
            .collect()
    }

    /// Runs a step; a manager's step may change or remove only grants strictly below the
    /// grant they act through.
    fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        let by = match step {
            Step::Invite { by, .. } | Step::Edit { by, .. } | Step::Remove { by, .. } => {
                self.pick(*by)
            }
            _ => None,
        };
        let Some(by) = by else {
            self.act(step);
            return Ok(());
        };
        let before = self.shapes();
        let below = keyfold::models::grant_tree::descendants(self.conn, GrantId(by)).unwrap();
        self.act(step);
        let after = self.shapes();
        for (id, shape) in &before {
            if after.get(id) != Some(shape) {
                prop_assert!(
                    below.contains(&GrantId(*id)),
                    "{:?} through grant {} changed grant {}, which is not below it",
                    step,
                    by,
                    id
                );
            }
        }
        Ok(())
    }

    fn act(&mut self, step: &Step) {
        let staff = Actor::staff(keyfold::domain::StaffId(1), "staff@vendor.example", None);
        match step.clone() {
            Step::StaffAdd {
                who,
                order,
                perms,
                products,
            } => {
                let Ok(input) = self.manager_form(who, perms, &products).parse() else {
                    return;
                };
                let order = self.orders[order % self.orders.len()];
                let mailer = self.mailer;
                if let Some((id, _)) = self
                    .tx(|conn| grants::add(conn, mailer, &staff, &STAFF, OrderId(order), &input))
                {
                    self.grants.push(id.0);
                }
            }
            Step::StaffEdit {
                grant,
                perms,
                products,
            } => {
                let Some(id) = self.pick(grant) else { return };
                let Some((_, order)) = self.grant_row(id) else {
                    return;
                };
                let Some((p, choices)) = self.edit_input(perms, &products) else {
                    return;
                };
                self.tx(|conn| {
                    grants::edit(
                        conn,
                        &staff,
                        &STAFF,
                        OrderId(order),
                        GrantId(id),
                        p,
                        choices,
                    )
                });
            }
            Step::StaffRemove { grant } => {
                let Some(id) = self.pick(grant) else { return };
                let Some((_, order)) = self.grant_row(id) else {
                    return;
                };
                self.tx(|conn| grants::remove(conn, &staff, &STAFF, OrderId(order), GrantId(id)));
            }
            Step::StaffRevoke { grant } => {
                let Some(id) = self.pick(grant) else { return };
                let Some((_, order)) = self.grant_row(id) else {
                    return;
                };
                self.tx(|conn| {
                    grants::revoke_invite(conn, &staff, &STAFF, OrderId(order), GrantId(id))
                });
            }
            Step::StaffDeleteOrder { order } => {
                let order = self.orders[order % self.orders.len()];
                let Some(o) = order::find(self.conn, OrderId(order)).unwrap() else {
                    return;
                };
                self.tx(|conn| {
                    grant_change::delete_order(conn, &staff, OrderId(order), &o.reference)
                });
            }
            Step::SetEnabled { who, on } => {
                let email = self.people[who.min(PEOPLE - 2)].clone();
                let Some(m) = license_manager::find_by_email(self.conn, &email).unwrap() else {
                    return;
                };
                self.tx(|conn| license_manager::set_enabled(conn, &staff, m.id, on));
            }
            Step::Invite {
                by,
                who,
                perms,
                products,
            } => {
                let Some((g, actor)) = self.guard(by, Permission::ManageManagers) else {
                    return;
                };
                let Ok(input) = self.manager_form(who, perms, &products).parse() else {
                    return;
                };
                let mailer = self.mailer;
                let (reach, order) = (Reach::LicenseManager(g.clone()), g.order_id());
                if let Some((id, _)) =
                    self.tx(|conn| grants::add(conn, mailer, &actor, &reach, order, &input))
                {
                    self.grants.push(id.0);
                }
            }
            Step::Edit {
                by,
                target,
                perms,
                products,
            } => {
                let Some((g, actor)) = self.guard(by, Permission::ManageManagers) else {
                    return;
                };
                let Some(target) = self.pick(by + 1 + target) else {
                    return;
                };
                let Some((p, choices)) = self.edit_input(perms, &products) else {
                    return;
                };
                let (reach, order) = (Reach::LicenseManager(g.clone()), g.order_id());
                self.tx(|conn| {
                    grants::edit(conn, &actor, &reach, order, GrantId(target), p, choices)
                });
            }
            Step::Remove { by, target } => {
                let Some((g, actor)) = self.guard(by, Permission::ManageManagers) else {
                    return;
                };
                let Some(target) = self.pick(by + 1 + target) else {
                    return;
                };
                let (reach, order) = (Reach::LicenseManager(g.clone()), g.order_id());
                self.tx(|conn| grants::remove(conn, &actor, &reach, order, GrantId(target)));
            }
            Step::Issue { by, lines } => {
                let Some((g, actor)) = self.guard(by, Permission::IssueLicense) else {
                    return;
                };
                let form = self.lines(&lines);
                let Ok(lines) = form.parse() else { return };
                self.tx(|conn| issuing::issue_licenses(conn, &g, &actor, &lines));
            }
            Step::CreateOrder { by, lines, bundle } => {
                let need = if bundle {
                    Permission::CreateBundleOrder
                } else {
                    Permission::CreateOrder
                };
                let Some((g, actor)) = self.guard(by, need) else {
                    return;
                };
                let form = self.lines(&lines);
                let Ok(lines) = form.parse() else { return };
                let kind = if bundle {
                    issuing::Kind::Bundle
                } else {
                    issuing::Kind::Plain
                };
                if let Some((o, _)) =
                    self.tx(|conn| issuing::create_order(conn, &g, &actor, &lines, kind))
                {
                    self.orders.push(o.id.into());
                    let id: i64 = manager_grants::table
                        .filter(manager_grants::order_id.eq(o.id))
                        .select(manager_grants::id)
                        .first(self.conn)
                        .unwrap();
                    self.grants.push(id);
                }
            }
        }
    }

    fn lines(&self, lines: &[(usize, &str)]) -> LinesForm {
        LinesForm {
            product: lines
                .iter()
                .map(|(p, _)| self.products[*p].to_string())
                .collect(),
            count: lines.iter().map(|(_, c)| (*c).to_owned()).collect(),
            add_lines: None,
        }
    }
}

type Node = (i64, Option<i64>, bool, Permissions);
/// A grant's permissions and its products with quotas.
type Shape = (Permissions, Vec<(i64, Option<i64>)>);

/// The invariants, over every grant in the database. `seen` remembers each grant's
/// parent and mark as first seen.
fn check(
    conn: &mut DbConnection,
    seen: &mut HashMap<i64, (Option<i64>, bool)>,
) -> Result<(), TestCaseError> {
    let nodes: Vec<Node> = manager_grants::table
        .select((
            manager_grants::id,
            manager_grants::parent_grant_id,
            manager_grants::vendor_made,
            Permissions::as_select(),
        ))
        .load(conn)
        .unwrap();
    let by_id: HashMap<i64, &Node> = nodes.iter().map(|n| (n.0, n)).collect();
    // A removed grant's id may be used again (SQLite takes the highest id plus one).
    seen.retain(|id, _| by_id.contains_key(id));
    let rows: Vec<(i64, i64, Option<i64>, i64)> = grant_products::table
        .select((
            grant_products::grant_id,
            grant_products::product_id,
            grant_products::quota,
            grant_products::used,
        ))
        .load(conn)
        .unwrap();
    let products: HashMap<(i64, i64), (Option<i64>, i64)> =
        rows.iter().map(|r| ((r.0, r.1), (r.2, r.3))).collect();
    for (id, parent, vendor_made, perms) in &nodes {
        let first = *seen.entry(*id).or_insert((*parent, *vendor_made));
        prop_assert_eq!(first, (*parent, *vendor_made), "grant {} changed place", id);
        if *vendor_made {
            prop_assert!(parent.is_none(), "vendor-made grant {} has a parent", id);
        }
        // No cycle: the walk up ends.
        let mut at = *parent;
        let mut steps = 0;
        while let Some(p) = at {
            prop_assert!(p != *id && steps < 64, "grant {} is in a cycle", id);
            at = by_id.get(&p).and_then(|n| n.1);
            steps += 1;
        }
        let Some(p) = parent else { continue };
        prop_assert!(p < id, "grant {} hangs from a newer grant {}", id, p);
        let up = by_id.get(p);
        prop_assert!(up.is_some(), "grant {} outlived its parent {}", id, p);
        let Some(up) = up else { continue };
        prop_assert!(
            perms.is_subset_of(&up.3),
            "grant {} holds permissions its parent {} lacks",
            id,
            p
        );
        for ((g, product), (quota, _)) in &products {
            if g != id {
                continue;
            }
            let theirs = products.get(&(*p, *product));
            prop_assert!(
                theirs.is_some(),
                "grant {} has product {} its parent lacks",
                id,
                product
            );
            if let (Some(q), Some((Some(pq), _))) = (quota, theirs) {
                prop_assert!(
                    q <= pq,
                    "grant {}'s quota {} is above its parent's {}",
                    id,
                    q,
                    pq
                );
            }
        }
    }
    // Every vendor-made grant's ceiling, by counting licenses.
    let recorded: Vec<(Option<i64>, Option<i64>, i64)> = licenses::table
        .filter(licenses::root_grant_id.is_not_null())
        .group_by((licenses::root_grant_id, licenses::quota_product_id))
        .select((
            licenses::root_grant_id,
            licenses::quota_product_id,
            diesel::dsl::count_star(),
        ))
        .load(conn)
        .unwrap();
    let recorded: HashMap<(i64, i64), i64> = recorded
        .into_iter()
        .filter_map(|(g, p, n)| Some(((g?, p?), n)))
        .collect();
    for ((root, product), n) in &recorded {
        let node = by_id.get(root);
        prop_assert!(
            node.is_some_and(|n| n.2),
            "licenses record {} which is not a vendor-made grant",
            root
        );
        if let Some((quota, used)) = products.get(&(*root, *product)) {
            // Deleting an order deletes its licenses, never the count of what was
            // created: the licenses that remain are at most the count.
            prop_assert!(n <= used, "grant {}'s count of product {}", root, product);
            if let Some(q) = quota {
                prop_assert!(
                    n <= q,
                    "grant {}: {} licenses of {} over quota {}",
                    root,
                    n,
                    product,
                    q
                );
            }
        }
    }
    for ((g, product), (_, used)) in &products {
        if by_id.get(g).is_some_and(|n| n.2) {
            let n = recorded.get(&(*g, *product)).copied().unwrap_or(0);
            prop_assert!(n <= *used, "grant {}'s count of product {}", g, product);
            if let Some((Some(q), _)) = products.get(&(*g, *product)) {
                prop_assert!(
                    used <= q,
                    "grant {}: {} created of {}, over quota {}",
                    g,
                    used,
                    product,
                    q
                );
            }
        }
    }
    Ok(())
}

/// Plain products and a bundle of two of them, from the demo catalogue.
fn catalogue(conn: &mut DbConnection) -> [i64; 4] {
    let plain: Vec<i64> = products::table
        .filter(products::is_bundle.eq(false))
        .order(products::id.asc())
        .select(products::id)
        .limit(2)
        .load(conn)
        .unwrap();
    let bundle: i64 = products::table
        .filter(products::is_bundle.eq(true))
        .select(products::id)
        .first(conn)
        .unwrap();
    [plain[0], plain[1], bundle, 999_999]
}

fn prove(cases: u32) {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).expect("migrated");
    let hash = bcrypt::hash("a password", 4).unwrap();
    keyfold::db::write_tx(&mut conn, |c| {
        let email = keyfold::domain::EmailAddress::parse("admin@props.example").unwrap();
        keyfold::seed::demo::seed(c, &email, &hash).map(|_| ())
    })
    .expect("the demo catalogue");
    let config = test_config(db.url());
    let key = keyfold::models::settings::server_secret(&mut conn, &config).unwrap();
    let mailer = Mailer::new(&key, &config);
    let products = catalogue(&mut conn);
    let customer: Option<i64> = keyfold::db::schema::customers::table
        .select(keyfold::db::schema::customers::id)
        .first(&mut conn)
        .optional()
        .unwrap();
    let conn = std::cell::RefCell::new(conn);
    let counter = std::cell::Cell::new(0usize);
    let seen = std::cell::RefCell::new(HashMap::new());
    let mut runner = TestRunner::new(Config {
        cases,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&steps(), |steps| {
        let mut conn = conn.borrow_mut();
        let n = counter.get() + 1;
        counter.set(n);
        // The case's two orders of one customer, and its people.
        let mut orders = Vec::new();
        for i in 0..2 {
            let reference = format!("PROP-{n}-{i}");
            let now = keyfold::models::now();
            orders.push(
                diesel::insert_into(keyfold::db::schema::orders::table)
                    .values((
                        keyfold::db::schema::orders::reference.eq(&reference),
                        keyfold::db::schema::orders::reference_norm.eq(reference.to_lowercase()),
                        keyfold::db::schema::orders::customer_id.eq(customer),
                        keyfold::db::schema::orders::created_at.eq(now),
                        keyfold::db::schema::orders::updated_at.eq(now),
                    ))
                    .returning(keyfold::db::schema::orders::id)
                    .get_result::<i64>(&mut *conn)
                    .unwrap(),
            );
        }
        // The first order holds a license of each plain product (a new grant's default).
        let lines: Vec<keyfold::models::issue::LineInput> = products[..2]
            .iter()
            .enumerate()
            .map(|(index, p)| keyfold::models::issue::LineInput {
                index,
                product_id: keyfold::domain::ProductId(*p),
                count: 1,
                license_type: None,
                max_activations: None,
                validity_days: None,
                maintenance_days: None,
                charged_to: None,
            })
            .collect();
        keyfold::models::issue::issue(
            &mut conn,
            OrderId(orders[0]),
            &lines,
            false,
            keyfold::models::now().date(),
        )
        .unwrap();
        let people: Vec<String> = (0..PEOPLE - 1)
            .map(|i| format!("m{i}-{n}@props.example"))
            .collect();
        for email in &people {
            let e = keyfold::domain::EmailAddress::parse(email).unwrap();
            license_manager::create(&mut conn, &Actor::system("props"), &e, "M", Some(&hash))
                .unwrap();
        }
        let mut case = Case {
            conn: &mut conn,
            mailer: &mailer,
            products,
            orders,
            people,
            grants: Vec::new(),
            n: 0,
        };
        for s in &steps {
            case.run(s)?;
            check(case.conn, &mut seen.borrow_mut())?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The sequences did reach the interesting places.
    let mut conn = conn.into_inner();
    let delegates: i64 = manager_grants::table
        .filter(manager_grants::vendor_made.eq(false))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let charged: i64 = licenses::table
        .filter(licenses::root_grant_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    let grants: i64 = manager_grants::table.count().get_result(&mut conn).unwrap();
    let edits: i64 = keyfold::db::schema::audit_log::table
        .filter(keyfold::db::schema::audit_log::action.eq("license_manager.permissions_changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    let removals: i64 = keyfold::db::schema::audit_log::table
        .filter(keyfold::db::schema::audit_log::action.eq("license_manager.removed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    eprintln!("{cases} cases: {grants} grants left, {delegates} delegates, {charged} licenses charged, {edits} edits, {removals} removals");
    assert!(
        delegates > 0 && charged > 0 && edits > 0 && removals > 0,
        "the sequences reach delegation, issuing, edits and removals"
    );
    conn.batch_execute("SELECT 1").unwrap();
}

/// A few hundred sequences on SQLite, fewer on PostgreSQL (the rules are the same code;
/// the second backend checks the queries).
#[test]
fn the_grant_tree_holds_its_invariants_over_generated_sequences() {
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let cases = std::env::var("KEYFOLD_PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(if postgres { 80 } else { 300 });
    prove(cases);
}
