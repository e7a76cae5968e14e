"""The ``settings`` table: small JSON values by key."""

from __future__ import annotations

import json
from typing import Any

from photo_organizer.storage.database import Database


class SettingsStore(Database):
    def get_setting(self, key: str, default: Any = None) -> Any:
        rows = self.query("SELECT value FROM settings WHERE key = ?", [key])
        return json.loads(rows[0]["value"]) if rows else default

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction():
            self.db["settings"].upsert({"key": key, "value": json.dumps(value)}, pk="key")
