"""Teams: organisational units (the steunpunt hersteloperatie, the loket, the Toeslagenservicepunt) with members,
each with a role in the team, and the processes — or lanes of a process — each team works (AVG need-to-know,
issue #14).

What follows from teams:

- the team tab of the inbox shows the open tasks of the processes (lanes) a user's teams work, in the user's
  role in that team; a team coordinator's "all tasks" shows everything their teams work;
- a case is read by its case team: the case's own casemanager, whoever has or had a task on it, the members
  of the team whose lane holds an open task, and the coordinators of the teams that work the process;
- a task is claimed by, and assigned to, members of the team that works it only.

A process that no team works keeps the rule from before teams (the task's role is the team; coordinators see
everything), so an installation without teams works as it did. Every change is in the account log
(``regie users log``) with who made it. ``regie teams load FILE`` reads a YAML file::

    teams:
      - id: loket
        name: Loket
        processes: [loket, {process: hersteloperatie, lane: specialist}]
        members: {cas: casemanager, coby: coordinator}
"""

from __future__ import annotations

import builtins
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import RegieError, UnknownProcess, UnknownUser
from .store import Store
from .store import teams as rows
from .store.models import AccountEventRow, TeamRow
from .store.teams import WORK_ROLES, WorkScope

__all__ = ["Teams", "Team", "Member", "WorkScope", "TEAM_ROLES", "UnknownTeam", "DEMO_TEAMS", "load_demo_teams"]

TEAM_ROLES = ("casemanager", "specialist", "coordinator")
_TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,49}$")

# The demo's three teams (``regie users demo``): who works which process. Fictional people. The policy
# processes (startscan, steunpunt-inrichten, tsp-inrichten) stay with the policy role: no team works them.
DEMO_TEAMS = [
    ("steunpunt", "Steunpunt hersteloperatie", ["hersteloperatie", "lijst-belastingdienst"],
     {"casemanager": "casemanager", "specialist": "specialist", "coordinator": "coordinator"}),
    ("loket", "Loket", ["loket"],
     {"loket": "casemanager", "specialist": "specialist", "coordinator": "coordinator"}),
    ("tsp", "Toeslagenservicepunt", ["tsp"],
     {"tsp": "casemanager", "coordinator": "coordinator"}),
]


class UnknownTeam(RegieError):
    def __init__(self, team_id: str):
        super().__init__(f"Team '{team_id}' bestaat niet. Bekijk de teams met 'regie teams list'.")
        self.team_id = team_id


@dataclass(frozen=True)
class Member:
    username: str
    name: str
    role: str


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    members: tuple[Member, ...]
    processes: tuple[tuple[str, str], ...]      # (process id, lane or "" for the whole process)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name,
                "members": [{"username": m.username, "name": m.name, "role": m.role} for m in self.members],
                "processes": [{"process": p, "lane": lane or None} for p, lane in self.processes]}


