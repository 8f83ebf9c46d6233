"""Report delivery: papermill execution, nbconvert export, index page, trend."""
import sys

# nbformat imports jsonschema, which imports the optional ``rfc3987_syntax`` package when it is
# installed (Jupyter pulls it in) and compiles a grammar for IRI format checks at import time:
# seconds per process. Notebook validation never checks those formats, so the report skips it.
sys.modules.setdefault("rfc3987_syntax", None)
