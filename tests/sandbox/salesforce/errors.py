"""The error shape of the Salesforce REST API and the exception the sandbox raises internally.

REST errors are always a JSON array: ``[{"message": ..., "errorCode": ..., "fields": [...]}]``.
sObject Collections report the same errors per record with ``statusCode`` instead of
``errorCode``; ``ApiError.as_collection_error`` gives that spelling.
"""

NOT_FOUND_MESSAGE = "The requested resource does not exist"
SESSION_MESSAGE = "Session expired or invalid"


class ApiError(Exception):
    """An error answered as ``[{"message", "errorCode", "fields"}]`` with an HTTP status."""

    def __init__(self, status, code, message, fields=None):
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.fields = list(fields or [])

    def as_rest_body(self):
        """The JSON array body of a REST error response."""
        entry = {"message": self.message, "errorCode": self.code}
        if self.fields:
            entry["fields"] = self.fields
        return [entry]

    def as_collection_error(self):
        """One entry of ``errors`` in an sObject Collections result."""
        return {"statusCode": self.code, "message": self.message, "fields": self.fields}


def not_found(message=NOT_FOUND_MESSAGE):
    return ApiError(404, "NOT_FOUND", message)


def invalid_session():
    return ApiError(401, "INVALID_SESSION_ID", SESSION_MESSAGE)


def malformed_query(message):
    return ApiError(400, "MALFORMED_QUERY", message)


def invalid_field(message, fields=None):
    return ApiError(400, "INVALID_FIELD", message, fields)


def no_such_column(field, object_name):
    return invalid_field(f"No such column '{field}' on sobject of type {object_name}", [field])
