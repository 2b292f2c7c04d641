"""The run time: simpleeval's tree walker with Regie's operators, functions, attribute rules and budget."""

from __future__ import annotations

import ast
import operator
from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, cast

from simpleeval import EvalWithCompoundTypes

from .functions import _DATA_ATTRIBUTES, _METHODS
from .guards import _check_product, _check_size, _power, _repetition
from .limits import _CONTAINERS, _SEQUENCES, MAX_DEPTH, MAX_ROUNDS, MAX_STEPS
from .messages import (
    DATA_TOO_DEEP,
    PERCENT_TEXT,
    TOO_MANY_ROUNDS,
    TOO_MUCH_WORK,
    UNKNOWN_NAME,
    Refusal,
    _kind,
)
from .rules import _COMPARISONS


class _Interpreter(EvalWithCompoundTypes):
    """simpleeval's tree walker with Regie's operators, functions, attribute rules and budget.

    One instance per thread (it keeps per-run state); the AST it walks was checked beforehand.
    """

    def __init__(self, functions: dict[str, Callable[..., Any]]):
        super().__init__(operators={}, functions=dict(functions), names={})
        self.functions = dict(functions)  # drop the `tuple` that EvalWithCompoundTypes adds
        self.operators: dict[type, Callable[..., Any]] = {
            ast.Add: self._add, ast.Sub: operator.sub, ast.Mult: self._mul,
            ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: _mod,
            ast.Pow: _power, ast.Not: operator.not_, ast.USub: operator.neg, ast.UAdd: operator.pos,
        }
        self.nodes: dict[type, Callable[[Any], Any]] = {
            ast.Constant: _constant_value,
            ast.Name: self._eval_name, ast.Attribute: self._eval_attribute,
            ast.BinOp: self._eval_binop, ast.UnaryOp: self._eval_unaryop,
            ast.BoolOp: self._eval_boolop, ast.Compare: self._eval_compare,
            ast.IfExp: self._eval_ifexp, ast.Call: self._eval_call,
            ast.Subscript: self._eval_subscript, ast.Slice: self._eval_slice,
            ast.List: self._eval_list, ast.Tuple: self._eval_tuple,
            ast.Set: self._eval_set, ast.Dict: self._eval_dict,
            ast.ListComp: self._eval_comprehension, ast.GeneratorExp: self._eval_comprehension,
            ast.DictComp: self._eval_comprehension,
            ast.JoinedStr: self._eval_joinedstr, ast.FormattedValue: self._eval_formattedvalue,
        }
        self.statements: dict[type, Callable[[Any], None]] = {
            ast.Assign: self._exec_assign, ast.AugAssign: self._exec_augassign,
            ast.Expr: self._exec_expr, ast.If: self._exec_if, ast.Pass: lambda node: None,
        }
        self.begin({})

    def begin(self, names: Mapping[str, Any]) -> None:
        # Only scripts assign, and they run on a dict of their own; an expression's comprehension
        # binds its loop variables in a ChainMap layer above these names.
        self.names = cast(MutableMapping[str, Any], names)
        self._steps = MAX_STEPS
        self._rounds = MAX_ROUNDS
        self._sizes: dict[int, tuple[Any, int]] = {}

    # Budget -------------------------------------------------------------------------------------

    def _charge(self, steps: int) -> None:
        self._steps -= steps
        if self._steps < 0:
            raise Refusal(TOO_MUCH_WORK)

    def _cost(self, value: Any) -> int:
        """Steps it takes to compare, copy or hash ``value``.

        One step is about the time of evaluating one node (a fraction of a microsecond): C code
        handles some 16 items or 256 characters in that time.
        """
        kind = type(value)
        if kind is str:
            return len(value) >> 8
        if kind in _CONTAINERS:
            return self._measure(value, 0) >> 4
        return 0

    def _measure(self, value: Any, depth: int) -> int:
        """Items in container ``value``, counting every nested item as often as it is reachable.

        Cached per run, so a list that holds the same big list many times is measured in steps
        proportional to what is really stored, yet reports the size that comparing or printing it
        would cost.
        """
        known = self._sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        if depth > MAX_DEPTH:
            raise Refusal(DATA_TOO_DEEP)
        self._charge(1 + (len(value) >> 2))
        size = len(value)
        for item in [*value.keys(), *value.values()] if type(value) is dict else value:
            if type(item) in _CONTAINERS:
                size += self._measure(item, depth + 1)
        self._sizes[id(value)] = (value, size)
        return size

    def _size(self, sequence: Any) -> int:
        return len(sequence) if type(sequence) is str else self._measure(sequence, 0)

    def check_storable(self, value: Any) -> None:
        """A value leaving the evaluator must be small enough to store and to print."""
        if type(value) in _CONTAINERS:
            _check_size(self._measure(value, 0))

    # Nodes --------------------------------------------------------------------------------------

    def _eval(self, node: ast.AST) -> Any:
        self._steps -= 1
        if self._steps < 0:
            raise Refusal(TOO_MUCH_WORK)
        return self.nodes[type(node)](node)

    def _eval_name(self, node: ast.Name) -> Any:
        try:
            return self.names[node.id]
        except KeyError:
            raise Refusal(UNKNOWN_NAME.format(name=node.id)) from None

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        value = self._eval(node.value)
        name = node.attr
        if isinstance(value, dict):  # `aanvrager.leeftijd` reads a field, as in JUEL
            try:
                return value[name]
            except KeyError:
                raise Refusal(f"het veld '{name}' bestaat niet. Gebruik .get('{name}') als het "
                               "veld kan ontbreken.") from None
        if name in _DATA_ATTRIBUTES.get(type(value), ()):
            return getattr(value, name)
        raise Refusal(f"'.{name}' werkt niet op {_kind(value)}.")

    def _eval_binop(self, node: ast.BinOp) -> Any:
        return self._binary(type(node.op), self._eval(node.left), self._eval(node.right))

    def _binary(self, kind: type, left: Any, right: Any) -> Any:
        self._charge(self._cost(left) + self._cost(right))
        return self.operators[kind](left, right)

    def _add(self, left: Any, right: Any) -> Any:
        if type(left) in _SEQUENCES and type(right) in _SEQUENCES:
            _check_size(self._size(left) + self._size(right))
        return left + right

    def _mul(self, left: Any, right: Any) -> Any:
        _check_product(left, right)
        repeated = _repetition(left, right)
        if repeated:
            sequence, count = repeated
            _check_size(self._size(sequence) * max(count, 0))
            self._charge(len(sequence) * max(count, 0) >> 6)  # the copy is done in C
        return left * right

    def _eval_compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self._eval(comparator)
            if type(left) in _CONTAINERS or type(right) in _CONTAINERS:
                self._charge(self._cost(left) + self._cost(right))
            result = _COMPARISONS[type(op)](left, right)
            if not result:
                return result
            left = right
        return result

    def _eval_call(self, node: ast.Call) -> Any:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = self._eval(func.value)
            function = _method(receiver, func.attr)
            self._charge(self._cost(receiver))
        elif isinstance(func, ast.Name):
            function = self.functions[func.id]
        else:  # the checker lets only names and methods be called
            raise Refusal("alleen functies en methodes kun je aanroepen.")
        self._charge(2)  # a call costs a few nodes' worth
        args = [self._eval(arg) for arg in node.args]
        kwargs = {str(item.arg): self._eval(item.value) for item in node.keywords}  # `**x` is refused
        for value in (*args, *kwargs.values()):
            if type(value) in _CONTAINERS or type(value) is str:
                self._charge(self._cost(value))
        result = function(*args, **kwargs)
        if type(result) in _SEQUENCES or type(result) in _CONTAINERS:
            _check_size(len(result))
        return result

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        key = self._eval(node.slice)
        if type(key) is slice:
            self._charge(self._cost(container))  # a slice is a copy
        elif type(key) in _CONTAINERS:
            self._charge(self._cost(key))  # hashing a tuple key walks it
        return container[key]

    def _eval_set(self, node: ast.Set) -> set[Any]:
        items = [self._eval(element) for element in node.elts]
        self._charge(sum(self._cost(item) for item in items))
        return set(items)

    def _eval_dict(self, node: ast.Dict) -> dict[Any, Any]:
        result = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            if key_node is None:  # `{**x}`: refused by the checker already
                raise Refusal("'**' in een woordenboek kan niet.")
            key = self._eval(key_node)
            self._charge(self._cost(key))
            result[key] = self._eval(value_node)
        return result

    def _eval_comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.DictComp) -> Any:
        outer = self.names
        self.names = ChainMap({}, outer)  # loop variables live in their own scope
        result: Any = {} if type(node) is ast.DictComp else []
        try:
            self._generate(node, 0, result)
        finally:
            self.names = outer
        self.check_storable(result)
        return result

    def _generate(self, node: Any, index: int, result: Any) -> None:
        generator = node.generators[index]
        for item in self._eval(generator.iter):
            self._rounds -= 1
            if self._rounds < 0:
                raise Refusal(TOO_MANY_ROUNDS)
            self._charge(1)
            self._assign(generator.target, item)
            if not all(self._eval(condition) for condition in generator.ifs):
                continue
            if index + 1 < len(node.generators):
                self._generate(node, index + 1, result)
            elif type(result) is dict:
                key = self._eval(node.key)
                self._charge(self._cost(key))
                result[key] = self._eval(node.value)
            else:
                result.append(self._eval(node.elt))

    def _eval_joinedstr(self, node: ast.JoinedStr) -> str:
        parts = [self._eval(part) for part in node.values]
        _check_size(sum(len(part) for part in parts))
        return "".join(parts)

    def _eval_formattedvalue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        self._charge(self._cost(value))
        self.check_storable(value)
        text = str(value)
        _check_size(len(text))
        return text

    # Entry points -------------------------------------------------------------------------------

    def value(self, tree: ast.expr) -> Any:
        """The value of a checked expression tree on the current names."""
        result = self._eval(tree)
        self.check_storable(result)
        return result

    def run(self, body: list[ast.stmt]) -> None:
        """Run checked statements; assignments go into the current names."""
        for statement in body:
            self._charge(1)
            self.statements[type(statement)](statement)

    # Statements ---------------------------------------------------------------------------------

    def _exec_assign(self, node: ast.Assign) -> None:
        value = self._eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _exec_augassign(self, node: ast.AugAssign) -> None:
        target, kind = node.target, type(node.op)
        if isinstance(target, ast.Name):
            # Always a new value: `lijst += [x]` must not change a list the case still holds.
            self.names[target.id] = self._binary(kind, self._eval(target), self._eval(node.value))
            return
        if not isinstance(target, ast.Subscript):  # `x.a += 1`: refused by the checker already
            raise Refusal("een veld veranderen met een punt kan niet. Schrijf x['veld'] = ...")
        container = self._container(target.value)
        key = self._eval(target.slice)
        self._store(container, key, self._binary(kind, container[key], self._eval(node.value)))

    def _exec_expr(self, node: ast.Expr) -> None:
        self._eval(node.value)

    def _exec_if(self, node: ast.If) -> None:
        self.run(node.body if self._eval(node.test) else node.orelse)

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.names[target.id] = value
        elif isinstance(target, ast.Subscript):
            self._store(self._container(target.value), self._eval(target.slice), value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._charge(self._cost(value))
            items = list(value)
            if len(items) != len(target.elts):
                raise Refusal(f"links staan {len(target.elts)} namen, maar rechts staan "
                               f"{len(items)} waarden.")
            for element, item in zip(target.elts, items, strict=True):
                self._assign(element, item)
        else:  # the checker allows no other target
            raise Refusal("links van '=' mag alleen een naam staan, of een naam met [sleutel].")

    def _store(self, container: Any, key: Any, value: Any) -> None:
        self._charge(self._cost(key) + self._cost(value))
        container[key] = value
        self._sizes.clear()  # sizes measured before are stale now
        if type(key) is slice:  # `x[0:0] = x` grows a list in place
            _check_size(self._measure(container, 0))

    def _container(self, node: ast.expr) -> Any:
        container = self._eval(node)
        if type(container) not in (dict, list):
            raise Refusal(f"met [sleutel] = ... kunt u alleen een lijst of een groep velden "
                           f"veranderen, geen {_kind(container)}.")
        return container


def _constant_value(node: ast.Constant) -> Any:
    return node.value


def _mod(left: Any, right: Any) -> Any:
    if type(left) is str:
        raise Refusal(PERCENT_TEXT)
    return left % right


def _method(receiver: Any, name: str) -> Callable[..., Any]:
    allowed = _METHODS.get(type(receiver))
    if allowed is None:
        allowed = next((names for kind, names in _METHODS.items() if isinstance(receiver, kind)),
                       frozenset())
    if name not in allowed:
        raise Refusal(f"de methode '.{name}()' werkt niet op {_kind(receiver)}.")
    bound = getattr(receiver, name)
    if name in ("keys", "values", "items"):
        return lambda: list(bound())  # a list, so the result can be stored in the case
    return bound
