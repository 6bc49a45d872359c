"""Time: the target's clock, deadlines, polling, the notification receiver, progress."""
