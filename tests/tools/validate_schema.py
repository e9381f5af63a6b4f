#!/usr/bin/python3
"""Validate dpc spec files (YAML) against a JSON Schema.

usage: validate_schema.py [--expect-invalid] SCHEMA.json FILE.yaml...

Prints one line per file, "FILE: ok" or "FILE: invalid: <message> at <where>".
Exit status: 0 if every file is valid (with --expect-invalid: if every file
is invalid), 1 otherwise, 2 on a usage error, an unusable schema or a file
that cannot be read ("FILE: error: ...").

Only Debian's python3-yaml and python3-jsonschema are used. The schema's
"$schema" selects the validator class. Relative "$ref"s between schema files
are resolved against the schema file's own location; every *.json file next
to the schema is preloaded, so fragment.schema.json can refer to
pipeline.schema.json#/definitions/... without network access.

YAML is read the way the spec language reads it:
  * duplicate mapping keys are errors;
  * mapping keys must be strings;
  * plain scalars are typed by the YAML 1.2 core schema (as in editors using
    yaml-language-server): only true/false are booleans (not yes/no/on/off),
    no timestamps, no sexagesimal or 0-prefixed octal numbers, and no "<<"
    merge keys;
  * a file must hold exactly one YAML document; an empty file reads as an
    empty mapping (as in the compiler).

"pattern" keywords use ECMA-262 semantics for "$" (end of the string only),
as JSON Schema prescribes; Python's "$" would also match before a final
newline and accept e.g. "name\\n" as an identifier.
"""

import json
import math
import os
import re
import sys
import warnings

import jsonschema
import jsonschema.validators
import yaml
from jsonschema.exceptions import ValidationError, best_match


# ---------------------------------------------------------------- YAML


class SpecLoaderError(yaml.MarkedYAMLError):
    pass


class SpecLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars, rejecting duplicate and
    non-string mapping keys."""

    yaml_implicit_resolvers = {}

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise SpecLoaderError(None, None,
                                  "expected a mapping node, but found %s" % node.id,
                                  node.start_mark)
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise SpecLoaderError(
                    None, None,
                    "mapping key %r is not a string" % (key,), key_node.start_mark)
            if key in seen:
                first = seen[key]
                raise SpecLoaderError(
                    None, None,
                    "duplicate key %r (first defined at line %d, column %d)"
                    % (key, first.line + 1, first.column + 1),
                    key_node.start_mark)
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)

    def construct_core_int(self, node):
        value = self.construct_scalar(node)
        sign = 1
        if value[:1] in "+-":
            if value[0] == "-":
                sign = -1
            value = value[1:]
        if value.startswith("0o"):
            return sign * int(value[2:], 8)
        if value.startswith("0x"):
            return sign * int(value[2:], 16)
        return sign * int(value, 10)

    def construct_core_float(self, node):
        value = self.construct_scalar(node)
        low = value.lower()
        if low in (".nan",):
            return math.nan
        if low.lstrip("+-") == ".inf":
            return -math.inf if low.startswith("-") else math.inf
        return float(value)


_CORE_RESOLVERS = [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$",
     list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
     list("-+0123456789")),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
     r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     list("-+.0123456789")),
]
for _tag, _regexp, _first in _CORE_RESOLVERS:
    SpecLoader.add_implicit_resolver(_tag, re.compile(_regexp), _first)
SpecLoader.add_constructor("tag:yaml.org,2002:int", SpecLoader.construct_core_int)
SpecLoader.add_constructor("tag:yaml.org,2002:float", SpecLoader.construct_core_float)


def load_yaml(path):
    """Load the single YAML document of a file; an empty file (no document
    at all) reads as an empty mapping, as in the compiler."""
    with open(path, "rb") as f:
        loader = SpecLoader(f)
        try:
            node = loader.get_single_node()
            if node is None:
                return {}
            return loader.construct_document(node)
        finally:
            loader.dispose()


def yaml_error_message(exc):
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and getattr(exc, "problem", None):
        problem = "%s, %s" % (context, problem)
    if mark is not None:
        return "%s at line %d, column %d" % (problem, mark.line + 1, mark.column + 1)
    return "%s at (unknown position)" % problem


# ---------------------------------------------------------------- schema


def ecma_pattern_to_python(pattern):
    """Rewrite an ECMA-262 pattern so Python's re gives the same answer:
    '$' outside a character class becomes '\\Z' (end of string only)."""
    out = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            # a ']' right after '[' or '[^' belongs to the class
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                out.append(pattern[i:j + 1])
                i = j + 1
                continue
        elif c == "$":
            out.append(r"\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


_pattern_cache = {}


def ecma_pattern(validator, pattern, instance, schema):
    if not validator.is_type(instance, "string"):
        return
    compiled = _pattern_cache.get(pattern)
    if compiled is None:
        compiled = re.compile(ecma_pattern_to_python(pattern))
        _pattern_cache[pattern] = compiled
    if not compiled.search(instance):
        yield ValidationError("%r does not match %r" % (instance, pattern))


def file_uri(path):
    return "file://" + os.path.abspath(path).replace(os.sep, "/")


def make_validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    if not isinstance(schema, dict) or "$schema" not in schema:
        raise SystemExit("%s: the schema has no \"$schema\"" % schema_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cls = jsonschema.validators.validator_for(schema, default=None)
    if cls is None:
        raise SystemExit("%s: unknown \"$schema\" %r" % (schema_path, schema["$schema"]))
    cls.check_schema(schema)

    store = {}
    directory = os.path.dirname(os.path.abspath(schema_path))
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".json"):
            continue
        other_path = os.path.join(directory, name)
        try:
            with open(other_path, encoding="utf-8") as f:
                other = json.load(f)
        except (OSError, ValueError):
            continue
        store[file_uri(other_path)] = other
        if isinstance(other, dict) and isinstance(other.get("$id"), str):
            store[other["$id"]] = other
    resolver = jsonschema.RefResolver(base_uri=file_uri(schema_path),
                                      referrer=schema, store=store)

    ecma_cls = jsonschema.validators.extend(cls, validators={"pattern": ecma_pattern})
    return ecma_cls(schema, resolver=resolver)


def error_message(error):
    message = error.message
    if error.schema is False and error.path:
        key = error.path[-1]
        message = "key %r is not allowed here" % (key,)
    return "%s at %s" % (message, error.json_path)


# ---------------------------------------------------------------- main


def main(argv):
    args = list(argv[1:])
    expect_invalid = False
    if args and args[0] == "--expect-invalid":
        expect_invalid = True
        args.pop(0)
    if len(args) < 2 or any(a.startswith("--") for a in args):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    schema_path, files = args[0], args[1:]
    try:
        validator = make_validator(schema_path)
    except SystemExit as e:
        sys.stderr.write("%s\n" % e)
        return 2
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        sys.stderr.write("%s: unusable schema: %s\n" % (schema_path, e))
        return 2

    n_valid = 0
    unreadable = 0
    for path in files:
        try:
            doc = load_yaml(path)
        except OSError as e:
            # neither valid nor invalid: a typo in a file name must not pass
            # as "rejected" under --expect-invalid
            print("%s: error: cannot read: %s" % (path, e.strerror or e))
            unreadable += 1
            continue
        except yaml.YAMLError as e:
            print("%s: invalid: %s" % (path, yaml_error_message(e)))
            continue
        error = best_match(validator.iter_errors(doc))
        if error is None:
            print("%s: ok" % path)
            n_valid += 1
        else:
            print("%s: invalid: %s" % (path, error_message(error)))

    if unreadable:
        return 2
    if expect_invalid:
        return 0 if n_valid == 0 else 1
    return 0 if n_valid == len(files) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
