DROP INDEX login_attempts_ip;
DROP INDEX license_managers_name;
ALTER TABLE license_managers DROP COLUMN name_norm;
DROP INDEX audit_log_order;
ALTER TABLE audit_log DROP COLUMN source;
ALTER TABLE audit_log DROP COLUMN order_id;
DROP TABLE outbox;
DROP TABLE manager_grants;
