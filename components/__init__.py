"""clickhouse-byoc components: one module per layer, plus pure helpers (naming, cidr, settings)."""
