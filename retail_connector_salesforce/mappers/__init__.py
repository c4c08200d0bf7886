from .account import SalesforceAccountMapper, salesforce_timestamp
from .order import SalesforceOrderMapper
