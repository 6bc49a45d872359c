"""Command-line tools: the rule map and the mutation matrix."""
