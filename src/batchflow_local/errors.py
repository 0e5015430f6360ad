"""Errors shaped like AWS's, so botocore raises the same `ClientError` codes."""


class AwsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def client_error(message: str) -> AwsError:
    """Batch's catch-all for bad requests: HTTP 400 `ClientException`."""
    return AwsError("ClientException", message)
