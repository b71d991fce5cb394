DROP INDEX licenses_import;
ALTER TABLE licenses DROP COLUMN import_id;
DROP TABLE customer_words;
DROP INDEX customers_email_domain;
ALTER TABLE customers DROP COLUMN email_domain;
