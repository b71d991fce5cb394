//! The license API's signing keys: stored only sealed with the server's secret (a dump
//! without the secret cannot sign), rotated in stages (next → active, with the old key
//! still signing until it is retired), revoked keys unpublished; and `keyfold
//! signing-key`, which makes the secret file beside an SQLite database.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::prelude::*;
use ed25519_dalek::{Signer, Verifier, VerifyingKey};
use keyfold::db::schema::signing_keys;
use keyfold::db::{write_tx, DbConnection};
use keyfold::domain::KeyState;
use keyfold::models::signing_key::{self, KeySealer};
use keyfold::models::ModelError;

use crate::cli::keyfold;
use crate::helpers::TestDb;

const SECRET: &[u8] = b"a test secret of more than thirty-two characters";

fn code<T: std::fmt::Debug>(r: Result<T, ModelError>) -> &'static str {
    r.unwrap_err().code()
}

fn verifying(stored: &signing_key::StoredKey) -> VerifyingKey {
    let bytes: [u8; 32] = STANDARD
        .decode(&stored.public_key)
        .unwrap()
        .try_into()
        .unwrap();
    VerifyingKey::from_bytes(&bytes).unwrap()
}

fn tx<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, ModelError>,
) -> Result<T, ModelError> {
    write_tx(conn, f)
}

#[test]
fn keys_rotate_in_stages_and_only_the_secret_opens_them() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).unwrap();
    let sealer = KeySealer::new(SECRET);
    assert_eq!(
        signing_key::signers(&mut conn, &sealer)
            .unwrap()
            .unwrap()
            .len(),
        0,
        "no key yet: nothing signs"
    );

    let first = tx(&mut conn, |c| signing_key::rotate(c, &sealer)).unwrap();
    assert_eq!(first.state, KeyState::Active, "the first key signs at once");
    let second = tx(&mut conn, |c| signing_key::rotate(c, &sealer)).unwrap();
    assert_eq!(second.state, KeyState::Next, "a later one waits, published");
    assert_eq!(
        code(tx(&mut conn, |c| signing_key::rotate(c, &sealer))),
        "next_key_waiting"
    );
    assert_eq!(code(tx(&mut conn, signing_key::retire)), "no_outgoing_key");
    let published: Vec<String> = signing_key::published(&mut conn)
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(published, vec![first.kid.clone(), second.kid.clone()]);
    let signers = signing_key::signers(&mut conn, &sealer).unwrap().unwrap();
    assert_eq!(signers.len(), 1);
    assert_eq!(signers[0].0, first.kid);

    // Promote: the new key is active, the old one still signs (sig1) until retired.
    let active = tx(&mut conn, signing_key::promote).unwrap();
    assert_eq!(active.kid, second.kid);
    let signers = signing_key::signers(&mut conn, &sealer).unwrap().unwrap();
    let kids: Vec<&str> = signers.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kids,
        vec![first.kid.as_str(), second.kid.as_str()],
        "old first, new second"
    );
    for ((_, key), stored) in signers.iter().zip([&first, &second]) {
        let sig = key.sign(b"an answer");
        assert!(verifying(stored).verify(b"an answer", &sig).is_ok());
    }
    assert_eq!(code(tx(&mut conn, signing_key::promote)), "no_next_key");
    tx(&mut conn, |c| signing_key::rotate(c, &sealer)).unwrap();
    assert_eq!(code(tx(&mut conn, signing_key::promote)), "overlap_open");

    let retired = tx(&mut conn, signing_key::retire).unwrap();
    assert_eq!(
        (retired.kid.as_str(), retired.state),
        (first.kid.as_str(), KeyState::Retired)
    );
    let signers = signing_key::signers(&mut conn, &sealer).unwrap().unwrap();
    assert_eq!(
        signers.len(),
        1,
        "a retired key verifies but no longer signs"
    );
    assert!(signing_key::published(&mut conn)
        .unwrap()
        .iter()
        .any(|k| k.kid == first.kid));

    let revoked = tx(&mut conn, |c| signing_key::revoke(c, &first.kid)).unwrap();
    assert_eq!(revoked.state, KeyState::Revoked);
    assert!(!signing_key::published(&mut conn)
        .unwrap()
        .iter()
        .any(|k| k.kid == first.kid));
    assert!(matches!(
        tx(&mut conn, |c| signing_key::revoke(c, "kf-nosuchkey")),
        Err(ModelError::NotFound)
    ));

    // A dump without the secret: the rows hold no private key in the clear, and any
    // other secret opens nothing.
    let rows: Vec<(String, String)> = signing_keys::table
        .select((signing_keys::kid, signing_keys::sealed_private))
        .load(&mut conn)
        .unwrap();
    for (kid, key) in signing_key::signers(&mut conn, &sealer).unwrap().unwrap() {
        let seed = key.to_bytes();
        let sealed = &rows.iter().find(|(k, _)| *k == kid).unwrap().1;
        assert!(
            !sealed.contains(&hex::encode(seed)),
            "{kid}: the seed in hex"
        );
        assert!(
            !sealed.contains(&STANDARD.encode(seed)),
            "{kid}: the seed in base64"
        );
    }
    let other = KeySealer::new(b"another secret of more than thirty-two characters");
    assert!(signing_key::signers(&mut conn, &other).unwrap().is_none());
}

