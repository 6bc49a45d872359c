"""The pytest plugin: hooks, fixtures, the terminal view."""
