"""Gate 2's runner: checkov (pinned in requirements.txt) exactly as `.venv/bin/checkov` runs it,
with one change that makes no difference to its results: the JSONPath parser's tables are built
once per process instead of once per expression.

    .venv/bin/python scripts/lint/checkov-driver.py <checkov arguments>

checkov's graph builder parses a JSONPath expression for every attribute it renders
(bc_jsonpath_ng, checkov's fork of jsonpath-ng), and that parser asks PLY to build its LALR tables
on every call (`write_tables=0`; "we regenerate the parse table every time"): measured with
cProfile over berth's 32 templates, 10.9 s of checkov's 19 s went to building the same two tables
212 times. The upstream report: https://github.com/h2non/jsonpath-ng/issues/233. The grammar's
actions (`p_*`) use nothing of the parser instance, so one table-driven parser per grammar and
start symbol parses every expression the same way; it is kept per thread, since a PLY parser
holds its stacks while parsing.
"""
import sys
import threading
import warnings

import ply.yacc

_build = ply.yacc.yacc
_parsers = threading.local()


def _yacc(*args, **kwargs):
    module = kwargs.get("module")
    if not type(module).__module__.startswith("bc_jsonpath_ng"):
        return _build(*args, **kwargs)
    built = _parsers.__dict__.setdefault("built", {})
    key = (type(module), kwargs.get("start"), kwargs.get("tabmodule"), bool(kwargs.get("debug")))
    if key not in built:
        built[key] = _build(*args, **kwargs)
    return built[key]


ply.yacc.yacc = _yacc

from checkov.main import Checkov  # noqa: E402  (after the patch, as .venv/bin/checkov imports it)


def main():
    """checkov over sys.argv, as its console script runs it; the exit code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=SyntaxWarning)
        # The arguments passed, not the default: Checkov's `argv=sys.argv[1:]` is evaluated when
        # checkov is imported, which in the gate server (gate-server.py) is before any run.
        return Checkov(sys.argv[1:]).run()


if __name__ == "__main__":
    sys.exit(main())
