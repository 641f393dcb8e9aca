"""The question-log database vanishing while serving (issue 16 item 5).

Before: with the SQLite file deleted, chat and feedback kept answering 200 while writing to the deleted
inode, /readyz stayed 200, and after a restart every row since was gone. Now: 503 for writes and for
/readyz until the file is back, no lost write acknowledged, and the store reconnects without a restart.
"""

from __future__ import annotations

import shutil
import sqlite3

from fastapi.testclient import TestClient

from bot.feedback import FeedbackStore
from bot.web.app import create_app

from ..stubs.bots import FakeBot


def rows_on_disk(path) -> set[str]:
    """What a restarted server would find: a fresh connection to the file at the path."""
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("select answer_id from questions")}


def test_deleted_database_file_is_detected_and_recovered_without_restart(sample_settings, tmp_path):
    path = tmp_path / "db" / "monobot.sqlite3"
    store = FeedbackStore(f"sqlite:///{path}")
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 10_000})
    acknowledged: list[str] = []
    with TestClient(create_app(settings, bot=FakeBot(), feedback=store)) as c:
        first = c.post("/api/chat", json={"message": "Is Semax approved?"})
        assert first.status_code == 200
        acknowledged.append(first.json()["id"])
        assert c.post("/api/feedback", json={"answer_id": acknowledged[0], "rating": "up"}).status_code == 200
        assert c.get("/readyz").status_code == 200
        backup = tmp_path / "backup.sqlite3"
        with sqlite3.connect(path) as live, sqlite3.connect(backup) as copy:
            live.backup(copy)

        path.unlink()  # the operator's mistake (or a cleanup job) while serving
        for _ in range(3):
            lost = c.post("/api/chat", json={"message": "Is Selank safe?"})
            assert lost.status_code == 503, lost.text
            assert lost.json()["error"]["code"] == "log_unavailable" and lost.headers["retry-after"]
        vote = c.post("/api/feedback", json={"answer_id": acknowledged[0], "rating": "down"})
        assert vote.status_code == 503 and vote.json()["error"]["code"] == "feedback_unavailable"
        stream = c.post("/api/chat/stream", json={"message": "Is Selank safe?"})
        assert stream.status_code == 503 and stream.json()["error"]["code"] == "log_unavailable"
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "vanished" in ready.json()["reason"]
        assert not path.exists(), "a vanished database must not be silently recreated empty"

        shutil.copy(backup, path)  # restored from the backup: no restart
        assert c.get("/readyz").status_code == 200
        again = c.post("/api/chat", json={"message": "Is Selank safe?"})
        assert again.status_code == 200
        acknowledged.append(again.json()["id"])
        assert c.post("/api/feedback", json={"answer_id": again.json()["id"], "rating": "up"}).status_code == 200
    assert set(acknowledged) <= rows_on_disk(path), "an acknowledged answer is missing from the file"