#[test]
fn the_database_holds_at_most_one_active_and_one_next_key() {
    let db = TestDb::fresh();
    let mut conn = keyfold::db::open_single(db.url()).unwrap();
    let sealer = KeySealer::new(SECRET);
    let first = tx(&mut conn, |c| signing_key::rotate(c, &sealer)).unwrap();
    let copy = diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::kid.eq("kf-second"),
            signing_keys::public_key.eq(&first.public_key),
            signing_keys::sealed_private.eq("00"),
            signing_keys::state.eq(KeyState::Active),
            signing_keys::created_at.eq(first.created_at),
            signing_keys::state_changed_at.eq(first.created_at),
        ))
        .execute(&mut conn);
    assert!(
        copy.is_err(),
        "a second active key is refused by the schema"
    );
}

#[test]
fn the_cli_rotates_with_a_secret_file_beside_an_sqlite_database() {
    let db = TestDb::fresh_sqlite();
    let out = keyfold(&db)
        .args(["signing-key", "rotate"])
        .env_remove("KEYFOLD_SECRET_KEY")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("is now active."), "{stdout}");
    let path = db.url().trim_start_matches("sqlite://");
    let file = std::path::Path::new(path)
        .parent()
        .unwrap()
        .join("secret.key");
    let secret = std::fs::read_to_string(&file).unwrap();
    assert!(secret.trim().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the secret");
    }
    // The file's secret opens the key; the database alone does not hold it.
    let mut conn = keyfold::db::open_single(db.url()).unwrap();
    let sealer = KeySealer::new(secret.trim().as_bytes());
    assert_eq!(
        signing_key::signers(&mut conn, &sealer)
            .unwrap()
            .unwrap()
            .len(),
        1
    );
    let list = keyfold(&db).args(["signing-key", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("active"));
    let refused = keyfold(&db)
        .args(["signing-key", "retire"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing to retire"));
}

/// Admins see the signing keys on the Settings page, with their states; other staff
/// are refused it.
#[tokio::test]
async fn the_settings_page_shows_the_signing_keys_to_admins_only() {
    let app = crate::helpers::TestApp::spawn_with(
        |c| {
            c.secret_key = Some(keyfold::config::Secret::new(
                "a settings test secret of more than thirty-two characters",
            ))
        },
        None,
    )
    .await;
    let keys: serde_json::Value = app.api_get("/api/v1/keys").await.json().await.unwrap();
    let kid = keys["keys"][0]["kid"].as_str().unwrap().to_owned();
    let public = keys["keys"][0]["public_key"].as_str().unwrap().to_owned();
    app.signed_in_as("m@example.com", keyfold::domain::Role::StaffManager)
        .await;
    assert_eq!(app.get("/settings").await.status(), 403);
    let admin = crate::helpers::client();
    app.create_staff("a@example.com", keyfold::domain::Role::Admin);
    app.sign_in_with(&admin, "a@example.com", crate::helpers::PASSWORD, None)
        .await;
    let page = app.page_with(&admin, "/settings").await;
    assert!(page.contains(&kid) && page.contains(&public), "{page}");
    assert!(page.contains(">active<"), "{page}");
    assert!(!page.contains("signing_unavailable"));
}
