"""The user's configuration: profiles and command-line options."""
