"""Tests of the stock, product and price exports (see models/retail_backend_exports.py)."""
