from . import (
    test_canonical,
    test_circuit,
    test_concurrency,
    test_dry_run,
    test_event_flow,
    test_generic_webhook,
    test_intake,
    test_order_import,
    test_outbound,
    test_ownership,
    test_refund_import,
    test_security,
)
