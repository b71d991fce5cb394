DROP TABLE license_managers;
