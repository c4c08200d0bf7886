from .account import SalesforceAccountMapper, salesforce_timestamp
