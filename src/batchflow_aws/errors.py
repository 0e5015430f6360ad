"""The one error this layer raises: which call failed, AWS's code, and whether AWS answered."""


class AwsError(Exception):
    def __init__(self, operation: str, message: str, code: str | None = None) -> None:
        detail = f"{code}: {message}" if code else message
        super().__init__(f"{operation} failed: {detail}")
        self.operation = operation
        self.code = code
        self.message = message

    @property
    def unreachable(self) -> bool:
        """True when AWS gave no answer (no connection, no region): the call never reached it."""
        return self.code is None
