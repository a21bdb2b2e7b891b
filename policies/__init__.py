"""The clickhouse-byoc Pulumi policy pack (rules in `policies.rules`; `__main__.py` serves them)."""
