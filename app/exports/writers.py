"""Export files, written a chunk at a time (docs/architecture.md#exports).

A job writes to `<id>.part`, each chunk appended and flushed to disk before the job records
the file's new length; a resumed job cuts the part back to the length recorded last, so
what a crash left half-written is dropped and the file equals an uninterrupted run's.

- CSV: a header, then one line per row, UTF-8; a null is an empty cell.
- JSONL: one JSON object per row (orjson), keys the API's field names.
- Parquet: the part holds each chunk as an Arrow record batch (length-prefixed IPC
  messages, appendable as text is); once every chunk is in, they become the Parquet file,
  one row group per chunk (pyarrow's ParquetWriter), read back a batch at a time."""

from __future__ import annotations

import csv
import io
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from app.exports.models import ExportFormat

EXTENSIONS = {ExportFormat.CSV: "csv", ExportFormat.JSONL: "jsonl",
              ExportFormat.PARQUET: "parquet"}
MEDIA_TYPES = {ExportFormat.CSV: "text/csv; charset=utf-8",
               ExportFormat.JSONL: "application/x-ndjson",
               ExportFormat.PARQUET: "application/vnd.apache.parquet"}
_LENGTH = struct.Struct("<Q")


def part_path(directory: Path, job_id: int) -> Path:
    return directory / f"{job_id}.part"


def final_path(directory: Path, job_id: int, fmt: ExportFormat) -> Path:
    return directory / f"{job_id}.{EXTENSIONS[fmt]}"


def _arrow_schema(headers: list[str], kinds: list[str]) -> Any:
    import pyarrow as pa

    return pa.schema([(h, pa.int64() if k == "int" else pa.string())
                      for h, k in zip(headers, kinds, strict=True)])


class ChunkWriter:
    """Appends chunks of rows (lists of values, the API's) to a job's part file."""

    def __init__(self, directory: Path, job_id: int, fmt: ExportFormat, headers: list[str],
                 kinds: list[str], resume_at: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = part_path(directory, job_id)
        self.fmt = fmt
        self.headers = headers
        self.kinds = kinds
        self.file = open(self.path, "r+b" if self.path.exists() else "w+b")  # noqa: SIM115
        self.file.truncate(resume_at)  # what a crash left after the last recorded chunk
        self.file.seek(resume_at)
        if resume_at == 0 and fmt is ExportFormat.CSV:
            self._append(self._csv([headers]))

    def _csv(self, rows: Sequence[Sequence[Any]]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue().encode()

    def _encode(self, rows: Sequence[Sequence[Any]]) -> bytes:
        if self.fmt is ExportFormat.CSV:
            return self._csv(rows)
        if self.fmt is ExportFormat.JSONL:
            headers = self.headers
            return b"".join(orjson.dumps(dict(zip(headers, row, strict=True))) + b"\n"
                            for row in rows)
        import pyarrow as pa

        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in self.headers]
        batch = pa.RecordBatch.from_arrays(
            [pa.array(list(c), type=t.type) for c, t in
             zip(columns, _arrow_schema(self.headers, self.kinds), strict=True)],
            schema=_arrow_schema(self.headers, self.kinds))
        message = batch.serialize().to_pybytes()
        return _LENGTH.pack(len(message)) + message

    def _append(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()
        os.fsync(self.file.fileno())

    def write(self, rows: Sequence[Sequence[Any]]) -> int:
        """Append a chunk, on disk when this returns; the part's length."""
        self._append(self._encode(rows))
        return self.file.tell()

    def append(self, data: bytes) -> int:
        """Append a chunk already encoded (CSV lines from PostgreSQL's COPY); the part's
        length."""
        self._append(data)
        return self.file.tell()

    def close(self) -> None:
        self.file.close()

    def finish(self, target: Path) -> int:
        """The finished file at `target` (the part renamed, or converted to Parquet); its
        size in bytes."""
        self.close()
        if self.fmt is not ExportFormat.PARQUET:
            os.replace(self.path, target)
            return target.stat().st_size
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = _arrow_schema(self.headers, self.kinds)
        temporary = target.with_suffix(".parquet.tmp")
        with open(self.path, "rb") as spool, pq.ParquetWriter(temporary, schema) as writer:
            while header := spool.read(_LENGTH.size):
                (length,) = _LENGTH.unpack(header)
                batch = pa.ipc.read_record_batch(pa.py_buffer(spool.read(length)), schema)
                writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))
        os.replace(temporary, target)
        self.path.unlink(missing_ok=True)
        return target.stat().st_size


def remove_files(directory: Path, job_id: int) -> None:
    """A job's part and finished files, whichever exist."""
    part_path(directory, job_id).unlink(missing_ok=True)
    for fmt in ExportFormat:
        final_path(directory, job_id, fmt).unlink(missing_ok=True)
