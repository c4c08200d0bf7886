from . import outbound_message
