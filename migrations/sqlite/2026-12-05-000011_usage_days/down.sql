DROP TABLE product_usage_days;
DROP TABLE license_usage_days;
