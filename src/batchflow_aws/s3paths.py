"""s3://bucket/prefix values, parsed once."""

from dataclasses import dataclass


@dataclass(frozen=True)
class S3Prefix:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, uri: str) -> "S3Prefix":
        if not uri.startswith("s3://"):
            raise ValueError(f"{uri!r} is not an s3:// URI")
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if not bucket:
            raise ValueError(f"{uri!r} names no bucket")
        return cls(bucket, prefix.strip("/"))

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    def child(self, name: str) -> "S3Prefix":
        return S3Prefix(self.bucket, self.key(name).strip("/"))

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"
