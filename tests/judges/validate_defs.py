#!/usr/bin/python3
"""validate_defs.py: check Dagster defs.yaml component files offline.

    validate_defs.py [--schema PATH] FILE...

A defs.yaml holds one or more YAML documents separated by `---`; Dagster
(1.12) loads each document as one component instance and needs at least one.
Every document is validated against specs/dagster/defs.schema.json, which
follows Dagster's own models (ComponentFileModel, and the attributes of
dagster_dbt.DbtProjectComponent and dagster.DefsFolderComponent). Strings are
also checked for unbalanced `{{ }}` template delimiters.

Each finding prints as FILE:LINE:COL: MESSAGE [RULE]. Exit 0 when every file
is clean, 1 when there is a finding, 2 on a usage error (bad arguments, an
unreadable file or schema).

Needs Debian's python3-yaml and python3-jsonschema; dagster itself is not
needed (nor installable here): this checks structure and types, not whether a
component's project path exists or a template renders.
"""

import json
import os
import sys

import jsonschema

sys.dont_write_bytecode = True  # leave no __pycache__/ in the tree for judgelib
import judgelib  # noqa: E402
from judgelib import Finding

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.normpath(os.path.join(HERE, "..", "..", "specs", "dagster", "defs.schema.json"))


def usage(msg=None):
    if msg:
        print(f"validate_defs.py: {msg}", file=sys.stderr)
    print("usage: validate_defs.py [--schema PATH] FILE...", file=sys.stderr)
    sys.exit(2)


def template_findings(value, doc, path=()):
    """Strings whose {{ and }} do not pair up would fail Jinja rendering."""
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(template_findings(v, doc, path + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(template_findings(v, doc, path + (i,)))
    elif isinstance(value, str) and ("{{" in value or "}}" in value):
        depth, ok = 0, True
        i = 0
        while i < len(value) - 1:
            pair = value[i:i + 2]
            if pair == "{{":
                depth += 1
                i += 2
            elif pair == "}}":
                depth -= 1
                ok = ok and depth >= 0
                i += 2
            else:
                i += 1
        if depth != 0 or not ok:
            line, col = doc.where(path)
            where = "/".join(str(p) for p in path)
            out.append(Finding(line, col, f"{where}: unbalanced {{{{ }}}} in template {value!r}", "template"))
    return out


def check_text(text, validator):
    docs, findings = judgelib.load_documents(text)
    if findings:
        return findings
    if not docs:
        return [Finding(1, 1, "no YAML document: a defs.yaml needs at least one component", "structure")]
    many = len(docs) > 1
    for doc in docs:
        findings.extend(doc.findings)
        label = f"document {doc.index + 1}: " if many else ""
        if doc.value is None:
            findings.append(Finding(doc.line, 1, f"{label}empty YAML document (a stray `---`?)", "structure"))
            continue
        found = judgelib.schema_findings(validator, doc.value, doc)
        if isinstance(doc.value, dict):
            found.extend(template_findings(doc.value, doc))
        for f in found:
            f.message = label + f.message
        findings.extend(found)
    return findings


def main(argv):
    args = list(argv)
    schema_path = DEFAULT_SCHEMA
    if "-h" in args or "--help" in args:
        usage()
    if "--schema" in args:
        i = args.index("--schema")
        if i + 1 >= len(args):
            usage("--schema needs a path")
        schema_path = args[i + 1]
        del args[i:i + 2]
    if any(a.startswith("--") for a in args):
        usage(f"unknown option {[a for a in args if a.startswith('--')][0]}")
    if not args:
        usage("no files given")
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        usage(f"cannot use schema {schema_path}: {e}")
    validator = jsonschema.Draft202012Validator(schema)
    texts = []
    for name in args:
        try:
            with open(name, encoding="utf-8") as f:
                texts.append((name, f.read()))
        except (OSError, UnicodeDecodeError) as e:
            usage(f"cannot read {name}: {e}")
    total = 0
    for name, text in texts:
        for finding in judgelib.dedupe(check_text(text, validator)):
            print(finding.format(name))
            total += 1
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
