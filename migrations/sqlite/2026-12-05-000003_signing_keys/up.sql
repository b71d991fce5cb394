-- The license API's Ed25519 signing keys. The private key is stored only sealed with a
-- key derived from KEYFOLD_SECRET_KEY (or data/secret.key), which never lives in the
-- database: a dump alone cannot sign. At most one key is next and one active.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY NOT NULL,
    kid TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    sealed_private TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('next', 'active', 'outgoing', 'retired', 'revoked')),
    created_at TIMESTAMP NOT NULL,
    state_changed_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX signing_keys_one_per_live_state ON signing_keys (state)
WHERE state IN ('next', 'active', 'outgoing');
