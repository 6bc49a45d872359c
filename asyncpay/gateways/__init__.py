"""The merchant's role against each gateway, one sub-package per gateway."""
