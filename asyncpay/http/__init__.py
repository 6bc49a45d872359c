"""The origin-pinned HTTP client, throttling (429), recording, redaction, and the reachability probe."""
