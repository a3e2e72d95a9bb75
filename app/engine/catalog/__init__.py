"""What a database holds: the tenants, and one schema's DDL written to replay anywhere."""
