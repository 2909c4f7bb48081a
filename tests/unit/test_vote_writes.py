"""services/cohort/votes.py is the only code that writes learners' votes on live questions.

The package is read as source (ast): a QuestionVote row made or inserted or deleted, or the
LiveQuestion.votes counter set or moved, anywhere but votes.py fails the test with its place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "drip"
OWNER = PACKAGE / "services" / "cohort" / "votes.py"


def vote_writes(source: str, filename: str = "<source>") -> list[str]:
    """Each place in `source` that writes a vote row or the votes counter, as "file:line: what"."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name == "QuestionVote":
                found.append(f"{filename}:{node.lineno}: a QuestionVote row made")
            elif name in ("insert", "delete", "update") and node.args and ast.unparse(node.args[0]) == "QuestionVote":
                found.append(f"{filename}:{node.lineno}: {name}(QuestionVote)")
            elif name == "LiveQuestion" and any(k.arg == "votes" for k in node.keywords):
                found.append(f"{filename}:{node.lineno}: a LiveQuestion made with votes")
            elif name.endswith(".values") and "LiveQuestion" in name and any(k.arg == "votes" for k in node.keywords):
                found.append(f"{filename}:{node.lineno}: the votes counter written")
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "votes" for t in targets):
                found.append(f"{filename}:{node.lineno}: .votes assigned")
    return found


def test_only_votes_py_writes_votes():
    found = [
        place
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != OWNER
        for place in vote_writes(path.read_text(), str(path.relative_to(PACKAGE.parent)))
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "db.session.add(QuestionVote(question_id=1, learner_id=2))",
        "db.session.execute(insert(QuestionVote).values(question_id=1, learner_id=2))",
        "db.session.execute(delete(QuestionVote).where(QuestionVote.id == 1))",
        "LiveQuestion(session_id=1, body='?', votes=2)",
        "update(LiveQuestion).where(LiveQuestion.id == 1).values(votes=LiveQuestion.votes + 1)",
        "question.votes += 1",
        "question.votes = 3",
    ],
)
def test_each_kind_of_vote_write_is_caught(source):
    assert len(vote_writes(source)) == 1


def test_the_owner_is_seen_writing_and_reads_are_not_writes():
    assert len(vote_writes(OWNER.read_text())) >= 3  # the insert, the delete and the counter
    assert vote_writes("select(LiveQuestion.votes).order_by(LiveQuestion.votes.desc())") == []
