from . import (
    test_account_flow,
    test_adapter,
    test_install,
    test_outbound_message,
    test_pure,
    test_security,
)
