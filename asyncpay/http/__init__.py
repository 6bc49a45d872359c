"""The origin-pinned HTTP client, throttling, request deadlines, recording and redaction."""
