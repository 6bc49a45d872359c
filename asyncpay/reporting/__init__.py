"""reports/: summary, JUnit, HTML, ledger, drift, merge of shards."""
