"""Code facts of one block file: what it loads and exports, hard-coded values, logging,
error handling, connections, tests and environment handling.

``code_facts(text, tree, language)`` is called once per block file by ``readers/code.py`` with
the parsed AST for Python (None otherwise) and returns a flat dict stored in the ``facts``
column of ``block_files``. It makes one pass over the AST (:mod:`.walk`), on which each fact
family registers the node types and call names it cares about (:mod:`.family`):

- :mod:`.data_movement`: loads and exports, export modes, unchunked reads, HTTP and other
  external calls, checkpointing, loops;
- :mod:`.connections`: connections opened and closed, pools, driver connections, hard-coded
  hosts, io_config profiles;
- :mod:`.errors`: swallowed exceptions;
- :mod:`.logs`: print calls, logging;
- :mod:`.assertions`: assertions in @test functions, data-quality checks;
- :mod:`.environment`: environment access and branching on the environment;
- :mod:`.literals`: string literals, scanned by :mod:`auditkit.readers.literal_facts`, and
  hard-coded ``datetime(...)`` dates.

A new fact is a key in :func:`empty_facts` plus one small handler in its family. String literals
and SQL go through :mod:`auditkit.readers.literal_facts`; every regex is compiled once at import.

Secret values never enter the result: connection strings are reported as a line and a kind only,
and a date snippet keeps only the identifier and operator in front of the date.
"""
from auditkit.readers.code_facts.facts import code_facts, empty_facts, facts_and_complexity
from auditkit.readers.code_facts.nodes import child_fields

__all__ = ["code_facts", "empty_facts", "facts_and_complexity", "child_fields"]
