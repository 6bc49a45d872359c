"""Overlapping real-time waits: early starts, background checks, cases drawn ahead."""
