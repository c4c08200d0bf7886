from . import retail_dry_run
