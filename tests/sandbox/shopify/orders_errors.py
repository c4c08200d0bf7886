"""The error of an order request the shop refuses (shared by orders, payments, refunds)."""


class OrderError(ValueError):
    """A request the shop would refuse; ``field`` is the path of the offending input."""

    def __init__(self, message, field=None, code=None):
        super().__init__(message)
        self.field = field
        self.code = code
