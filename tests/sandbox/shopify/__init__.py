"""Local Shopify Admin API sandbox for the connector's tests, demos and benchmarks.

    from tests.sandbox.shopify import ShopifySandbox
    with ShopifySandbox() as sandbox:          # port 0: any free port
        sandbox.control.place_order([{"sku": "TSHIRT-BLUE-M", "quantity": 1}])

See README.md for the control API and fault injection.
"""

from .client import SandboxControl, SandboxControlError
from .seed import RETAIL_CATALOGUE
from .server import SUPPORTED_VERSIONS, ShopifySandbox
from .webhooks import sign

__all__ = [
           "RETAIL_CATALOGUE",
           "SUPPORTED_VERSIONS",
           "SandboxControl",
           "SandboxControlError",
           "ShopifySandbox",
           "sign",
]
