from .account import AccountExporter
from .order_status import OrderStatusExporter
from .product import ProductExporter
