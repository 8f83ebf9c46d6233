"""Fact families: the handlers each group of facts registers on the one shared AST walk.

A family is a :class:`Family` object filled with decorators::

    LOGS = Family("logging")

    @LOGS.on_call("print")
    def _print(state, call, name, root, where):
        if not root:
            state.facts["print_calls"].append(call.lineno)

- ``on_node(*kinds, when=cue)``: ``handler(state, node, where)`` for every node of those AST
  classes; with ``when``, only in files whose lower-cased text passes ``cue(text)`` (a cheap
  word test that skips the handler where it can never fire);
- ``on_call(*names)``: ``handler(state, call, name, root, where)`` for calls whose last name is
  one of ``names`` (``read_csv`` for ``pd.read_csv(...)``, root ``pd``). The walk looks the
  name up once per call, so most calls (those no family cares about) cost one dict lookup;
- ``on_keyword(*names)``: ``handler(state, call, keyword, where)`` for any call given one of
  those keyword arguments;
- ``on_call_in_assert``: ``handler(state, call, name, root, where)`` for every call inside an
  ``assert``;
- ``on_start`` / ``on_finish``: ``handler(state)`` before and after the walk of a file (set up
  the family's scratch on ``state``; turn it into facts).

``where`` tells where a node is (:class:`Where`); ``state.facts`` is the dict being filled.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple

from auditkit.readers.code_facts.nodes import call_name


class Where(NamedTuple):
    """Where a node sits; one shared instance per combination (see :data:`WHERE`)."""

    in_test: bool     # inside a function decorated with @test
    at_module: bool   # outside every def and class
    in_assert: bool   # inside an assert statement


WHERE = {(t, m, a): Where(t, m, a) for t in (False, True) for m in (False, True) for a in (False, True)}


class FileState:
    """The walk of one file: the facts being filled, its lower-cased text (for cues) and the
    scratch each family's start hook puts on it."""

    def __init__(self, facts: dict[str, Any], text: str) -> None:
        self.facts = facts
        self.lower = text.lower()


TextCue = Callable[[str], bool]
NodeHandler = Callable[[FileState, Any, Where], None]
CallHandler = Callable[[FileState, ast.Call, str, str, Where], None]
KeywordHandler = Callable[[FileState, ast.Call, ast.keyword, Where], None]
Hook = Callable[[FileState], None]


def _names(names: tuple[str | Iterable[str], ...]) -> frozenset[str]:
    out: set[str] = set()
    for item in names:
        out.update((item,) if isinstance(item, str) else item)
    return frozenset(out)


class Family:
    """The handlers of one group of facts (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.node_handlers: list[tuple[type, NodeHandler, TextCue | None]] = []
        self.call_handlers: list[tuple[frozenset[str], CallHandler]] = []
        self.keyword_handlers: list[tuple[frozenset[str], KeywordHandler]] = []
        self.assert_call_handlers: list[CallHandler] = []
        self.starts: list[Hook] = []
        self.finishes: list[Hook] = []

    def on_node(self, *kinds: type, when: TextCue | None = None) -> Callable[[NodeHandler], NodeHandler]:
        def register(handler: NodeHandler) -> NodeHandler:
            self.node_handlers.extend((kind, handler, when) for kind in kinds)
            return handler
        return register

    def on_call(self, *names: str | Iterable[str]) -> Callable[[CallHandler], CallHandler]:
        def register(handler: CallHandler) -> CallHandler:
            self.call_handlers.append((_names(names), handler))
            return handler
        return register

    def on_keyword(self, *names: str | Iterable[str]) -> Callable[[KeywordHandler], KeywordHandler]:
        def register(handler: KeywordHandler) -> KeywordHandler:
            self.keyword_handlers.append((_names(names), handler))
            return handler
        return register

    def on_call_in_assert(self, handler: CallHandler) -> CallHandler:
        self.assert_call_handlers.append(handler)
        return handler

    def on_start(self, hook: Hook) -> Hook:
        self.starts.append(hook)
        return hook

    def on_finish(self, hook: Hook) -> Hook:
        self.finishes.append(hook)
        return hook


@dataclass(frozen=True)
class Dispatch:
    """Handlers by AST class for one file (calls go through one dispatcher), plus the hooks."""

    nodes: dict[type, tuple[NodeHandler, ...]]
    starts: tuple[Hook, ...]
    finishes: tuple[Hook, ...]


class Dispatcher:
    """Builds and keeps one :class:`Dispatch` per combination of open text cues."""

    def __init__(self, families: Iterable[Family]) -> None:
        self.families = tuple(families)
        cues = [cue for f in self.families for _kind, _handler, cue in f.node_handlers if cue is not None]
        self.cues = tuple(dict.fromkeys(cues))
        self._built: dict[tuple[bool, ...], Dispatch] = {}

    def for_text(self, lower: str) -> Dispatch:
        """The handlers for a file whose lower-cased text is ``lower``."""
        key = tuple(cue(lower) for cue in self.cues)
        dispatch = self._built.get(key)
        if dispatch is None:
            dispatch = self._built[key] = self.build({cue for cue, on in zip(self.cues, key) if on})
        return dispatch

    def build(self, open_cues: set[TextCue]) -> Dispatch:
        nodes: dict[type, list[NodeHandler]] = {}
        for family in self.families:
            for kind, handler, cue in family.node_handlers:
                if cue is None or cue in open_cues:
                    nodes.setdefault(kind, []).append(handler)
        call_dispatch = self.call_dispatcher()
        if call_dispatch is not None:
            nodes.setdefault(ast.Call, []).insert(0, call_dispatch)
        return Dispatch({kind: tuple(handlers) for kind, handlers in nodes.items()},
                        tuple(h for f in self.families for h in f.starts),
                        tuple(h for f in self.families for h in f.finishes))

    def call_tables(self) -> tuple[dict[str, tuple[CallHandler, ...]], dict[str, tuple[KeywordHandler, ...]],
                                   tuple[CallHandler, ...]]:
        """(handlers by call name, handlers by keyword name, handlers of calls in an assert)."""
        calls: dict[str, list[CallHandler]] = {}
        keywords: dict[str, list[KeywordHandler]] = {}
        for family in self.families:
            for names, handler in family.call_handlers:
                for name in names:
                    calls.setdefault(name, []).append(handler)
            for names, keyword_handler in family.keyword_handlers:
                for name in names:
                    keywords.setdefault(name, []).append(keyword_handler)
        in_assert = tuple(h for f in self.families for h in f.assert_call_handlers)
        return ({k: tuple(v) for k, v in calls.items()}, {k: tuple(v) for k, v in keywords.items()}, in_assert)

    def call_dispatcher(self) -> NodeHandler | None:
        """One node handler for ``ast.Call``: the call's name is worked out once, and only the
        handlers registered for that name (or for one of its keywords) run."""
        calls, keywords, in_assert = self.call_tables()
        if not (calls or keywords or in_assert):
            return None
        calls_get, keywords_get = calls.get, keywords.get

        def on_call(state: FileState, call: ast.Call, where: Where) -> None:
            name, root = call_name(call)
            handlers = calls_get(name)
            if handlers is not None:
                for handler in handlers:
                    handler(state, call, name, root, where)
            for keyword in call.keywords:
                keyword_handlers = keywords_get(keyword.arg)
                if keyword_handlers is not None:
                    for keyword_handler in keyword_handlers:
                        keyword_handler(state, call, keyword, where)
            if where.in_assert:
                for handler in in_assert:
                    handler(state, call, name, root, where)
        return on_call
