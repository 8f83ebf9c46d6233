"""Which expressions of one Python module hold only values the code itself fixes.

The code-risk checks ask "can text from outside reach this ``eval`` / SQL string?". An
expression is *trusted* when every value it can take comes from the module's own code: string
and number constants, names bound only to trusted values (in the function, an enclosing
function or at module level), loop variables over trusted collections, items and string
methods of trusted values (``CONST_MAP[key]``, ``name.split("(")[0]``, ``", ".join(cols)``),
settings read from the deployment's environment (``os.getenv``, ``os.environ[...]``: set by
whoever runs the server, like the code), and parameters of a module function whose every call in
the module passes trusted values (one level of calls is followed per question, three at most).

Everything else is untrusted: parameters of Mage block functions (``@data_loader`` ... receive
run-time variables and upstream data), ``*args``/``**kwargs``, attributes, calls to anything
but the few pure builtins and string methods below, values read from files, databases or the
network. The analysis is flow-insensitive (all bindings of a name count) and errs towards
"untrusted", so a finding is dropped only when the code provably builds the text itself.
"""
from __future__ import annotations

import ast
from typing import Iterator

from auditkit.readers.code_facts.nodes import decorator_names

MAX_CALL_DEPTH = 3
# Mage's block decorators: their functions' parameters are run-time input.
MAGE_DECORATORS = frozenset({"data_loader", "transformer", "data_exporter", "custom", "sensor", "test",
                             "callback", "on_success", "on_failure", "condition", "extension", "collect",
                             "reduce", "preprocess", "postprocess", "scratchpad", "streaming_source",
                             "streaming_sink", "transformer_stream"})
_PURE_BUILTINS = frozenset({"str", "int", "float", "bool", "len", "list", "tuple", "set", "frozenset", "dict",
                            "sorted", "reversed", "range", "enumerate", "zip", "min", "max", "abs", "round",
                            "repr", "format"})
_PURE_METHODS = frozenset({"format", "join", "split", "rsplit", "splitlines", "strip", "lstrip", "rstrip", "lower",
                           "upper", "title", "capitalize", "casefold", "replace", "removeprefix", "removesuffix",
                           "zfill", "ljust", "rjust", "center", "keys", "values", "items", "get", "copy",
                           "partition", "rpartition", "encode", "decode"})
_ENV_CALLS = frozenset({"getenv", "get_env", "env_var"})
# Calls whose result is a number or a bool whatever their input: no text can pass through them.
_NUMBER_BUILTINS = frozenset({"len", "int", "float", "bool", "abs", "round", "hash", "isinstance", "callable"})
_NUMBER_METHODS = frozenset({"count", "index", "find", "rfind", "startswith", "endswith", "isdigit",
                             "isnumeric", "isalpha", "isalnum", "isidentifier"})


def _params(func: ast.AST) -> list[ast.arg]:
    args = func.args
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


