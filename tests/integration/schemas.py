"""The JSON contract: every JSON document ocsp-lint prints in the suite is validated
against docs/schema/*.json (python3-jsonschema, Debian's; tools/deps.sh test installs it).

  ocsp-lint --vhosts --format json ...   docs/schema/ocsp-lint-vhosts.schema.json
  ocsp-lint --format json ...            docs/schema/ocsp-lint.schema.json
  ocsp-lint probe --format json ...      docs/schema/ocsp-lint-probe.schema.json
  the status page's ?json                docs/schema/ocsp-status.schema.json

check(args, stdout) is called by every helper that runs ocsp-lint (httpd.run_lint,
live_helpers._run_lint, test_bad_input.lint, test_ci.lint, tests/rules/run.py), and
validate(name, doc) by status_helpers.get_json. Output that is not JSON, or other formats,
are not its business.
"""

import functools
import json
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "docs" / "schema"


class SchemaError(AssertionError):
    pass


@functools.lru_cache(maxsize=None)
def validator(name):
    try:
        import jsonschema
    except ImportError as e:   # a failure, not a skip: the contract must be checked
        raise SchemaError("python3-jsonschema is not installed (tools/deps.sh test)") from e
    schema = json.loads((SCHEMA_DIR / name).read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_for(args):
    """The schema name for an ocsp-lint command line, or None when it prints no JSON."""
    args = [str(a) for a in args]
    fmt = None
    for i, a in enumerate(args):
        if a in ("--format", "-F") and i + 1 < len(args):
            fmt = args[i + 1]
        elif a.startswith("--format="):
            fmt = a.split("=", 1)[1]
    if fmt != "json":
        return None
    if args and args[0] == "probe":
        return "ocsp-lint-probe.schema.json"
    if "--vhosts" in args:
        return "ocsp-lint-vhosts.schema.json"
    return "ocsp-lint.schema.json"


def validate(name, doc):
    """Validate a parsed document against docs/schema/NAME; raises SchemaError."""
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise SchemaError(f"the document does not match docs/schema/{name}:\n" + "\n".join(
            f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors[:20]))
    return doc


def check(args, stdout):
    """Validate stdout of `ocsp-lint ARGS` when it is a JSON document; raises SchemaError."""
    name = schema_for(args)
    if not name or not stdout.strip():
        return None
    try:
        doc = json.loads(stdout)
    except ValueError:
        return None   # the callers assert on what they expect; not JSON is theirs to judge
    errors = sorted(validator(name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise SchemaError(f"ocsp-lint {' '.join(map(str, args))}: output does not match "
                          f"docs/schema/{name}:\n" + "\n".join(
                              f"  at /{'/'.join(map(str, e.absolute_path))}: {e.message}"
                              for e in errors[:20]))
    return doc
