DROP TABLE device_variables;
