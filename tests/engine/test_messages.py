"""Messages and signals from other systems (engine.messages): each event kind, Camunda's correlation rules,
idempotent delivery, races, and the case's log that replay and verify rebuild. On SQLite and PostgreSQL,
live and through save/restore (the ``engine`` fixture)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from engine import ConflictError, Engine, ManualClock, SequentialIds
from engine.errors import InvalidData
from engine.messages import MessageIdReused, MessageTaken, NoCaseWaits, SeveralCasesWait

MODELS = Path(__file__).resolve().parent / "message_models"


@pytest.fixture
def eng(engine):
    engine.deploy([MODELS])
    return engine


def types(engine, case_id):
    return [e.type for e in engine.history(case_id)]


def titles(engine, case_id):
    return sorted(t.title for t in engine.tasks(case_id=case_id))


def test_intermediate_catch_event_takes_the_variables_into_the_case(eng):
    case_id = eng.start("bericht_tussen", {"bsn": "111222333"})
    assert eng.state(case_id).active == ["wacht"] and titles(eng, case_id) == []
    delivery = eng.correlate_message("besluit_ontvangen", "zs-1", variables={"besluit": "toegekend"})
    assert (delivery.case_id, delivery.elements, delivery.started) == (case_id, ("wacht",), False)
    assert delivery.case_number == eng.state(case_id).number
    assert eng.state(case_id).data == {"bsn": "111222333", "besluit": "toegekend"}
    assert titles(eng, case_id) == ["Controleer het besluit"]
    [event] = [e for e in eng.history(case_id) if e.type == "message_received"]
    assert event.payload == {"name": "besluit_ontvangen", "message_id": "zs-1", "variables": {"besluit": "toegekend"},
                             "elements": ["wacht"]}
    assert eng.verify(case_id)


def test_receive_task_by_case_number(eng):
    case_id = eng.start("bericht_ontvangst", {})
    number = eng.state(case_id).number
    delivery = eng.correlate_message("brief_verstuurd", "brief-7", business_key=number.lower(),
                                     variables={"verzonden_op": "2026-01-05"})
    assert delivery.elements == ("ontvang",)
    assert titles(eng, case_id) == ["Bel de bewoner"]
    assert eng.state(case_id).data["verzonden_op"] == "2026-01-05"
    assert eng.verify(case_id)


def test_boundary_events_interrupting_and_not(eng):
    case_id = eng.start("bericht_rand", {})
    eng.correlate_message("aanvulling_ontvangen", "a-1", variables={"aanvulling": "loonstrook"})
    assert titles(eng, case_id) == ["Beoordeel de aanvraag", "Lees de aanvulling"]   # not interrupting
    eng.correlate_message("aanvraag_ingetrokken", "a-2")
    assert titles(eng, case_id) == ["Lees de aanvulling"]                          # interrupted
    [task] = eng.tasks(case_id=case_id)
    eng.complete(task.id, {})
    assert eng.state(case_id).status == "completed"
    assert eng.verify(case_id)


def test_message_start_event_starts_a_case(eng):
    delivery = eng.correlate_message("melding_zorg", "kcc-1", variables={"melder": "buurman"})
    assert delivery.started and delivery.elements == ()
    state = eng.state(delivery.case_id)
    assert state.process_id == "bericht_start" and state.data == {"melder": "buurman"}
    assert delivery.case_number == state.number
    first = eng.history(delivery.case_id)[0]
    assert first.payload["trigger"] == {"message": "melding_zorg", "message_id": "kcc-1"}
    again = eng.correlate_message("melding_zorg", "kcc-1", variables={"melder": "buurman"})
    assert again.repeated and again.case_id == delivery.case_id
    assert len(eng.cases("bericht_start")) == 1
    assert eng.verify(delivery.case_id)


@pytest.mark.parametrize("order", [["Behandel de zaak", "Behandel de klacht"], ["Behandel de klacht", "Behandel de zaak"]])
def test_event_subprocess_message_start(eng, order):
    """The event subprocess waits from the start; once triggered it holds the case open until it ends, also
    when the main path ends first (the case then ends with it, not as a stalled case)."""
    case_id = eng.start("bericht_subproces", {})
    assert "klacht_start" in eng.state(case_id).active
    eng.correlate_message("klacht_ontvangen", "k-1", variables={"klacht": "te laat"})
    assert titles(eng, case_id) == ["Behandel de klacht", "Behandel de zaak"]
    for title in order:
        eng.complete(next(t.id for t in eng.tasks(case_id=case_id) if t.title == title), {})
    assert eng.state(case_id).status == "completed"
    assert eng.verify(case_id)


def test_correlation_by_process_variables(eng):
    a = eng.start("bericht_tussen", {"dossier": "D-1"})
    b = eng.start("bericht_tussen", {"dossier": "D-2"})
    with pytest.raises(SeveralCasesWait) as several:
        eng.correlate_message("besluit_ontvangen", "x-1")
    assert "2 zaken wachten" in str(several.value) and eng.state(a).number in str(several.value)
    assert "message_received" not in types(eng, a) + types(eng, b)
    delivery = eng.correlate_message("besluit_ontvangen", "x-1", correlation={"dossier": "D-2"})
    assert delivery.case_id == b
    assert eng.state(a).active == ["wacht"]


def test_no_waiting_case_is_a_clear_answer_and_writes_nothing(eng):
    case_id = eng.start("bericht_tussen", {"dossier": "D-1"})
    before = types(eng, case_id)
    with pytest.raises(NoCaseWaits) as none:
        eng.correlate_message("besluit_ontvangen", "n-1", correlation={"dossier": "D-9"})
    assert "Geen zaak wacht op dit bericht" in str(none.value) and "D-9" in str(none.value)
    with pytest.raises(NoCaseWaits):
        eng.correlate_message("onbekend_bericht", "n-2")
    with pytest.raises(NoCaseWaits):   # the case number of a case that waits for something else
        eng.correlate_message("brief_verstuurd", "n-3", business_key=eng.state(case_id).number)
    assert types(eng, case_id) == before
    # not remembered: once the case waits, the same id is delivered
    assert eng.correlate_message("besluit_ontvangen", "n-1", correlation={"dossier": "D-1"}).case_id == case_id


def test_same_message_id_again_gives_the_same_answer_and_writes_nothing(eng):
    case_id = eng.start("bericht_tussen", {})
    first = eng.correlate_message("besluit_ontvangen", "dup-1", variables={"besluit": "ja"})
    again = eng.correlate_message("besluit_ontvangen", "dup-1", variables={"besluit": "ja"})
    assert again.repeated and not first.repeated
    assert (again.case_id, again.elements) == (first.case_id, first.elements)
    assert types(eng, case_id).count("message_received") == 1
    with pytest.raises(MessageIdReused):
        eng.correlate_message("brief_verstuurd", "dup-1")


def test_bad_input_names_the_fields(eng):
    with pytest.raises(InvalidData) as bad:
        eng.correlate_message("", "")
    assert {p.field for p in bad.value.problems} == {"name", "message_id"}
    with pytest.raises(InvalidData) as bad:
        eng.correlate_message("besluit_ontvangen", "ok-1", correlation={"dossier": ["a"]})
    assert bad.value.problems[0].field == "correlation.dossier"


def test_signals_reach_every_waiting_case_and_start_cases(eng):
    waiting = [eng.start("signaal_wacht", {}) for _ in range(3)]
    other = eng.start("bericht_tussen", {})
    result = eng.broadcast_signal("lijst_binnen", "lijst-2026-01")
    assert sorted(result.cases) == sorted(eng.state(c).number for c in waiting)
    assert len(result.started) == 1 and result.reached == 4
    [started] = eng.cases("signaal_start")
    assert titles(eng, started.id) == ["Controleer de lijst"]
    assert all(titles(eng, c) == ["Verwerk de lijst"] for c in waiting)
    assert "signal_received" not in types(eng, other)
    again = eng.broadcast_signal("lijst_binnen", "lijst-2026-01")
    assert again.repeated and again.cases == result.cases and again.started == result.started
    assert len(eng.cases("signaal_start")) == 1
    assert all(types(eng, c).count("signal_received") == 1 for c in waiting)
    stopped = eng.broadcast_signal("regeling_gestopt")        # the boundary event interrupts the task
    assert stopped.reached == 3
    assert all(eng.state(c).status == "completed" for c in waiting)
    assert eng.broadcast_signal("regeling_gestopt").reached == 0
    for case_id in [*waiting, started.id]:
        assert eng.verify(case_id)


def test_replay_rebuilds_the_delivered_messages(eng):
    case_id = eng.start("bericht_rand", {})
    eng.correlate_message("aanvulling_ontvangen", "r-1", variables={"aanvulling": "ja"})
    eng.correlate_message("aanvraag_ingetrokken", "r-2")
    live = eng.replay(case_id)
    assert sorted(t.task_spec.bpmn_id for t in live.workflow.get_tasks() if t.state == 16 and t.task_spec.manual) == [
        "lees"]
    assert eng.verify(case_id)


def _race(db_url, deliveries):
    """Run each delivery in its own thread on its own engine (as two web workers would), all at once."""
    engines = [Engine.from_url(db_url, clock=ManualClock("2026-01-05T09:00:00+00:00"), ids=SequentialIds(f"w{i}"))
               for i in range(len(deliveries))]
    barrier = threading.Barrier(len(deliveries))
    outcomes: list[object] = [None] * len(deliveries)

    def work(i):
        barrier.wait()
        try:
            outcomes[i] = deliveries[i](engines[i])
        except ConflictError as err:
            outcomes[i] = err

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(deliveries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for e in engines:
        e.store.dispose()
    return outcomes


def test_two_messages_race_for_one_waiting_case(db_url):
    setup = Engine.from_url(db_url, clock=ManualClock("2026-01-05T09:00:00+00:00"), ids=SequentialIds("setup"))
    setup.deploy([MODELS])
    case_id = setup.start("bericht_tussen", {})
    outcomes = _race(db_url, [
        lambda e: e.correlate_message("besluit_ontvangen", "race-a", variables={"besluit": "a"}),
        lambda e: e.correlate_message("besluit_ontvangen", "race-b", variables={"besluit": "b"}),
    ])
    errors = [o for o in outcomes if isinstance(o, ConflictError)]
    wins = [o for o in outcomes if not isinstance(o, ConflictError)]
    assert len(wins) == 1 and len(errors) == 1, outcomes
    assert isinstance(errors[0], MessageTaken) or "net door iemand anders gewijzigd" in str(errors[0])
    assert types(setup, case_id).count("message_received") == 1
    assert setup.state(case_id).data["besluit"] == wins[0].message_id[-1]
    assert setup.verify(case_id)
    setup.store.dispose()


def test_the_same_message_twice_at_once_is_delivered_once(db_url):
    setup = Engine.from_url(db_url, clock=ManualClock("2026-01-05T09:00:00+00:00"), ids=SequentialIds("setup"))
    setup.deploy([MODELS])
    case_id = setup.start("bericht_tussen", {})
    outcomes = _race(db_url, [lambda e: e.correlate_message("besluit_ontvangen", "same-1")] * 2)
    delivered = [o for o in outcomes if not isinstance(o, ConflictError)]
    # Both senders hear it arrived (one of them as a repeat), or the second is told the case moved on.
    assert delivered and all(d.case_id == case_id for d in delivered), outcomes
    assert types(setup, case_id).count("message_received") == 1
    setup.store.dispose()


def test_the_same_message_delivered_between_the_first_look_and_the_search_is_a_repeat(eng, monkeypatch):
    """The race above, made certain: another sender delivers the same message id after this one found no
    earlier delivery and before it looks for the waiting case. Its answer is the repeat, not 'no case waits'."""
    from engine import messages

    case_id = eng.start("bericht_tussen", {})
    search = messages._waiting_cases
    other_sender: list = []

    def meanwhile(*args, **kwargs):
        if not other_sender:
            other_sender.append(None)
            other_sender[0] = eng.correlate_message("besluit_ontvangen", "same-2")
        return search(*args, **kwargs)

    monkeypatch.setattr(messages, "_waiting_cases", meanwhile)
    answer = eng.correlate_message("besluit_ontvangen", "same-2")
    assert other_sender[0].repeated is False and other_sender[0].case_id == case_id
    assert answer.repeated is True and answer.case_id == case_id
    assert types(eng, case_id).count("message_received") == 1


def test_event_subprocess_signal_start_reaches_every_case(eng):
    cases = [eng.start("signaal_subproces", {}) for _ in range(2)]
    result = eng.broadcast_signal("crisis")
    assert sorted(result.cases) == sorted(eng.state(c).number for c in cases)
    for case_id in cases:
        assert titles(eng, case_id) == ["Gewoon werk", "Spoedactie"]
        for task in eng.tasks(case_id=case_id):
            eng.complete(task.id, {})
        assert eng.state(case_id).status == "completed"
        assert eng.verify(case_id)


def test_a_message_that_names_a_case_never_starts_one(eng):
    with pytest.raises(NoCaseWaits):
        eng.correlate_message("melding_zorg", "kcc-2", correlation={"melder": "buurman"})
    with pytest.raises(NoCaseWaits):
        eng.correlate_message("melding_zorg", "kcc-3", business_key="BS-2026-000999")
    assert eng.cases("bericht_start") == []


def test_business_key_given_at_start(eng):
    case_id = eng.start("bericht_tussen", {}, business_key="ZS-0042")
    other = eng.start("bericht_tussen", {}, business_key="ZS-0043")
    assert eng.history(case_id)[0].payload["trigger"] == {"business_key": "ZS-0042"}
    delivery = eng.correlate_message("besluit_ontvangen", "bk-1", business_key="ZS-0042")
    assert delivery.case_id == case_id
    assert eng.state(other).active == ["wacht"]
    with pytest.raises(NoCaseWaits):                       # the case with that key no longer waits
        eng.correlate_message("besluit_ontvangen", "bk-2", business_key="ZS-0042")
    eng.start("bericht_tussen", {}, business_key="ZS-0043")
    with pytest.raises(SeveralCasesWait):
        eng.correlate_message("besluit_ontvangen", "bk-3", business_key="ZS-0043")
    with pytest.raises(InvalidData):
        eng.start("bericht_tussen", {}, business_key="  ")
    assert eng.verify(case_id)


def test_a_start_message_with_a_new_business_key_gives_it_to_the_case(eng):
    started = eng.correlate_message("melding_zorg", "kcc-7", business_key="KCC-77")
    assert started.started
    assert eng.history(started.case_id)[0].payload["trigger"]["business_key"] == "KCC-77"
    with pytest.raises(NoCaseWaits):      # the key now names that case, which waits for nothing: no second case
        eng.correlate_message("melding_zorg", "kcc-8", business_key="KCC-77")
    assert len(eng.cases("bericht_start")) == 1
