DROP TABLE import_license_rows;
DROP TABLE import_customer_labels;
DROP TABLE import_customer_rows;
DROP TABLE import_problems;
DROP TABLE imports;
