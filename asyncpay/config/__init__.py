"""The user's configuration: profiles, command-line options, reachability of the targets."""
