"""What a model may write: the allowed syntax, and the reason for everything that is refused."""

from __future__ import annotations

import ast
import operator

from .messages import NO_CODE, NO_FILES, NO_FORMAT, NO_IMPORT, NO_INSIDE

_ARITHMETIC = frozenset({ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow})
_COMPARISONS = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda item, container: item in container,
    ast.NotIn: lambda item, container: item not in container,
}
_EXPRESSION_NODES = frozenset({
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.List, ast.Tuple, ast.Set, ast.Dict,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.Call, ast.keyword, ast.Attribute,
    ast.ListComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.JoinedStr, ast.FormattedValue,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd,
    *_ARITHMETIC, *_COMPARISONS,
})
_SCRIPT_NODES = _EXPRESSION_NODES | {ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.If, ast.Pass}

_LOOPS = (
    "herhalingen (for, while) zijn niet toegestaan. Gebruik een lijst-constructie, "
    "bijvoorbeeld [x for x in lijst]."
)
_REFUSED_NODES: dict[type, str] = {
    ast.Import: NO_IMPORT.format(name="import"),
    ast.ImportFrom: NO_IMPORT.format(name="import"),
    ast.Lambda: "'lambda' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.FunctionDef: "'def' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.AsyncFunctionDef: "'def' is niet toegestaan: modellen mogen geen eigen functies maken.",
    ast.ClassDef: "'class' is niet toegestaan: modellen mogen geen eigen klassen maken.",
    ast.For: _LOOPS, ast.AsyncFor: _LOOPS, ast.While: _LOOPS,
    ast.With: "'with' is niet toegestaan in een script.",
    ast.AsyncWith: "'with' is niet toegestaan in een script.",
    ast.Try: "'try' is niet toegestaan in een script.",
    ast.Raise: "'raise' is niet toegestaan in een script.",
    ast.Assert: "'assert' is niet toegestaan in een script.",
    ast.Delete: "'del' is niet toegestaan in een script.",
    ast.Global: "'global' is niet toegestaan in een script.",
    ast.Nonlocal: "'nonlocal' is niet toegestaan in een script.",
    ast.Return: "'return' is niet toegestaan in een script.",
    ast.Break: "'break' is niet toegestaan in een script.",
    ast.Continue: "'continue' is niet toegestaan in een script.",
    ast.Match: "'match' is niet toegestaan in een script.",
    ast.AnnAssign: "een toewijzing met een type (x: int = ...) is niet toegestaan. Schrijf x = ...",
    ast.NamedExpr: "':=' is niet toegestaan. Gebruik een gewone toewijzing in een script.",
    ast.Await: "'await' is niet toegestaan.",
    ast.Yield: "'yield' is niet toegestaan.",
    ast.YieldFrom: "'yield' is niet toegestaan.",
    ast.Starred: "'*' en '**' om lijsten of velden uit te pakken zijn niet toegestaan.",
    ast.SetComp: "een verzameling-constructie {x for ...} is niet toegestaan. Gebruik set([...]).",
    ast.LShift: "'<<' is niet toegestaan in een expressie.",
    ast.RShift: "'>>' is niet toegestaan in een expressie.",
    ast.BitOr: "'|' is niet toegestaan in een expressie. Gebruik 'or'.",
    ast.BitAnd: "'&' is niet toegestaan in een expressie. Gebruik 'and'.",
    ast.BitXor: "'^' is niet toegestaan in een expressie.",
    ast.MatMult: "'@' is niet toegestaan in een expressie.",
    ast.Invert: "'~' is niet toegestaan in een expressie. Gebruik 'not'.",
    ast.Del: "'del' is niet toegestaan in een script.",
}
# Refused wherever they appear: never a sensible name for a field in a case.
_FORBIDDEN_NAMES: dict[str, str] = {
    "__import__": NO_IMPORT, "__builtins__": NO_IMPORT, "builtins": NO_IMPORT,
    "eval": NO_CODE, "exec": NO_CODE, "compile": NO_CODE, "breakpoint": NO_CODE,
    "open": NO_FILES,
    "getattr": NO_INSIDE, "setattr": NO_INSIDE, "delattr": NO_INSIDE, "hasattr": NO_INSIDE,
    "globals": NO_INSIDE, "locals": NO_INSIDE, "vars": NO_INSIDE, "dir": NO_INSIDE,
    "memoryview": NO_INSIDE, "super": NO_INSIDE, "classmethod": NO_INSIDE,
    "staticmethod": NO_INSIDE, "exit": NO_CODE, "quit": NO_CODE, "help": NO_INSIDE,
}
# Refused as a call with a specific reason; as a plain name they may be a field (`type`, `id`).
_FORBIDDEN_CALLS: dict[str, str] = {
    "type": NO_INSIDE, "isinstance": NO_INSIDE, "issubclass": NO_INSIDE, "object": NO_INSIDE,
    "id": NO_INSIDE, "repr": NO_INSIDE, "format": NO_FORMAT, "print": NO_CODE, "input": NO_CODE,
    "range": "'range' is niet toegestaan: een reeks getallen kan te lang worden. "
    "Werk met de lijsten uit de zaak.",
}
_FORBIDDEN_ATTRIBUTES: dict[str, str] = {
    "format": NO_FORMAT, "format_map": NO_FORMAT, "mro": NO_INSIDE,
    "gi_frame": NO_INSIDE, "gi_code": NO_INSIDE, "cr_frame": NO_INSIDE, "ag_frame": NO_INSIDE,
    "tb_frame": NO_INSIDE, "f_globals": NO_INSIDE, "f_locals": NO_INSIDE, "f_builtins": NO_INSIDE,
    "f_back": NO_INSIDE, "co_code": NO_INSIDE,
}

_CONSTANT_TYPES = (int, float, str, bool, type(None))
