"""Shopify's published Admin API schema, as the contract our documents and sandbox follow."""
