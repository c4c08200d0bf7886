from . import (
    test_account_flow,
    test_accounts_out,
    test_adapter,
    test_dry_run,
    test_install,
    test_limits,
    test_order_status,
    test_orders_in,
    test_outbound_message,
    test_pure,
    test_reconciliation,
    test_security,
)
