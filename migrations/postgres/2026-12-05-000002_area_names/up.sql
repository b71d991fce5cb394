-- One name per area: the admin portal (staff) and the license portal (license
-- managers; the seeds' "end-user portal"), in stored sources too.
ALTER TABLE license_events DROP CONSTRAINT license_events_source_check;
UPDATE license_events SET source = 'admin_portal' WHERE source = 'vendor_portal';
UPDATE license_events SET source = 'license_portal' WHERE source = 'end_user_portal';
ALTER TABLE license_events ADD CONSTRAINT license_events_source_check
    CHECK (source IN ('admin_portal', 'license_portal', 'license_api', 'import', 'system'));
UPDATE audit_log SET source = 'license portal' WHERE source = 'end-user portal';
