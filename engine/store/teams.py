"""SQL of teams (``engine.teams``): teams, their members and the processes they work, and a user's
``WorkScope`` — which open tasks are theirs to see and do, which cases they coordinate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import CursorResult, bindparam, delete, literal, select, union_all

from . import Tx
from .models import ProcessRow, TeamMemberRow, TeamProcessRow, TeamRow
from .prepared import Prepared

WORK_ROLES = frozenset({"casemanager", "specialist", "coordinator"})


@dataclass(frozen=True)
class WorkScope:
    """What one user works on. ``lanes``: every (process, lane) a team works ("" = the whole process) ->
    that team; ``memberships``: the user's teams -> their role in it; ``roles``: the account's roles.

    A task of a process (lane) that a team works is for that team's members with the task's role, and for
    its coordinators. A process nobody mapped to a team keeps the rule from before teams: the task's role
    is the team. Without any team at all, ``configured`` is False and everything works as before."""

    username: str
    roles: frozenset[str]
    memberships: dict[str, str] = field(default_factory=dict)
    lanes: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return bool(self.lanes)

    def team_of(self, process_id: str, role: str | None) -> str | None:
        """The team that works tasks of ``role`` in ``process_id`` (its lane first, then the whole process)."""
        return self.lanes.get((process_id, role or "")) or self.lanes.get((process_id, ""))

    def works_on(self, process_id: str, role: str | None) -> bool:
        """Whether a task of ``role`` in ``process_id`` is this user's work (see it, claim it, complete it)."""
        team = self.team_of(process_id, role)
        if team is None:
            return "coordinator" in self.roles or (role in self.roles if role else bool(self.roles & WORK_ROLES))
        mine = self.memberships.get(team)
        return mine is not None and (mine == "coordinator" or not role or mine == role)

    def coordinates(self, process_id: str) -> bool:
        """Whether this user coordinates the work on ``process_id``: a coordinator in a team that works it, or,
        for a process no team works, anyone with the coordinator role."""
        teams = {team for (process, _), team in self.lanes.items() if process == process_id}
        if not teams:
            return "coordinator" in self.roles
        return any(self.memberships.get(team) == "coordinator" for team in teams)

    def team_walks(self, processes: list[str]) -> list[tuple[str, str]]:
        """The (process, role) pairs of the team tab: the user's role in each team, in the processes and
        lanes that team works; plus, in what no team works, the roles of the account (as before teams)."""
        walks = set()
        for (process, lane), team in self.lanes.items():
            mine = self.memberships.get(team)
            if mine is not None and (lane == mine or (not lane and self.team_of(process, mine) == team)):
                walks.add((process, mine))
        for process in processes:
            for role in self.roles & WORK_ROLES:
                if self.team_of(process, role) is None:
                    walks.add((process, role))
        return sorted(walks)

    def all_walks(self, processes: list[str]) -> list[tuple[str, str | None]]:
        """The (process, lane) pairs of a coordinator's "all tasks" (lane None: the whole process)."""
        walks: set[tuple[str, str | None]] = set()
        for process in processes:
            mapped = {lane: team for (p, lane), team in self.lanes.items() if p == process}
            if not mapped:
                if "coordinator" in self.roles:
                    walks.add((process, None))
            elif self.memberships.get(mapped.get("", "")) == "coordinator":
                walks.add((process, None))
            else:
                walks.update((process, lane) for lane, team in mapped.items()
                             if lane and self.memberships.get(team) == "coordinator")
        return sorted(walks, key=lambda w: (w[0], w[1] or ""))


# Compiled once and run on the transaction's DBAPI connection (``engine.store.prepared``): read on every request
# that checks who may see or do what, where building a statement cost more than SQLite takes to run it. The
# scope is one statement (the user's memberships and every team's lanes, as rows of kind 'm' and 'l'): one round
# trip on PostgreSQL.
_SCOPE = Prepared(union_all(
    select(literal("m").label("kind"), TeamMemberRow.team_id.label("a"), TeamMemberRow.role.label("b"),
           literal("").label("c")).where(TeamMemberRow.username == bindparam("b_user")),
    select(literal("l"), TeamProcessRow.process_id, TeamProcessRow.lane, TeamProcessRow.team_id)))
