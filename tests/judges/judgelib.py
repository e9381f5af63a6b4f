"""Shared helpers for the Python judges (gitlab_check.py, validate_defs.py).

- load_documents(): every YAML document of a file, as plain Python values,
  with the line and column of each value and mapping key, duplicate keys
  reported, merge keys (<<) applied and GitLab's !reference tags kept as
  Reference objects for the caller to resolve.
- schema_findings(): JSON Schema errors turned into short messages at the
  position of the offending YAML node, one finding per real problem rather
  than one per failed anyOf branch.

Runs on Debian 12's /usr/bin/python3 with python3-yaml and python3-jsonschema
(4.10); no other package.
"""

import re

import yaml

MERGE_TAG = "tag:yaml.org,2002:merge"


class Finding:
    def __init__(self, line, col, message, rule):
        self.line, self.col, self.message, self.rule = line, col, message, rule

    def format(self, filename):
        return f"{filename}:{self.line}:{self.col}: {self.message} [{self.rule}]"


class Reference:
    """A GitLab `!reference [a, b, c]` tag, resolved later by the caller."""

    def __init__(self, path, line, col):
        self.path, self.line, self.col = path, line, col

    def __repr__(self):
        return f"!reference {self.path!r}"


class Document:
    """One YAML document: its value, where each part of it is, and problems."""

    def __init__(self, index, line):
        self.index = index
        self.line = line  # where the document starts
        self.value = None
        self.pos = {}  # path tuple -> (line, col) of the value
        self.keypos = {}  # path tuple -> (line, col) of the mapping key
        self.findings = []

    def where(self, path, key=False):
        """Position of path, or of its nearest ancestor that has one."""
        path = tuple(path)
        if key and path in self.keypos:
            return self.keypos[path]
        while path:
            if path in self.pos:
                return self.pos[path]
            path = path[:-1]
        return self.pos.get((), (self.line, 1))


def _mark(node):
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_documents(text, allow_references=False):
    """Parse every document of text. Returns (documents, findings); a YAML
    syntax error ends the parse with one finding."""
    loader = yaml.SafeLoader(text)
    docs, findings = [], []
    try:
        while loader.check_node():
            node = loader.get_node()
            doc = Document(len(docs), node.start_mark.line + 1 if node else 1)
            doc.value = _convert(loader, node, (), doc, allow_references, 0)
            docs.append(doc)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        msg = f"YAML: {context + ': ' if context else ''}{problem}"
        findings.append(Finding(line, col, msg, "yaml"))
    finally:
        loader.dispose()
    return docs, findings


def _convert(loader, node, path, doc, allow_refs, depth):
    if depth > 100:
        doc.findings.append(Finding(*_mark(node), "YAML nesting deeper than 100 levels", "yaml"))
        return None
    doc.pos[path] = _mark(node)
    if isinstance(node, yaml.SequenceNode):
        if node.tag == "!reference":
            if not allow_refs:
                doc.findings.append(Finding(*_mark(node), "!reference is not allowed here", "yaml"))
                return None
            items = [loader.construct_object(n) if isinstance(n, yaml.ScalarNode) else None
                     for n in node.value]
            if not items or not all(isinstance(i, str) for i in items):
                doc.findings.append(Finding(*_mark(node), "!reference needs a list of names", "yaml"))
                return None
            return Reference(items, *_mark(node))
        return [_convert(loader, n, path + (i,), doc, allow_refs, depth + 1)
                for i, n in enumerate(node.value)]
    if isinstance(node, yaml.MappingNode):
        # << merges first, so that explicit keys (which win) also keep their
        # own positions; among merge sources the earlier one wins.
        sources = []
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources.extend(value_node.value if isinstance(value_node, yaml.SequenceNode)
                               else [value_node])
        base = {}
        for src in sources:
            if not isinstance(src, yaml.MappingNode):
                doc.findings.append(Finding(*_mark(src), "<< must merge a mapping", "yaml"))
                continue
            value = _convert(loader, src, path, doc, allow_refs, depth + 1)
            for k, v in value.items():
                base.setdefault(k, v)
        doc.pos[path] = _mark(node)
        out, explicit = {}, set()
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                doc.findings.append(Finding(*_mark(key_node), "a mapping key must be a scalar", "yaml"))
                continue
            key = loader.construct_object(key_node)
            if isinstance(key, (bool, int, float)) or key is None:
                key = key_node.value  # keep the text: `on:` and `1:` stay keys as written
            if key in explicit:
                doc.findings.append(Finding(*_mark(key_node), f"duplicate key '{key}'", "yaml"))
            explicit.add(key)
            doc.keypos[path + (key,)] = _mark(key_node)
            out[key] = _convert(loader, value_node, path + (key,), doc, allow_refs, depth + 1)
        for k, v in base.items():
            out.setdefault(k, v)
        return out
    if node.tag.startswith("!") and node.tag != "!":
        doc.findings.append(Finding(*_mark(node), f"unknown YAML tag {node.tag}", "yaml"))
        return node.value
    try:
        return loader.construct_object(node)
    except yaml.YAMLError as e:
        doc.findings.append(Finding(*_mark(node), f"YAML: {e}", "yaml"))
        return node.value


