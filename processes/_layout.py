"""Draw a BPMN model: (re)compute its diagram interchange (BPMNDiagram) from the process itself.

    .venv/bin/python processes/_layout.py processes/hersteloperatie.bpmn [more.bpmn ...]

The semantic part of the file (process, lanes, tasks, flows) is the source; this helper replaces the
``bpmndi:BPMNDiagram`` with a left-to-right layered layout so that Camunda Modeler and any other BPMN
viewer draw every lane, flow node and sequence flow. After that, policy staff move shapes around in the
Modeler as they like; run the helper again only when a diagram has become unreadable.

Layout, in short: columns follow the longest path from the start (loops back are drawn under the
row), each lane is a band of rows, a branch of a gateway goes one row down, a boundary event sits on
the bottom edge of its task and its path goes below it, an expanded subprocess is laid out the same
way inside its own box. Edges are orthogonal and are routed around shapes where they can be.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

TASKS = {"task", "userTask", "scriptTask", "businessRuleTask", "serviceTask", "manualTask", "sendTask",
         "receiveTask", "callActivity"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
CONTAINERS = {"subProcess", "transaction"}
SIZES = {"task": (100, 80), "event": (36, 36), "gateway": (50, 50)}
COL_GAP, ROW_GAP, PAD, SUB_TOP, POOL_LABEL, LANE_PAD = 70, 70, 30, 30, 30, 30


def local(el) -> str:
    return etree.QName(el).localname


@dataclass
class Node:
    id: str
    kind: str                      # bpmn local name
    el: object
    w: int = 0
    h: int = 0
    layer: int = 0
    row: int = 0
    lane: str = ""
    x: float = 0
    y: float = 0
    inner: Box | None = None     # layout of a subprocess's content
    boundaries: list = field(default_factory=list)

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2


@dataclass
class Box:
    """A laid-out container: nodes (positions relative to the box), edges, size."""

    nodes: dict
    edges: list        # (flow id, [(x, y), ...]) relative to the box
    w: float
    h: float
    lanes: list        # (lane id, y, h) relative to the box


def kind_size(kind: str) -> tuple[int, int]:
    if kind in TASKS:
        return SIZES["task"]
    if kind in EVENTS or kind == "boundaryEvent":
        return SIZES["event"]
    if kind in GATEWAYS:
        return SIZES["gateway"]
    return SIZES["task"]


def layout_container(container, lane_of: dict[str, str], lane_order: list[str]) -> Box:
    """Lay out the flow nodes directly inside ``container`` (a process or subprocess)."""
    nodes: dict[str, Node] = {}
    boundary: dict[str, Node] = {}
    flows = []
    for el in container:
        if not isinstance(el.tag, str):
            continue
        kind = local(el)
        if kind == "sequenceFlow":
            flows.append((el.get("id"), el.get("sourceRef"), el.get("targetRef")))
        elif kind == "boundaryEvent":
            boundary[el.get("id")] = Node(el.get("id"), kind, el, *kind_size(kind))
        elif kind in TASKS | EVENTS | GATEWAYS | CONTAINERS:
            node = Node(el.get("id"), kind, el)
            if kind in CONTAINERS:
                node.inner = layout_container(el, {}, [""])
                node.w, node.h = node.inner.w, node.inner.h
            else:
                node.w, node.h = kind_size(kind)
            node.lane = lane_of.get(node.id, lane_order[0])
            nodes[node.id] = node
    for b in boundary.values():
        host = nodes[b.el.get("attachedToRef")]
        host.boundaries.append(b)
        b.lane = host.lane

    def owner(ref: str) -> str:
        return boundary[ref].el.get("attachedToRef") if ref in boundary else ref

    succ: dict[str, list[tuple[str, str]]] = {n: [] for n in nodes}
    for fid, src, tgt in flows:
        succ[owner(src)].append((fid, tgt))
    back = find_back_edges(nodes, succ, flows)
    # layers: longest path over forward edges
    indeg = {n: 0 for n in nodes}
    for outs in succ.values():
        for fid, tgt in outs:
            if fid not in back:
                indeg[tgt] += 1
    order, queue = [], [n for n in nodes if indeg[n] == 0]
    while queue:
        n = queue.pop(0)
        order.append(n)
        for fid, tgt in succ[n]:
            if fid in back:
                continue
            nodes[tgt].layer = max(nodes[tgt].layer, nodes[n].layer + 1)
            indeg[tgt] -= 1
            if indeg[tgt] == 0:
                queue.append(tgt)
    # rows: a branch goes one row down from its gateway; a boundary path goes below its host
    taken: dict[tuple[str, int, int], str] = {}
    pref: dict[str, int] = {}
    placed: set[str] = set()
    preds: dict[str, set[str]] = {n: set() for n in nodes}
    for src, outs in succ.items():
        for _fid, tgt in outs:
            preds[tgt].add(src)

    def free(node: Node, r: int) -> bool:
        # the cell is free, and the cell to its left holds nothing or one of its own predecessors:
        # two unrelated shapes side by side on one row would read as a chain
        left = taken.get((node.lane, node.layer - 1, r))
        return (node.lane, node.layer, r) not in taken and (left is None or left in preds[node.id])

    for n in sorted(order, key=lambda i: (nodes[i].layer, order.index(i))):
        node = nodes[n]
        want = pref.get(n, 0)
        row = next(r for r in _candidates(want) if free(node, r))
        node.row = row
        taken[(node.lane, node.layer, row)] = n
        placed.add(n)
        k = 0
        for fid, tgt in succ[n]:
            if fid in back or tgt in placed:
                continue
            src_ref = next(s for f, s, t in flows if f == fid)
            if nodes[tgt].lane != node.lane:
                want_row = 0
            elif src_ref in boundary:
                want_row = row + 1
            else:
                want_row = row + k
                k += 1
            # a join lines up with its highest incoming path, so the main path stays on one row
            pref[tgt] = min(pref.get(tgt, want_row), want_row)
    return _place(nodes, boundary, flows, back, lane_order)


def _candidates(want: int):
    yield want
    for d in range(1, 200):
        yield want + d
        if want - d >= 0:
            yield want - d


def find_back_edges(nodes, succ, flows) -> set[str]:
    """Flows that close a loop, found by a depth-first search from the start events.

    Of the outgoing flows of a node, the one farthest from an end event is followed first: that is
    the way forward, so the flow that returns to an earlier step (retry, "not yet", relapse) is the
    one that closes the loop and is drawn as a way back.
    """
    to_end = _distance_to_end(nodes, succ)
    state: dict[str, int] = {}
    back: set[str] = set()
    starts = [n for n, node in nodes.items() if node.kind == "startEvent"]
    starts += [n for n in nodes if n not in starts]

    def children(n):
        return iter(sorted(succ[n], key=lambda edge: -to_end.get(edge[1], 0)))

    def visit(n):
        stack = [(n, children(n))]
        state[n] = 1
        while stack:
            cur, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[cur] = 2
                stack.pop()
                continue
            fid, tgt = nxt
            if state.get(tgt) == 1:
                back.add(fid)
            elif tgt not in state:
                state[tgt] = 1
                stack.append((tgt, children(tgt)))

    for s in starts:
        if s not in state:
            visit(s)
    return back


def _distance_to_end(nodes, succ) -> dict[str, int]:
    pred: dict[str, list[str]] = {n: [] for n in nodes}
    for src, outs in succ.items():
        for _fid, tgt in outs:
            pred[tgt].append(src)
    dist = {n: 0 for n, node in nodes.items() if node.kind == "endEvent"}
    queue = list(dist)
    while queue:
        n = queue.pop(0)
        for p in pred[n]:
            if p not in dist:
                dist[p] = dist[n] + 1
                queue.append(p)
    return dist


def _place(nodes, boundary, flows, back, lane_order) -> Box:
    layers = max((n.layer for n in nodes.values()), default=0) + 1
    col_w = [0.0] * layers
    for n in nodes.values():
        col_w[n.layer] = max(col_w[n.layer], n.w)
    col_x, x = [], PAD
    for w in col_w:
        col_x.append(x)
        x += w + COL_GAP
    width = x - COL_GAP + PAD
    lanes_used = lane_order  # every lane is drawn, in file order, also when it is empty
    lane_boxes, y = [], 0.0
    row_y: dict[tuple[str, int], tuple[float, float]] = {}
    for ln in lanes_used:
        rows = sorted({n.row for n in nodes.values() if n.lane == ln})
        top = y
        y += LANE_PAD if ln else PAD + SUB_TOP
        for r in range(max(rows) + 1 if rows else 0):
            h = max([n.h for n in nodes.values() if n.lane == ln and n.row == r] or [36])
            row_y[(ln, r)] = (y, h)
            y += h + ROW_GAP
        y = y - ROW_GAP + (LANE_PAD if ln else PAD) if rows else y + 90
        lane_boxes.append((ln, top, y - top))
    height = y
    for n in nodes.values():
        ry, rh = row_y[(n.lane, n.row)]
        n.x = col_x[n.layer] + (col_w[n.layer] - n.w) / 2
        n.y = ry + (rh - n.h) / 2
        for i, b in enumerate(n.boundaries):
            b.x = n.x + n.w - 30 - b.w - i * (b.w + 24)
            b.y = n.y + n.h - b.h / 2
    edges = []
    obstacles = list(nodes.values())
    for fid, src, tgt in flows:
        s = boundary.get(src) or nodes[src]
        t = nodes[tgt]
        edges.append((fid, route(s, t, fid in back, obstacles, col_x, col_w, row_y, boundary)))
    return Box(nodes | boundary, edges, width, height, lane_boxes)


def _hits(points, obstacles, skip) -> int:
    count = 0
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        for o in obstacles:
            if o.id in skip:
                continue
            lx, hx, ly, hy = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
            if lx < o.x + o.w + 4 and hx > o.x - 4 and ly < o.y + o.h + 4 and hy > o.y - 4:
                count += 1
    return count


def route(s: Node, t: Node, is_back: bool, obstacles, col_x, col_w, row_y, boundary) -> list:
    host = s.el.get("attachedToRef") if s.kind == "boundaryEvent" else None
    skip = {s.id, t.id, host}
    tl, ty = (t.x, t.cy)
    gap_after = lambda layer: col_x[layer] + col_w[layer] + COL_GAP / 2  # noqa: E731
    gap_before = lambda layer: col_x[layer] - COL_GAP / 2  # noqa: E731
    below = max(s.y + s.h, t.y + t.h) + ROW_GAP / 2
    above = min(s.y, t.y) - ROW_GAP / 2
    layer_s = s.layer
    cands = []
    if host:
        bx, by = s.cx, s.y + s.h
        if t.x > s.x:
            cands.append([(bx, by), (bx, ty), (tl, ty)])
            cands.append([(bx, by), (bx, by + ROW_GAP / 2), (gap_before(t.layer), by + ROW_GAP / 2),
                          (gap_before(t.layer), ty), (tl, ty)])
        else:
            cands.append([(bx, by), (bx, below), (t.cx, below), (t.cx, t.y + t.h)])
    elif not is_back and t.layer > layer_s:
        sr, sy = s.x + s.w, s.cy
        if abs(sy - ty) < 1:
            cands.append([(sr, sy), (tl, ty)])
        if s.kind.endswith("Gateway") and abs(sy - ty) >= 1:
            edge_y = s.y + s.h if ty > sy else s.y
            cands.append([(s.cx, edge_y), (s.cx, ty), (tl, ty)])
        cands.append([(sr, sy), (gap_before(t.layer), sy), (gap_before(t.layer), ty), (tl, ty)])
        cands.append([(sr, sy), (gap_after(layer_s), sy), (gap_after(layer_s), ty), (tl, ty)])
        for yy in (s.y + s.h + ROW_GAP / 2, s.y - ROW_GAP / 2, below, above):
            cands.append([(sr, sy), (gap_after(layer_s), sy), (gap_after(layer_s), yy),
                          (gap_before(t.layer), yy), (gap_before(t.layer), ty), (tl, ty)])
    else:
        sx = s.cx
        cands.append([(sx, s.y + s.h), (sx, below), (t.cx, below), (t.cx, t.y + t.h)])
        cands.append([(sx, s.y), (sx, above), (t.cx, above), (t.cx, t.y)])
        cands.append([(sx, s.y + s.h), (sx, below), (gap_before(t.layer), below), (gap_before(t.layer), ty),
                      (tl, ty)])
    best = min(cands, key=lambda pts: (_hits(pts, obstacles, skip), cands.index(pts)))
    return _simplify(best)


def _simplify(points):
    out = []
    for p in points:
        p = (round(p[0]), round(p[1]))
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
            continue
        out.append(p)
    return out


def draw(path: Path) -> None:
    """Replace the diagram of the BPMN file at ``path`` with a freshly computed one."""
    parser = etree.XMLParser(remove_blank_text=True)
    tree = etree.parse(str(path), parser)
    root = tree.getroot()
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    process = root.find(f"{{{BPMN}}}process")
    collaboration = root.find(f"{{{BPMN}}}collaboration")
    participant = collaboration.find(f"{{{BPMN}}}participant") if collaboration is not None else None
    lane_of, lane_order = {}, []
    for lane in process.iter(f"{{{BPMN}}}lane"):
        lane_order.append(lane.get("id"))
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            lane_of[ref.text.strip()] = lane.get("id")
    box = layout_container(process, lane_of, lane_order or [""])
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"BPMNDiagram_{process.get('id')}")
    plane = etree.SubElement(diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"BPMNPlane_{process.get('id')}",
                             bpmnElement=(collaboration.get("id") if participant is not None else process.get("id")))
    ox, oy = (160 + POOL_LABEL, 80) if participant is not None else (160, 80)
    if participant is not None:
        _shape(plane, participant.get("id"), ox - POOL_LABEL, oy, box.w + POOL_LABEL, box.h, isHorizontal="true")
        for lane_id, ly, lh in box.lanes:
            if lane_id:
                _shape(plane, lane_id, ox, oy + ly, box.w, lh, isHorizontal="true")
    _emit(plane, box, ox, oy)
    etree.indent(tree, space="  ")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def _emit(plane, box: Box, ox: float, oy: float) -> None:
    for node in box.nodes.values():
        extra = {}
        if node.kind == "exclusiveGateway":
            extra["isMarkerVisible"] = "true"
        if node.kind in CONTAINERS:
            extra["isExpanded"] = "true"
        shape = _shape(plane, node.id, ox + node.x, oy + node.y, node.w, node.h, **extra)
        if node.kind.endswith("Gateway") and node.el.get("name"):
            # above the diamond: its branches leave from the bottom and would cross a label below it
            label = etree.SubElement(shape, f"{{{BPMNDI}}}BPMNLabel")
            etree.SubElement(label, f"{{{DC}}}Bounds", x=str(round(ox + node.cx - 70)), y=str(round(oy + node.y - 34)),
                             width="140", height="27")
        if node.inner is not None:
            _emit(plane, node.inner, ox + node.x, oy + node.y)
    for fid, points in box.edges:
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{fid}_di", bpmnElement=fid)
        for px, py in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=str(round(ox + px)), y=str(round(oy + py)))


def _shape(plane, element_id, x, y, w, h, **attrs):
    shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id, **attrs)
    etree.SubElement(shape, f"{{{DC}}}Bounds", x=str(round(x)), y=str(round(y)), width=str(round(w)),
                     height=str(round(h)))
    return shape


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        draw(Path(arg))
        print(f"getekend: {arg}")
