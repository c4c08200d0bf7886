from . import (
    test_adapter,
    test_backend_actions,
    test_install,
    test_sandbox_delivery,
    test_webhook_controller,
)
