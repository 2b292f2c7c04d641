"""Regie's exception hierarchy.

Every error a user can cause is a ``RegieError`` whose message says, in Dutch at B1 level, what went
wrong and what to do. Code, logs and attribute names stay English. Nothing else is raised across the
engine facade: library errors are wrapped where they happen.
"""

from __future__ import annotations

from dataclasses import dataclass


class RegieError(Exception):
    """Base of every error the engine raises on purpose; ``str(err)`` is the user-facing message."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotFoundError(RegieError):
    """Something the caller named does not exist."""


class UnknownProcess(NotFoundError):
    def __init__(self, process_id: str):
        super().__init__(
            f"Het proces '{process_id}' bestaat niet. Kies een proces dat is uitgerold "
            "(zie 'regie processes') of rol het model eerst uit met 'regie deploy'."
        )
        self.process_id = process_id


class UnknownCase(NotFoundError):
    def __init__(self, case_id: str):
        super().__init__(f"De zaak '{case_id}' bestaat niet. Controleer het zaaknummer.")
        self.case_id = case_id


class AmbiguousCase(NotFoundError):
    def __init__(self, ref: str):
        super().__init__(
            f"'{ref}' past bij meer dan één zaak. Geef het hele zaaknummer (bijvoorbeeld HO-2026-000123)."
        )
        self.ref = ref


class UnknownTask(NotFoundError):
    def __init__(self, task_id: str):
        super().__init__(
            f"De taak '{task_id}' bestaat niet (meer). Ververs uw takenlijst en kies een open taak."
        )
        self.task_id = task_id


class UnknownUser(NotFoundError):
    def __init__(self, username: str):
        super().__init__(f"De gebruiker '{username}' bestaat niet. Controleer de naam.")
        self.username = username


class ConflictError(RegieError):
    """Someone else changed the case first; the caller's input is not lost, only not applied."""


class TaskNotReady(ConflictError):
    def __init__(self, task_id: str, name: str = "", detail: str = ""):
        what = f"'{name}'" if name else f"'{task_id}'"
        super().__init__(
            f"De taak {what} staat niet meer open{(': ' + detail) if detail else ''}. "
            "Iemand anders heeft de zaak net gewijzigd. Ververs de zaak; wat u heeft ingevuld is niet "
            "opgeslagen in de zaak."
        )
        self.task_id = task_id


class CaseChanged(ConflictError):
    def __init__(self, case_id: str):
        super().__init__(
            f"De zaak '{case_id}' is net door iemand anders gewijzigd. Ververs de zaak en probeer het "
            "opnieuw; er is niets opgeslagen."
        )
        self.case_id = case_id


class StoreUnavailable(RegieError):
    """The database cannot be reached (connection lost, server down). Nothing was half-written: the
    transaction was rolled back. ``retryable``: trying again later may well work."""

    retryable = True

    def __init__(self):
        super().__init__(
            "De database is even niet bereikbaar. Uw handeling is niet uitgevoerd; er is niets half "
            "opgeslagen. Probeer het over een minuut opnieuw. Blijft het misgaan? Meld het bij functioneel beheer."
        )


class PermissionDenied(RegieError):
    """The actor may not do this."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str


class InvalidData(RegieError):
    """Form data does not match the task's form; ``problems`` lists each field and what to fix."""

    def __init__(self, problems: list[FieldProblem], form: str = ""):
        lines = " ".join(f"{p.field}: {p.message}" for p in problems)
        where = f" in formulier '{form}'" if form else ""
        self.summary = f"De gegevens{where} kloppen niet."
        super().__init__(f"{self.summary} {lines}")
        self.problems = problems
        self.form = form

    def by_field(self) -> dict[str, str]:
        return {p.field: p.message for p in self.problems}


@dataclass(frozen=True)
class ModelProblem:
    """One problem found in a model file: which file, which element, what is wrong."""

    file: str
    element_id: str
    message: str
    severity: str = "error"   # "warning": the model deploys, but something will not run as drawn

    def __str__(self) -> str:
        note = "let op: " if self.severity == "warning" else ""
        return f"{self.file}: {self.element_id or '-'}: {note}{self.message}"


class ModelError(RegieError):
    """A model (BPMN, DMN or form) cannot be deployed; ``problems`` says where and why."""

    def __init__(self, problems: list[ModelProblem], notices: list[ModelProblem] | None = None):
        super().__init__(
            "Het model kan niet worden gebruikt:\n" + "\n".join(f"- {p}" for p in problems)
        )
        self.problems = problems
        self.notices = notices or []   # warnings found on the way (severity "warning")


class ExpressionError(RegieError):
    """An expression in a model is refused or failed; carries the expression and the reason."""

    def __init__(self, expression: str, reason: str, element_id: str = ""):
        where = f" bij element '{element_id}'" if element_id else ""
        super().__init__(f"De expressie '{expression}'{where} kan niet worden uitgevoerd: {reason}")
        self.expression = expression
        self.reason = reason
        self.element_id = element_id


class UnsafeExpression(ExpressionError):
    """The expression uses something outside the allowed subset (refused before it runs)."""


class ExpressionFailed(ExpressionError):
    """The expression is allowed but failed on this case's data (unknown name, wrong type, ...)."""


class IncidentError(RegieError):
    """A case step failed inside the model; the case is left as it was and an incident is recorded."""

    def __init__(self, case_id: str, element_id: str, reason: str):
        super().__init__(
            f"Zaak '{case_id}' liep vast bij stap '{element_id}': {reason} "
            "De zaak is niet gewijzigd. Meld dit aan functioneel beheer."
        )
        self.case_id = case_id
        self.element_id = element_id
        self.reason = reason


class PrivacyError(RegieError):
    """A privacy setting or request cannot be carried out (register config, retention, key material,
    data-subject request); the message says what to fix. Nothing is written."""


class SchedulerSettingError(RegieError):
    """A scheduler setting that cannot be used (the anchor time, say); the message says what to give instead."""