_LANES = Prepared(select(TeamProcessRow.process_id, TeamProcessRow.lane, TeamProcessRow.team_id))
_LANES_OF_PROCESS = Prepared(_LANES.statement.where(TeamProcessRow.process_id == bindparam("b_process")))


def work_scope(tx: Tx, username: str, roles) -> WorkScope:
    """The user's scope: their memberships and every team's processes, in one query."""
    memberships: dict[str, str] = {}
    lanes: dict[tuple[str, str], str] = {}
    for kind, a, b, c in _SCOPE.rows(tx.raw, {"b_user": username}):
        if kind == "m":
            memberships[a] = b
        else:
            lanes[(a, b)] = c
    return WorkScope(username, frozenset(roles), memberships, lanes)


def lanes(tx: Tx, process_id: str | None = None) -> dict[tuple[str, str], str]:
    found = (_LANES.rows(tx.raw, {}) if process_id is None
             else _LANES_OF_PROCESS.rows(tx.raw, {"b_process": process_id}))
    return {(p, lane): team for p, lane, team in found}


def process_ids(tx: Tx) -> list[str]:
    return list(tx.session.scalars(select(ProcessRow.id).order_by(ProcessRow.id)))


def teams(tx: Tx) -> list[TeamRow]:
    return list(tx.session.scalars(select(TeamRow).order_by(TeamRow.name)))


def team(tx: Tx, team_id: str) -> TeamRow | None:
    return tx.session.get(TeamRow, team_id)


def teams_of(tx: Tx, username: str) -> list[tuple[str, str, str]]:
    """(team id, team name, role) of each team ``username`` is in, by name: one indexed query."""
    return [tuple(r) for r in tx.session.execute(
        select(TeamRow.id, TeamRow.name, TeamMemberRow.role).join(TeamMemberRow, TeamMemberRow.team_id == TeamRow.id)
        .where(TeamMemberRow.username == username).order_by(TeamRow.name))]


def team_name(tx: Tx, team_id: str) -> str:
    found = tx.session.get(TeamRow, team_id)
    return found.name if found is not None else team_id


def add_team(tx: Tx, row: TeamRow) -> None:
    tx.session.add(row)


def members(tx: Tx, team_id: str | None = None) -> list[TeamMemberRow]:
    query = select(TeamMemberRow).order_by(TeamMemberRow.team_id, TeamMemberRow.username)
    if team_id is not None:
        query = query.where(TeamMemberRow.team_id == team_id)
    return list(tx.session.scalars(query))


def member(tx: Tx, team_id: str, username: str) -> TeamMemberRow | None:
    return tx.session.get(TeamMemberRow, (team_id, username))


def save_member(tx: Tx, team_id: str, username: str, role: str) -> None:
    tx.session.merge(TeamMemberRow(team_id=team_id, username=username, role=role))


def remove_member(tx: Tx, team_id: str, username: str) -> int:
    return cast(CursorResult, tx.session.execute(delete(TeamMemberRow).where(
        TeamMemberRow.team_id == team_id, TeamMemberRow.username == username))).rowcount


def team_processes(tx: Tx, team_id: str | None = None) -> list[TeamProcessRow]:
    query = select(TeamProcessRow).order_by(TeamProcessRow.process_id, TeamProcessRow.lane)
    if team_id is not None:
        query = query.where(TeamProcessRow.team_id == team_id)
    return list(tx.session.scalars(query))


def save_team_process(tx: Tx, process_id: str, lane: str, team_id: str) -> None:
    tx.session.merge(TeamProcessRow(process_id=process_id, lane=lane, team_id=team_id))


def remove_team_process(tx: Tx, process_id: str, lane: str) -> int:
    return cast(CursorResult, tx.session.execute(delete(TeamProcessRow).where(
        TeamProcessRow.process_id == process_id, TeamProcessRow.lane == lane))).rowcount
