from . import (
    product,
    res_partner,
    retail_backend,
    retail_backend_circuit,
    retail_backend_jobs,
    retail_binding,
    retail_checkpoint,
    retail_event,
    retail_mapping,
    retail_ownership_rule,
    sale_order,
    stock_picking,
)
