"""The first error in Snakemake's output: what a failed run's reason should say.

Snakemake can fail twice over: 9.27 reports a SyntaxError in an included file, then crashes
formatting it (`KeyError: 1`), so its last error is not the real one. The first error is: a
Snakemake report (`SyntaxError in file "Snakefile", line 4:` and the message on the next line),
or a Python exception line (`SyntaxError: ...`), whose place a syntax error's traceback names
just above it.
"""

import re

ERROR_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*)?(?:Error|Exception)\b")
FRAME = re.compile(r'^\s+File "(?P<file>[^"]+)", line (?P<line>\d+)')
PYTHON_EXCEPTION = re.compile(r"^(?P<type>[A-Za-z_][\w.]*): ")
SYNTAX_ERRORS = ("SyntaxError", "IndentationError", "TabError")
MAX_SUMMARY_CHARS = 1000


def first_error(lines: list[str]) -> str | None:
    """The first error block of Snakemake's output as one line; None if there is none."""
    for index, line in enumerate(lines):
        if ERROR_LINE.match(line):
            return _summary(lines, index)[:MAX_SUMMARY_CHARS]
    return None


def _summary(lines: list[str], index: int) -> str:
    header = lines[index].rstrip()
    exception = PYTHON_EXCEPTION.match(header)
    if exception is not None:
        place = _syntax_error_place(lines, index, exception["type"])
        return f"{header} ({place})" if place else header
    message = next((line.strip() for line in lines[index + 1 : index + 3] if line.strip()), "")
    return f"{header} {message}".strip()


def _syntax_error_place(lines: list[str], index: int, error_type: str) -> str | None:
    """Where a SyntaxError of a Python traceback is: its last frame, a few lines above."""
    if error_type.rsplit(".", 1)[-1] not in SYNTAX_ERRORS:
        return None
    for line in reversed(lines[max(0, index - 8) : index]):
        frame = FRAME.match(line)
        if frame is not None:
            return f'in file "{frame["file"]}", line {frame["line"]}'
    return None
