from . import retail_backend, retail_backend_actions
