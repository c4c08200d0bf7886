"""A local Salesforce org for tests of the Odoo connector.

``SalesforceSandbox`` serves the REST API (sObjects, SOQL query/queryMore, collections,
getUpdated/getDeleted, describe, limits, Bulk 2.0), SOAP login and OAuth token endpoints, an
Outbound Message sender and a JSON control API, all on one local port. See README.md.
"""

from .client import SalesforceSandboxControl
from .server import SalesforceSandbox
from .testing import SandboxRoutingAdapter, generate_rsa_certificate, sandbox_session

__all__ = ["SalesforceSandbox", "SalesforceSandboxControl", "SandboxRoutingAdapter",
           "generate_rsa_certificate", "sandbox_session"]
