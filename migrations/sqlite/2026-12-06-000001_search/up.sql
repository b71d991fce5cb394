-- Search that finds what people type: a customer's email domain (stored, indexed: support
-- staff search by company domain) and the words of their name, company, reference and
-- email (one row per word, searched by prefix as a range on the primary key). The words
-- are written by the application in the transaction that writes the customer; existing
-- customers' words are filled in at the first start after this migration.
ALTER TABLE customers ADD COLUMN email_domain TEXT NOT NULL DEFAULT '';
UPDATE customers SET email_domain = substr(email_norm, instr(email_norm, '@') + 1);
CREATE INDEX customers_email_domain ON customers (email_domain);
CREATE TABLE customer_words (
    word TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    PRIMARY KEY (word, customer_id)
) WITHOUT ROWID;
CREATE INDEX customer_words_customer ON customer_words (customer_id);
-- The licenses a CSV import created (the finished import links to them).
ALTER TABLE licenses ADD COLUMN import_id INTEGER REFERENCES imports (id) ON DELETE SET NULL;
CREATE INDEX licenses_import ON licenses (import_id, id) WHERE import_id IS NOT NULL;
