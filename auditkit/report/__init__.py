"""Report delivery: papermill execution, nbconvert export, index page, trend."""
import sys


def skip_slow_schema_formats() -> None:
    """Keep jsonschema from compiling its IRI grammar; call before nbformat is imported.

    nbformat imports jsonschema, which imports the optional ``rfc3987_syntax`` package when it
    is installed (Jupyter pulls it in) and compiles a grammar for IRI format checks: seconds per
    process. Notebook validation never checks those formats. The CLI calls this before it loads
    the report runner; importing this package changes nothing.
    """
    sys.modules.setdefault("rfc3987_syntax", None)
