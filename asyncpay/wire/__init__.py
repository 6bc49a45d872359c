"""What the harness and the mock gateways share: test data, webhook wire formats, the server helper."""
