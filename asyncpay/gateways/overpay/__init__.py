"""Overpay's asynchronous task API: the merchant role and the task lifecycle model."""
