"""The Open Payment Platform: server-to-server payments and COPYandPAY checkouts."""
