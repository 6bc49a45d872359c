"""The contracts: loading, validation, API versions, generation of requests from them."""
