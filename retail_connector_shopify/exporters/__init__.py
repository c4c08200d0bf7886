from .inventory import ShopifyInventoryExporter
from .products import ShopifyProductExporter

__all__ = ["ShopifyInventoryExporter", "ShopifyProductExporter"]
