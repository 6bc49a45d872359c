"""The pytest plugin: hooks, the session state, fixtures, the gateway registry, outcomes, the terminal view."""
