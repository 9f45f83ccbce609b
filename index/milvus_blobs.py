"""Named texts of any length kept in a Milvus collection: the published documents, manifest and statistics, so
replicas that share a Milvus need no shared files. Milvus limits a VARCHAR to 65,535 bytes; longer texts are split."""

from __future__ import annotations

import base64
import io
import json
import uuid
from typing import Any

import numpy as np

# 16,000 characters fit a part even when every one takes four bytes in UTF-8.
PART_CHARS = 16_000
BATCH = 500


def quoted(value: str) -> str:
    """A Milvus filter string literal."""
    return json.dumps(value, ensure_ascii=False)


def within(field: str, values: list[str]) -> str:
    return f"{field} in [{', '.join(quoted(v) for v in values)}]"


class Blobs:
    """Named texts of any length in a Milvus collection (documents, manifest, statistics), written so a reader
    sees the old or the new value, never a mix: parts under a fresh version first, then the header."""

    def __init__(self, client: Any, collection: str) -> None:
        self._client = client
        self.collection = collection
        if not client.has_collection(collection):
            from pymilvus import DataType

            schema = client.create_schema(auto_id=False)
            schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1024)
            schema.add_field("value", DataType.VARCHAR, max_length=65_535)
            schema.add_field("unused", DataType.FLOAT_VECTOR, dim=2)  # Milvus requires a vector field
            index = client.prepare_index_params()
            index.add_index("unused", index_type="FLAT", metric_type="L2")
            client.create_collection(collection, schema=schema, index_params=index, consistency_level="Strong")

    def _rows(self, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            for row in self._client.query(self.collection, filter=within("key", batch), output_fields=["key", "value"]):
                found[row["key"]] = row["value"]
        return found

    def header(self, name: str) -> dict[str, Any] | None:
        value = self._rows([name]).get(name)
        return None if value is None else json.loads(value)

    def get(self, name: str) -> str | None:
        header = self.header(name)
        if header is None:
            return None
        keys = [f"{name}@{header['version']}#{n:06d}" for n in range(header["parts"])]
        parts = self._rows(keys)
        if len(parts) != len(keys):
            raise ValueError(f"blob {name!r} of {self.collection} lacks {len(keys) - len(parts)} parts")
        return "".join(parts[key] for key in keys)

    def put(self, name: str, text: str) -> None:
        old = self.header(name)
        version = uuid.uuid4().hex
        parts = [text[i : i + PART_CHARS] for i in range(0, len(text), PART_CHARS)] or [""]
        rows = [{"key": f"{name}@{version}#{n:06d}", "value": p, "unused": [0.0, 0.0]} for n, p in enumerate(parts)]
        for start in range(0, len(rows), BATCH):
            self._client.upsert(self.collection, rows[start : start + BATCH])
        header = json.dumps({"version": version, "parts": len(parts)})
        self._client.upsert(self.collection, [{"key": name, "value": header, "unused": [0.0, 0.0]}])
        if old is not None:
            self._drop_parts(name, old)

    def delete(self, name: str) -> None:
        old = self.header(name)
        if old is not None:
            self._client.delete(self.collection, ids=[name])
            self._drop_parts(name, old)

    def _drop_parts(self, name: str, header: dict[str, Any]) -> None:
        keys = [f"{name}@{header['version']}#{n:06d}" for n in range(header["parts"])]
        for start in range(0, len(keys), BATCH):
            self._client.delete(self.collection, ids=keys[start : start + BATCH])


def array_text(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def text_array(text: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)
