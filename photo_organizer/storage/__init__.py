"""Storage owns the SQL: the library database (schema, connection, one module per aggregate),
the thumbnail cache and the query-vector cache. Nothing outside this package writes SQL.

``Library`` gathers the aggregates' methods (roots, photos, embeddings, albums, search sessions
and marks, settings, maintenance); ``with library.transaction():`` groups writes, nested or not.
"""

from photo_organizer.storage.albums import NEXT_ID_SETTING
from photo_organizer.storage.database import (
    DEFAULT_BUSY_TIMEOUT_S,
    ERROR,
    OK,
    PENDING,
    PHOTO_DATE_SQL,
    REMOVED,
    SQL_VARIABLES_PER_QUERY,
    TransactionConnection,
    database_error,
    iter_chunks,
    path_from_db,
    path_to_db,
)
from photo_organizer.storage.embeddings import EMBEDDING_DTYPE, decode_vectors, encode_vector
from photo_organizer.storage.library import Library
from photo_organizer.storage.lock import LibraryWriterLock
from photo_organizer.storage.photos import PhotoRecord
from photo_organizer.storage.schema import MIGRATIONS, SCHEMA_VERSION, migrate, schema_version

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "EMBEDDING_DTYPE",
    "ERROR",
    "MIGRATIONS",
    "NEXT_ID_SETTING",
    "OK",
    "PENDING",
    "PHOTO_DATE_SQL",
    "REMOVED",
    "SCHEMA_VERSION",
    "SQL_VARIABLES_PER_QUERY",
    "Library",
    "LibraryWriterLock",
    "PhotoRecord",
    "TransactionConnection",
    "database_error",
    "decode_vectors",
    "encode_vector",
    "iter_chunks",
    "migrate",
    "path_from_db",
    "path_to_db",
    "schema_version",
]
