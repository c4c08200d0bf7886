from . import generic_webhook
