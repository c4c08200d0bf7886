from . import (
    test_adapter,
    test_backend_actions,
    test_dry_run,
    test_exports,
    test_flows,
    test_install,
    test_mappers_reference,
    test_money_properties,
    test_payouts,
    test_sandbox_delivery,
    test_tour_onboarding,
    test_webhook_controller,
)
