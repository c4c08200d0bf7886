from . import (
    bulk_operation,
    product,
    retail_backend,
    retail_backend_actions,
    retail_backend_exports,
    retail_backend_flows,
    retail_backend_fulfilments,
    retail_backend_payouts,
    retail_backend_topics,
)