class Teams:
    """Teams and their administration (``Engine.teams``); each change logged with its actor."""

    def __init__(self, store: Store, clock):
        self.store = store
        self.clock = clock

    def list(self) -> list[Team]:
        with self.store.read() as tx:
            names = {u.username: u.name for u in tx.users()}
            members, processes = rows.members(tx), rows.team_processes(tx)
            return [Team(t.id, t.name,
                         tuple(Member(m.username, names.get(m.username, m.username), m.role)
                               for m in members if m.team_id == t.id),
                         tuple((p.process_id, p.lane) for p in processes if p.team_id == t.id))
                    for t in rows.teams(tx)]

    def get(self, team_id: str) -> Team:
        for team in self.list():
            if team.id == team_id:
                return team
        raise UnknownTeam(team_id)

    def scope(self, username: str, roles) -> WorkScope:
        """What ``username`` (holding ``roles``) works on: see ``WorkScope``."""
        with self.store.read() as tx:
            return rows.work_scope(tx, username, roles)

    def of_user(self, username: str) -> builtins.list[tuple[str, str, str]]:
        """(team id, team name, role) of each team ``username`` is in, by team name."""
        with self.store.read() as tx:
            return rows.teams_of(tx, username)

    def add(self, team_id: str, name: str, actor: str) -> None:
        """Create a team (or rename it)."""
        team_id = (team_id or "").strip().lower()
        if not _TEAM_ID.match(team_id):
            raise RegieError("Kies een team-id van kleine letters, cijfers en - (hoogstens 50 tekens), "
                             "bijvoorbeeld 'loket'.")
        name = " ".join((name or "").split())[:200]
        if not name:
            raise RegieError("Geef het team een naam, bijvoorbeeld 'Loket'.")
        with self.store.write() as tx:
            existing = rows.team(tx, team_id)
            if existing is None:
                rows.add_team(tx, TeamRow(id=team_id, name=name))
            else:
                existing.name = name
            self._log(tx, actor, f"team:{team_id}", "team_renamed" if existing else "team_added", {"name": name})

    def set_member(self, team_id: str, username: str, role: str, actor: str) -> None:
        """Put ``username`` in the team with ``role``. The account must hold that role (the web app's
        pages for coordinators ask for it) and be active."""
        if role not in TEAM_ROLES:
            raise RegieError(f"Onbekende rol in een team: {role}. Kies uit: {', '.join(TEAM_ROLES)}.")
        with self.store.write() as tx:
            self._team(tx, team_id)
            user = tx.user(username)
            if user is None:
                raise UnknownUser(username)
            if role not in user.roles.split(","):
                raise RegieError(f"{user.name} ({username}) heeft de rol {role} niet. Geef het account eerst die "
                                 f"rol (regie users roles) of kies een andere rol in het team.")
            if not user.active:
                raise RegieError(f"{user.name} ({username}) staat uit en kan niet in een team.")
            rows.save_member(tx, team_id, username, role)
            self._log(tx, actor, username, "team_member_set", {"team": team_id, "role": role})

    def remove_member(self, team_id: str, username: str, actor: str) -> None:
        with self.store.write() as tx:
            self._team(tx, team_id)
            if not rows.remove_member(tx, team_id, username):
                raise RegieError(f"{username} zit niet in team {team_id}.")
            self._log(tx, actor, username, "team_member_removed", {"team": team_id})

    def assign_process(self, team_id: str, process_id: str, actor: str, lane: str | None = None,
                       check_process: bool = True) -> None:
        """Let the team work ``process_id`` (or only its ``lane``); a team that worked it before stops."""
        lane = (lane or "").strip()
        with self.store.write() as tx:
            self._team(tx, team_id)
            if check_process and process_id not in rows.process_ids(tx):
                raise UnknownProcess(process_id)
            if lane and lane not in WORK_ROLES:
                raise RegieError(f"Onbekende baan: {lane}. Kies uit: {', '.join(TEAM_ROLES)}, of laat de baan weg "
                                 "voor het hele proces.")
            rows.save_team_process(tx, process_id, lane, team_id)
            self._log(tx, actor, f"team:{team_id}", "team_process_set", {"process": process_id, "lane": lane})

    def unassign_process(self, process_id: str, actor: str, lane: str | None = None) -> None:
        lane = (lane or "").strip()
        with self.store.write() as tx:
            if not rows.remove_team_process(tx, process_id, lane):
                where = f"baan {lane} van " if lane else ""
                raise RegieError(f"Geen team werkt aan {where}proces {process_id}.")
            self._log(tx, actor, "team:-", "team_process_removed", {"process": process_id, "lane": lane})

    def load(self, path: str | Path, actor: str) -> builtins.list[str]:
        """Read teams, members and processes from a YAML file (see the module text); returns the team ids.
        Everything is checked first: one mistake and nothing is saved."""
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as err:
            raise RegieError(f"Kan het teambestand {path} niet lezen: {err}") from err
        entries = data.get("teams") if isinstance(data, dict) else None
        if not isinstance(entries, list) or not entries:
            raise RegieError(f"{path}: zet de teams onder 'teams:', elk met id, name, processes en members.")
        plan = []
        for n, entry in enumerate(entries, 1):
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
                raise RegieError(f"{path}: team {n} heeft geen id of name.")
            processes = []
            for item in entry.get("processes") or []:
                if isinstance(item, str):
                    processes.append((item, None))
                elif isinstance(item, dict) and item.get("process"):
                    processes.append((str(item["process"]), item.get("lane")))
                else:
                    raise RegieError(f"{path}: team {entry['id']}: schrijf een proces als 'id' of "
                                     "{process: id, lane: rol}.")
            members = entry.get("members") or {}
            if not isinstance(members, dict):
                raise RegieError(f"{path}: team {entry['id']}: schrijf de leden als 'gebruiker: rol'.")
            plan.append((str(entry["id"]), str(entry["name"]), processes, {str(k): str(v) for k, v in members.items()}))
        with self.store.write() as tx:
            known = set(rows.process_ids(tx))
            for team_id, _, processes, members in plan:
                for process_id, _ in processes:
                    if process_id not in known:
                        raise RegieError(f"{path}: team {team_id}: proces {process_id} is niet gedeployd. "
                                         "Deploy de modellen eerst (regie deploy).")
                if not _TEAM_ID.match(team_id):
                    raise RegieError(f"{path}: team-id {team_id}: gebruik kleine letters, cijfers en -.")
                for username, role in members.items():
                    user = tx.user(username)
                    if user is None:
                        raise UnknownUser(username)
                    if role not in TEAM_ROLES or role not in user.roles.split(","):
                        raise RegieError(f"{path}: team {team_id}: {username} kan niet de rol {role} hebben. "
                                         f"Kies uit de rollen van het account ({user.roles}).")
        for team_id, name, processes, members in plan:
            self.add(team_id, name, actor)
            for process_id, lane in processes:
                self.assign_process(team_id, process_id, actor, lane)
            for username, role in members.items():
                self.set_member(team_id, username, role, actor)
        return [p[0] for p in plan]

    def _team(self, tx, team_id: str) -> TeamRow:
        found = rows.team(tx, team_id)
        if found is None:
            raise UnknownTeam(team_id)
        return found

    def _log(self, tx, actor: str, username: str, action: str, detail: dict) -> None:
        from .store.accounts import add_account_event

        add_account_event(tx, AccountEventRow(at=self.clock.now(), actor=actor, username=username[:100],
                                              action=action, detail=json.dumps(detail, ensure_ascii=False,
                                                                               sort_keys=True)))


def load_demo_teams(teams: Teams) -> list[str]:
    """The demo's three teams (``DEMO_TEAMS``), also for processes not deployed yet. Demo mode only (the caller
    checks)."""
    for team_id, name, processes, members in DEMO_TEAMS:
        teams.add(team_id, name, "regie users demo")
        for process_id in processes:
            teams.assign_process(team_id, process_id, "regie users demo", check_process=False)
        for username, role in members.items():
            teams.set_member(team_id, username, role, "regie users demo")
    return [t[0] for t in DEMO_TEAMS]
