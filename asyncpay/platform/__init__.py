"""asyncpay plays the platform against the merchant's own shop: the embedded mock serves the
shop's calls, a canary stands for another host, and scenarios judge what the shop does."""
