"""pytest plugin for asyncpay (options, fixtures, markers, reports)."""
