ALTER TABLE license_events DROP CONSTRAINT license_events_source_check;
UPDATE license_events SET source = 'vendor_portal' WHERE source = 'admin_portal';
UPDATE license_events SET source = 'end_user_portal' WHERE source = 'license_portal';
ALTER TABLE license_events ADD CONSTRAINT license_events_source_check
    CHECK (source IN ('vendor_portal', 'end_user_portal', 'license_api', 'import', 'system'));
UPDATE audit_log SET source = 'end-user portal' WHERE source = 'license portal';
