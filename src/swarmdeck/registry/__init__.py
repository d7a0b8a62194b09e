"""A Distribution API v2 client (httpx)."""