class ModuleTrust:
    """Trust questions about the expressions of one parsed module (see the module docstring)."""

    def __init__(self, tree: ast.AST) -> None:
        self.tree = tree
        self.parent: dict[ast.AST, ast.AST] = {}
        self.bindings: dict[tuple[int, str], list[tuple[str, ast.AST | None]]] = {}
        self.functions: dict[str, list[ast.AST]] = {}
        self.calls: dict[str, list[tuple[ast.Call, ast.AST]]] = {}
        self.escaping: set[str] = set()       # module functions used other than by a direct call
        self.scope_of: dict[ast.AST, ast.AST] = {}
        self._index(tree)

    # --- indexing -------------------------------------------------------------------------
    def _index(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, ast.AST]] = [(tree, tree)]
        while stack:
            node, scope = stack.pop()
            self.scope_of[node] = scope
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._bind(scope, node.name, "def", node)
                self.functions.setdefault(node.name, []).append(node)
                for arg in _params(node):
                    self._bind(node, arg.arg, "param", node)
                for arg in (node.args.vararg, node.args.kwarg):
                    if arg is not None:
                        self._bind(node, arg.arg, "untrusted", None)
            elif isinstance(node, ast.Lambda):
                for arg in [*_params(node), node.args.vararg, node.args.kwarg]:
                    if arg is not None:
                        self._bind(node, arg.arg, "untrusted", None)
            else:
                self._bindings_of(node, scope)
            inner = node if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) else scope
            for child in ast.iter_child_nodes(node):
                self.parent[child] = node
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                        child in node.decorator_list or child is node.returns or child in node.args.defaults
                        or child in node.args.kw_defaults):
                    stack.append((child, scope))     # evaluated in the enclosing scope
                else:
                    stack.append((child, inner))

    def _bind(self, scope: ast.AST, name: str, kind: str, node: ast.AST | None) -> None:
        self.bindings.setdefault((id(scope), name), []).append((kind, node))

    def _bindings_of(self, node: ast.AST, scope: ast.AST) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                self._bind_target(target, scope, "value", node.value)
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            self._bind_target(node.target, scope, "value", node.value)
        elif isinstance(node, ast.AugAssign):
            self._bind_target(node.target, scope, "value", node.value)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self._bind_target(node.target, scope, "item", node.iter)
        elif isinstance(node, ast.comprehension):
            self._bind_target(node.target, scope, "item", node.iter)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                if item.optional_vars is not None:
                    self._bind_target(item.optional_vars, scope, "untrusted", None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            self._bind(scope, node.name, "untrusted", None)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                self._bind(scope, (alias.asname or alias.name).split(".")[0], "untrusted", None)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                self._bind(scope, name, "untrusted", None)
        elif isinstance(node, ast.ClassDef):
            self._bind(scope, node.name, "untrusted", None)
        elif isinstance(node, ast.Call):
            self._index_call(node, scope)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            self._note_escape(node)

    def _bind_target(self, target: ast.AST, scope: ast.AST, kind: str, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self._bind(scope, target.id, kind, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:   # unpacking: each part is trusted when the whole is
                self._bind_target(element.value if isinstance(element, ast.Starred) else element, scope,
                                  "item" if kind == "item" else "part", value)

    def _index_call(self, call: ast.Call, scope: ast.AST) -> None:
        if isinstance(call.func, ast.Name):
            self.calls.setdefault(call.func.id, []).append((call, scope))

    def _note_escape(self, name: ast.Name) -> None:
        parent = self.parent.get(name)
        if not (isinstance(parent, ast.Call) and parent.func is name):
            self.escaping.add(name.id)

    # --- questions ------------------------------------------------------------------------
    def function_of(self, node: ast.AST) -> ast.AST:
        """The function (or module) whose code holds ``node``."""
        return self.scope_of.get(node, self.tree)

    def trusted(self, expr: ast.AST, scope: ast.AST | None = None) -> bool:
        """Whether every value ``expr`` (inside ``scope``, default: where it sits) can take is fixed
        by the module's code or the deployment's environment."""
        return _Question(self).expr(expr, scope if scope is not None else self.function_of(expr), 0)

    def enclosing_scopes(self, scope: ast.AST) -> Iterator[ast.AST]:
        current: ast.AST | None = scope
        while current is not None:
            yield current
            if current is self.tree:
                return
            current = self.scope_of.get(current, self.tree)


class _Question:
    """One trust question; remembers the names it is already resolving (cycles count as trusted:
    the other bindings decide)."""

    def __init__(self, trust: ModuleTrust) -> None:
        self.t = trust
        self.resolving: set[tuple[int, str]] = set()

    def expr(self, node: ast.AST, scope: ast.AST, depth: int) -> bool:
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.JoinedStr):
            return all(self.expr(v.value, scope, depth) for v in node.values if isinstance(v, ast.FormattedValue))
        if isinstance(node, ast.FormattedValue):
            return self.expr(node.value, scope, depth)
        if isinstance(node, ast.BinOp):
            return self.expr(node.left, scope, depth) and self.expr(node.right, scope, depth)
        if isinstance(node, ast.UnaryOp):
            return self.expr(node.operand, scope, depth)
        if isinstance(node, ast.BoolOp):
            return all(self.expr(v, scope, depth) for v in node.values)
        if isinstance(node, ast.IfExp):
            return self.expr(node.body, scope, depth) and self.expr(node.orelse, scope, depth)
        if isinstance(node, ast.Compare):
            return True                                  # a bool: no text passes through
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            return all(self.expr(e.value if isinstance(e, ast.Starred) else e, scope, depth) for e in node.elts)
        if isinstance(node, ast.Dict):
            return all(self.expr(k, scope, depth) for k in node.keys if k is not None) and \
                all(self.expr(v, scope, depth) for v in node.values)
        if isinstance(node, ast.Subscript):
            return self._is_environ(node.value) or self.expr(node.value, scope, depth)
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return all(self.expr(g.iter, scope, depth) for g in node.generators) and \
                self.expr(node.elt, scope, depth)
        if isinstance(node, ast.DictComp):
            return all(self.expr(g.iter, scope, depth) for g in node.generators) and \
                self.expr(node.key, scope, depth) and self.expr(node.value, scope, depth)
        if isinstance(node, ast.Call):
            return self._call(node, scope, depth)
        if isinstance(node, ast.Name):
            return self._name(node.id, scope, depth, node)
        return False

    @staticmethod
    def _is_environ(node: ast.AST) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
            (isinstance(node, ast.Name) and node.id == "environ")

    def _call(self, call: ast.Call, scope: ast.AST, depth: int) -> bool:
        func = call.func
        args = [*call.args, *(k.value for k in call.keywords)]
        if isinstance(func, ast.Attribute):
            if func.attr in _ENV_CALLS or (func.attr == "get" and self._is_environ(func.value)):
                return True                             # deployment setting
            if func.attr in _NUMBER_METHODS:
                return True
            if func.attr == "get":                      # MAPPING.get(any key[, default])
                return self.expr(func.value, scope, depth) and all(self.expr(a, scope, depth) for a in args[1:])
            if func.attr in _PURE_METHODS:
                return self.expr(func.value, scope, depth) and all(self.expr(a, scope, depth) for a in args)
            return False
        if isinstance(func, ast.Name):
            if func.id in _ENV_CALLS:
                return True
            if func.id in _NUMBER_BUILTINS and self._name_is_builtin(func.id, scope):
                return True
            if func.id in _PURE_BUILTINS and self._name_is_builtin(func.id, scope):
                return all(self.expr(a, scope, depth) for a in args)
            return self._returns_trusted(func.id, depth)
        return False

    def _name_is_builtin(self, name: str, scope: ast.AST) -> bool:
        return not any((id(s), name) in self.t.bindings for s in self.t.enclosing_scopes(scope))

    def _returns_trusted(self, name: str, depth: int) -> bool:
        defs = self.t.functions.get(name) or []
        if len(defs) != 1 or depth >= MAX_CALL_DEPTH or decorator_names(defs[0]) & MAGE_DECORATORS:
            return False
        func = defs[0]
        returns = [n for n in ast.walk(func) if isinstance(n, ast.Return) and self.t.function_of(n) is func]
        return bool(returns) and all(r.value is None or self.expr(r.value, func, depth + 1) for r in returns)

    def _name(self, name: str, scope: ast.AST, depth: int, use: ast.AST | None = None) -> bool:
        for current in self.t.enclosing_scopes(scope):
            key = (id(current), name)
            if key in self.t.bindings:
                # ``params = eval(f"dict({params})")`` reads the value bound before: the binding
                # whose own right-hand side holds this use does not reach it.
                reaching = [(kind, value) for kind, value in self.t.bindings[key]
                            if kind not in ("value", "part", "item") or use is None or not self._inside(use, value)]
                if not reaching:
                    return False
                if key in self.resolving:
                    return True
                self.resolving.add(key)
                try:
                    return all(self._binding(kind, value, current, name, depth) for kind, value in reaching)
                finally:
                    self.resolving.discard(key)
        return False                                    # builtins, star imports, unknown names

    def _inside(self, node: ast.AST, container: ast.AST) -> bool:
        current: ast.AST | None = node
        while current is not None:
            if current is container:
                return True
            current = self.t.parent.get(current)
        return False

    def _binding(self, kind: str, value: ast.AST | None, scope: ast.AST, name: str, depth: int) -> bool:
        if kind in ("value", "part", "item"):
            return value is not None and self.expr(value, scope, depth)
        if kind == "param":
            return self._param(value, name, depth)
        return False                                    # def, import, with, except, *args, ...

    def _param(self, func: ast.AST, name: str, depth: int) -> bool:
        """A parameter is trusted when the function is a plain module function called only
        directly, at least once, and every call passes a trusted value (or leaves a trusted default)."""
        fname = getattr(func, "name", None)
        if (depth >= MAX_CALL_DEPTH or fname is None or decorator_names(func) & MAGE_DECORATORS
                or fname in self.t.escaping or len(self.t.functions.get(fname) or []) != 1
                or isinstance(self.t.parent.get(func), ast.ClassDef) or not self.t.calls.get(fname)):
            return False
        params = _params(func)
        position = next(i for i, arg in enumerate(params) if arg.arg == name)
        positional = [*func.args.posonlyargs, *func.args.args]
        default = _default_of(func, name)
        for call, call_scope in self.t.calls[fname]:
            if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords):
                return False
            passed = next((k.value for k in call.keywords if k.arg == name), None)
            if passed is None and position < len(positional) and position < len(call.args):
                passed = call.args[position]
            if passed is None:
                passed = default
            if passed is None or not self.expr(passed, call_scope, depth + 1):
                return False
        return True


def _default_of(func: ast.AST, name: str) -> ast.AST | None:
    args = func.args
    positional = [*args.posonlyargs, *args.args]
    offset = len(positional) - len(args.defaults)
    for i, arg in enumerate(positional):
        if arg.arg == name and i >= offset:
            return args.defaults[i - offset]
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        if arg.arg == name:
            return default
    return None
