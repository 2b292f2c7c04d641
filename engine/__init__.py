"""Regie's engine: BPMN cases on SpiffWorkflow with an event log, on SQLite or PostgreSQL.

    from engine import Engine
    eng = Engine.from_url("sqlite:///instance/regie.db")
    eng.deploy(["processes/", "forms/"])
"""

from .errors import (
    ConflictError,
    InvalidData,
    ModelError,
    NotFoundError,
    RegieError,
    StoreUnavailable,
    TaskNotReady,
    UnknownCase,
    UnknownProcess,
    UnknownTask,
)
from .providers import ManualClock, RandomIds, SequentialIds, SystemClock
from .runtime import CasePage, CaseState, CaseView, Deployed, Engine, HistoryEntry, HistoryPage, TaskView, Verification

__all__ = [
    "Engine", "TaskView", "CaseState", "HistoryEntry", "HistoryPage", "CaseView", "CasePage", "Deployed", "Verification",
    "RegieError", "NotFoundError", "ConflictError", "InvalidData", "ModelError", "TaskNotReady",
    "StoreUnavailable",
    "UnknownCase", "UnknownProcess", "UnknownTask",
    "ManualClock", "SequentialIds", "RandomIds", "SystemClock",
]