# ---------------------------------------------------------------- schemas

_TYPE_NAMES = {dict: "mapping", list: "list", str: "string", bool: "boolean",
               int: "integer", float: "number", type(None): "null"}


def _kind(value):
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _short(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _branch_errors(error):
    """Group an anyOf/oneOf error's sub-errors by the branch they came from."""
    branches = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    return branches


def _type_mismatch(errors):
    return any(e.validator == "type" and len(e.relative_path) == 0 for e in errors)


def _expand(error):
    """The errors worth reporting for one jsonschema error."""
    if error.validator in ("anyOf", "oneOf") and not error.schema.get("errorMessage"):
        branches = _branch_errors(error)
        if error.validator == "oneOf" and not branches:
            return [error]  # matched more than one branch
        fitting = {i: errs for i, errs in branches.items() if not _type_mismatch(errs)}
        if not fitting:
            return [error]  # wrong type for every form: one message
        if len(fitting) > 1 and all(e.validator == "required" and not e.relative_path
                                    for errs in fitting.values() for e in errs):
            return [error]
        # The branch the value most nearly fits: fewest missing keys, then fewest errors.
        best = min(fitting.values(),
                   key=lambda errs: (sum(e.validator == "required" for e in errs), len(errs)))
        out = []
        for sub in best:
            out.extend(_expand(sub))
        return out
    return [error]


def _message(error):
    v, inst, schema = error.validator, error.instance, error.schema
    if schema.get("errorMessage") and v != "type":
        return schema["errorMessage"]
    if v == "type":
        want = error.validator_value
        want = " or ".join(want) if isinstance(want, list) else want
        return f"expected {want}, found {_kind(inst)} {_short(inst)}"
    if v == "required":
        missing = [k for k in error.validator_value if k not in inst]
        return "missing required key " + ", ".join(f"'{k}'" for k in missing)
    if v == "enum":
        return f"{_short(inst)} is not one of: " + ", ".join(str(x) for x in error.validator_value)
    if v == "const":
        return f"{_short(inst)} must be {error.validator_value!r}"
    if v == "pattern":
        return f"{_short(inst)} does not match /{error.validator_value}/"
    if v in ("anyOf", "oneOf"):
        wanted = []
        for sub in error.context:
            if sub.validator == "type" and not sub.relative_path:
                for t in sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]:
                    if t not in wanted:
                        wanted.append(t)
        branches = {sub.relative_schema_path[0] for sub in error.context}
        typed = {sub.relative_schema_path[0] for sub in error.context
                 if sub.validator == "type" and not sub.relative_path}
        if wanted and typed == branches:
            return f"expected {' or '.join(wanted)}, found {_kind(inst)} {_short(inst)}"
        return f"{_kind(inst)} {_short(inst)} does not match any allowed form"
    if v == "propertyNames":
        return f"key {_short(inst)} is not allowed"
    return error.message


def schema_findings(validator, instance, doc, base_path=(), rule="schema"):
    """Findings for every schema error of instance (which sits at base_path
    inside doc). Unknown keys are reported one by one at the key."""
    findings = []
    for error in validator.iter_errors(instance):
        for err in _expand(error):
            path = tuple(base_path) + tuple(err.absolute_path)
            if err.validator == "additionalProperties" and isinstance(err.instance, dict):
                props = err.schema.get("properties", {})
                patterns = err.schema.get("patternProperties", {})
                allowed = sorted(props)
                for key in err.instance:
                    if key in props or any(re.search(p, str(key)) for p in patterns):
                        continue
                    hint = f" (allowed: {', '.join(allowed)})" if allowed and len(allowed) <= 40 else ""
                    line, col = doc.where(path + (key,), key=True)
                    findings.append(Finding(line, col, f"unknown key '{key}'{hint}", rule))
                continue
            if err.validator == "propertyNames":
                line, col = doc.where(path + (err.instance,), key=True)
            else:
                line, col = doc.where(path, key=isinstance(err.instance, dict))
            where = "/".join(str(p) for p in path)
            prefix = f"{where}: " if where else ""
            findings.append(Finding(line, col, prefix + _message(err), rule))
    return findings


def dedupe(findings):
    seen, out = set(), []
    for f in sorted(findings, key=lambda f: (f.line, f.col, f.message)):
        key = (f.line, f.col, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
