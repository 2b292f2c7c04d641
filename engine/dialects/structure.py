"""Structure Regie runs: one plain start of a case, subprocesses with a start and an end, routes a person chooses."""

from __future__ import annotations

import re

from lxml import etree

from engine.forms import Form, FormField

from .bpmn import FLOW_NODES, START_TRIGGERS, SYNTHETIC, _b
from .document import Document
from .forms import slug


class Structure(Document):
    """Step 5 of the preparation."""

    def start_events(self, process) -> None:
        """Starting a case is the message (or signal) a top-level start event waits for."""
        starts = process.findall(_b("startEvent"))
        if not starts or any(not self.triggers(s) for s in starts):
            return
        triggered = [s for s in starts if all(t.tag in START_TRIGGERS for t in self.triggers(s))]
        if len(starts) == 1 and triggered:
            for trigger in self.triggers(starts[0]):
                starts[0].remove(trigger)
        elif len(triggered) > 1:
            self.problem(process.get("id", ""), "dit proces start alleen met berichten of signalen, op "
                         f"{len(triggered)} manieren. Een zaak start in Regie met één startgebeurtenis: "
                         "geef het proces één gewone startgebeurtenis.")

    @staticmethod
    def triggers(event) -> list:
        return [child for child in event if isinstance(child.tag, str) and child.tag.endswith("EventDefinition")]

    def missing_start_and_end(self, container) -> None:
        """A (sub)process without a start event starts at every node without incoming flow. A path ends
        where it ends, as in Camunda: an element without outgoing flow gets one to an (added) end event,
        and a subprocess always has an end event."""
        cid = container.get("id", "")
        nodes = [n for n in container if n.tag in FLOW_NODES and n.get("triggeredByEvent") != "true"
                 and n.get("isForCompensation") != "true"]
        flows = container.findall(_b("sequenceFlow"))
        targets = {f.get("targetRef") for f in flows}
        sources = {f.get("sourceRef") for f in flows}
        is_sub = container.tag != _b("process")
        event_sub = container.get("triggeredByEvent") == "true"
        if not event_sub and not any(n.tag == _b("startEvent") for n in nodes) and (
                is_sub or container.get("isExecutable") == "true"):
            start = etree.SubElement(container, _b("startEvent"), id=f"{cid}{SYNTHETIC}start")
            self.result.synthetic[start.get("id")] = cid
            first = [n for n in nodes if n.get("id") not in targets]
            for index, node in enumerate(first):
                self.flow(container, start.get("id"), node.get("id"), f"{cid}{SYNTHETIC}start{index}")
            nodes.append(start)
            if not first:
                sources.discard(start.get("id"))
        sources |= {f.get("sourceRef") for f in container.findall(_b("sequenceFlow"))}
        boundaries = [b for b in container.iterfind(_b("boundaryEvent"))
                      if b.find(_b("compensateEventDefinition")) is None]
        last = [n for n in [*nodes, *boundaries] if n.get("id") not in sources and n.tag != _b("endEvent")
                and n.find(_b("linkEventDefinition")) is None]
        if last or (is_sub and not any(n.tag == _b("endEvent") for n in nodes)):
            end = etree.SubElement(container, _b("endEvent"), id=f"{cid}{SYNTHETIC}end")
            self.result.synthetic[end.get("id")] = cid
            for index, node in enumerate(last):
                self.flow(container, node.get("id"), end.get("id"), f"{cid}{SYNTHETIC}end{index}")

    def links(self, container) -> None:
        """Link events (a throwing link jumps to the catching link of the same name in the same (sub)process) run
        as the arrow they stand for: SpiffWorkflow does not know them, and the case stalled at the throw. A
        throw whose name no catch has is refused."""
        def name(event) -> str | None:
            link = event.find(_b("linkEventDefinition"))
            return None if link is None else (link.get("name") or "").strip()

        catches = {name(c): c for c in container.iterfind(_b("intermediateCatchEvent")) if name(c) is not None}
        for throw in container.iterfind(_b("intermediateThrowEvent")):
            target = name(throw)
            if target is None:
                continue
            catch = catches.get(target)
            if catch is None:
                self.problem(throw.get("id", ""), f"deze link-gebeurtenis springt naar '{target}', maar geen vangende "
                             "link-gebeurtenis in hetzelfde (sub)proces heeft die naam. Geef beide dezelfde naam.")
                continue
            throw.remove(throw.find(_b("linkEventDefinition")))
            flow_id = f"{throw.get('id', '')}{SYNTHETIC}link"
            self.flow(container, throw.get("id", ""), catch.get("id", ""), flow_id)
            self.result.synthetic[flow_id] = throw.get("id", "")
        for catch in catches.values():
            catch.remove(catch.find(_b("linkEventDefinition")))
            catch.tag = _b("intermediateThrowEvent")     # a plain event the path passes through

    def implicit_splits(self, container) -> None:
        """Several arrows without conditions leaving a task or an event all run, side by side (BPMN's
        uncontrolled flow, as Camunda runs it); SpiffWorkflow refuses more than one outgoing arrow there, so
        they leave through a parallel gateway. Arrows with conditions stay refused (say it with a gateway)."""
        outgoing: dict[str, list] = {}
        for flow in container.iterfind(_b("sequenceFlow")):
            outgoing.setdefault(flow.get("sourceRef", ""), []).append(flow)
        nodes = {n.get("id"): n for n in container if n.tag in FLOW_NODES or n.tag == _b("boundaryEvent")}
        for source, flows in outgoing.items():
            node = nodes.get(source)
            if node is None or len(flows) < 2 or node.tag.endswith("Gateway") or node.get("default") \
                    or any(_condition_text(f) for f in flows):
                continue
            split = f"{source}{SYNTHETIC}split"
            etree.SubElement(container, _b("parallelGateway"), id=split)
            self.result.synthetic[split] = source
            self.same_lane(source, split)
            for flow in flows:
                flow.set("sourceRef", split)
            self.flow(container, source, split, f"{split}flow")
            self.result.synthetic[f"{split}flow"] = source

    def flow_ids(self, container) -> None:
        """A sequence flow without an id still runs (SpiffWorkflow would skip it): it gets one."""
        used = {f.get("id") for f in container.iter(_b("sequenceFlow"))}
        for flow in container.iter(_b("sequenceFlow")):
            if not flow.get("id"):
                base = f"{flow.get('sourceRef', '')}{SYNTHETIC}{flow.get('targetRef', '')}"
                flow_id, number = base, 2
                while flow_id in used:
                    flow_id, number = f"{base}{number}", number + 1
                used.add(flow_id)
                flow.set("id", flow_id)
                self.result.synthetic[flow_id] = flow.get("sourceRef", "")

    def choices(self, process) -> None:
        """An exclusive gateway with routes that have no condition: a person chooses the route."""
        used: set[str] = set()
        for gateway in list(process.iter(_b("exclusiveGateway"))):
            parent, gid = gateway.getparent(), gateway.get("id", "")
            outgoing = [f for f in parent.iterfind(_b("sequenceFlow")) if f.get("sourceRef") == gid]
            default = gateway.get("default")
            open_routes = [f for f in outgoing if f.get("id") != default and not _condition_text(f)]
            if len(outgoing) < 2 or not open_routes:
                continue
            title = " ".join((gateway.get("name") or "").split())
            variable = self.choice_variable(title or gid, used)
            options = []
            for flow in outgoing:
                options.append((flow.get("id", ""), self.route_label(parent, flow)))
                condition = flow.find(_b("conditionExpression"))
                if condition is not None:
                    flow.remove(condition)
                if flow.get("id") != default:
                    condition = etree.SubElement(flow, _b("conditionExpression"), language="regie")
                    condition.text = f"{variable} == {flow.get('id', '')!r}"
            task_id = f"{gid}{SYNTHETIC}keuze"
            etree.SubElement(parent, _b("userTask"), id=task_id, name=f"Kies: {title}" if title else "Kies de route")
            for flow in parent.iterfind(_b("sequenceFlow")):
                if flow.get("targetRef") == gid:
                    flow.set("targetRef", task_id)
            self.flow(parent, task_id, gid, f"{task_id}{SYNTHETIC}uit")
            self.same_lane(gid, task_id)
            self.result.synthetic[task_id] = gid
            self.result.forms[task_id] = Form(
                slug(variable), title or "Kies de route",
                (FormField(variable, title or "Welke route?", "choice", required=True, choices=tuple(options)),),
                intro="Kies hoe de zaak verder gaat.",
            )

    @staticmethod
    def choice_variable(label: str, used: set[str]) -> str:
        base = "keuze_" + re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
        name, number = base.rstrip("_"), 2
        while name in used:
            name, number = f"{base}_{number}", number + 1
        used.add(name)
        return name

    def route_label(self, parent, flow) -> str:
        label = " ".join((flow.get("name") or "").split())
        if not label:
            target = next((n for n in parent if n.get("id") == flow.get("targetRef")), None)
            label = " ".join(((target.get("name") if target is not None else "") or "").split())
        condition = flow.find(_b("conditionExpression"))
        if condition is not None and (condition.text or "").strip():
            label = f"{label or flow.get('id')} (voorwaarde in het model: {condition.text.strip()})"
        return label or flow.get("id", "")


def _condition_text(flow) -> str:
    condition = flow.find(_b("conditionExpression"))
    return (condition.text or "").strip() if condition is not None else ""
