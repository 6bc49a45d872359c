"""Time: the target's clock, deadlines and the watchdog that enforces them, polling, the receiver, progress."""
