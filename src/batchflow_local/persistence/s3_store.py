"""S3 buckets and objects on disk, restored into moto at start: an SQLite table of objects by
bucket and key, small bodies in it, larger ones each in a file named by a random id (never by
the key, which is the client's to choose)."""

import datetime
import json
import logging
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from moto.s3.models import FakeBucket, FakeKey, S3Backend
from moto.utilities.utils import LowercaseDict

from .database import as_blob, from_blob, open_database, transaction
from .s3_changes import Change

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE buckets (name TEXT PRIMARY KEY, region TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE objects (
    bucket TEXT NOT NULL,
    key BLOB NOT NULL,
    file TEXT,
    content BLOB,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    attributes TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
)
"""
VERSION = 1
INLINE_BYTES = 128 * 1024
"""Bodies up to this size are kept in the database (one write instead of a new file each);
larger ones in files."""
KEPT_ATTRIBUTES = (
    "encryption",
    "kms_key_id",
    "bucket_key_enabled",
    "checksum_algorithm",
    "checksum_value",
    "checksum_type",
    "checksum_parts",
    "website_redirect_location",
)


def attributes_of(backend: S3Backend, key: FakeKey) -> dict[str, Any]:
    return {
        "metadata": dict(key.metadata),
        "metadata_case_kept": not isinstance(key.metadata, LowercaseDict),
        "storage_class": key.storage_class,
        "tags": backend.tagger.get_tag_dict_for_resource(key.arn),
        **{name: getattr(key, name, None) for name in KEPT_ATTRIBUTES},
    }


def restore_object(
    backend: S3Backend,
    bucket: str,
    name: str,
    body: bytes,
    etag: str,
    last_modified: str,
    attributes: dict[str, Any],
) -> None:
    key = backend.put_object(
        bucket,
        name,
        body,
        storage=attributes["storage_class"],
        etag=etag.strip('"'),
        encryption=attributes["encryption"],
        kms_key_id=attributes["kms_key_id"],
        bucket_key_enabled=attributes["bucket_key_enabled"],
        checksum_value=attributes["checksum_value"],
        disable_notification=True,
    )
    key.set_metadata(dict(attributes["metadata"]), replace=attributes["metadata_case_kept"])
    for name_ in KEPT_ATTRIBUTES:
        if attributes[name_] is not None:
            setattr(key, name_, attributes[name_])
    key.last_modified = datetime.datetime.fromisoformat(last_modified)
    if attributes["tags"]:
        tags = backend.tagger.convert_dict_to_tags_input(attributes["tags"])
        backend.tagger.tag_resource(key.arn, tags)


class S3Store:
    def __init__(self, directory: Path) -> None:
        self.files = directory / "s3-objects"
        self.files.mkdir(parents=True, exist_ok=True)
        self.database = open_database(directory / "s3.sqlite3", SCHEMA, VERSION)
        self._lock = threading.Lock()
        self._buckets = {row[0] for row in self.database.execute("SELECT name FROM buckets")}

    def keep(self, backend: S3Backend, changes: Iterable[Change]) -> None:
        """Makes the store match what moto now holds for each changed bucket and key, in one
        transaction."""
        replaced: list[str] = []
        with self._lock:
            buckets = set(self._buckets)
            with transaction(self.database):
                for bucket_name, key_name in changes:
                    bucket = backend.buckets.get(bucket_name)
                    if bucket is None:
                        replaced += self._forget_bucket(bucket_name)
                        buckets.discard(bucket_name)
                        continue
                    if bucket_name not in buckets:
                        self._remember_bucket(bucket)
                        buckets.add(bucket_name)
                    if key_name is not None:
                        replaced += self._keep_object(backend, bucket, key_name)
            self._buckets = buckets
        for file in replaced:
            self._path(file).unlink(missing_ok=True)

    def _remember_bucket(self, bucket: FakeBucket) -> None:
        self.database.execute(
            "INSERT OR REPLACE INTO buckets VALUES (?, ?, ?)",
            (bucket.name, bucket.region_name, bucket.creation_date.isoformat()),
        )

    def _forget_bucket(self, name: str) -> list[str]:
        """Returns the files the bucket's objects were in."""
        files = [
            row[0]
            for row in self.database.execute(
                "SELECT file FROM objects WHERE bucket = ? AND file IS NOT NULL", (name,)
            )
        ]
        self.database.execute("DELETE FROM objects WHERE bucket = ?", (name,))
        self.database.execute("DELETE FROM buckets WHERE name = ?", (name,))
        return files

    def _keep_object(self, backend: S3Backend, bucket: FakeBucket, name: str) -> list[str]:
        """Returns the file of the object's previous body, if it had one and it changed."""
        where = (bucket.name, as_blob(name))
        stored = self.database.execute(
            "SELECT file, size, etag, last_modified FROM objects WHERE bucket = ? AND key = ?",
            where,
        ).fetchone()
        previous = [stored[0]] if stored is not None and stored[0] is not None else []
        key = bucket.keys.get(name)
        if not isinstance(key, FakeKey):
            self.database.execute("DELETE FROM objects WHERE bucket = ? AND key = ?", where)
            return previous
        etag, last_modified = key.etag, key.last_modified.isoformat()
        attributes = json.dumps(attributes_of(backend, key))
        if stored is not None and tuple(stored[1:]) == (key.size, etag, last_modified):
            self.database.execute(
                "UPDATE objects SET attributes = ? WHERE bucket = ? AND key = ?",
                (attributes, *where),
            )
            return []
        body = key.value
        file, content = None, body
        if len(body) > INLINE_BYTES:
            file, content = uuid.uuid4().hex, None
            path = self._path(file)
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(body)
        self.database.execute(
            "INSERT OR REPLACE INTO objects VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*where, file, content, key.size, etag, last_modified, attributes),
        )
        return previous

    def _path(self, file: str) -> Path:
        return self.files / file[:2] / file

    def restore(self, backend: S3Backend) -> int:
        """Puts every kept bucket and object into moto; returns how many objects."""
        restored = 0
        for name, region, created in self.database.execute("SELECT * FROM buckets").fetchall():
            bucket = backend.buckets.get(name) or backend.create_bucket(name, region)
            bucket.creation_date = datetime.datetime.fromisoformat(created)
        referenced: set[str] = set()
        rows = self.database.execute(
            "SELECT bucket, key, file, content, etag, last_modified, attributes FROM objects"
        )
        for bucket, key, file, content, etag, last_modified, attributes in rows:
            if file is not None:
                referenced.add(file)
                try:
                    content = self._path(file).read_bytes()
                except OSError as error:
                    log.error("S3 object %s/%r is lost: cannot read it (%s)", bucket, key, error)
                    continue
            restore_object(
                backend,
                bucket,
                from_blob(key),
                content,
                etag,
                last_modified,
                json.loads(attributes),
            )
            restored += 1
        self._remove_unreferenced(referenced)
        return restored

    def _remove_unreferenced(self, referenced: set[str]) -> None:
        """Files written by a process killed before it committed them, or after it had
        committed their replacement."""
        for path in self.files.glob("*/*"):
            if path.name not in referenced:
                path.unlink(missing_ok=True)

    def close(self) -> None:
        with self._lock:
            self.database.close()
