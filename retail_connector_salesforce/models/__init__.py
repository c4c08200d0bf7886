from . import (
    outbound_triggers,
    retail_backend,
    retail_backend_exports,
    retail_backend_flows,
    retail_backend_orders,
    retail_reconciliation,
    retail_sf_status_binding,
)
