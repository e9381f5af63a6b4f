#!/usr/bin/python3
"""gitlab_check.py: check a .gitlab-ci.yml offline.

    gitlab_check.py [--schema PATH] FILE...

For each FILE: parse the YAML (anchors, << merge keys, !reference tags),
validate it against specs/ci/gitlab-ci.schema.json, then check what a JSON
Schema cannot express:

  - every job's stage (default: test) is declared in `stages` (or, with no
    `stages`, is one of GitLab's defaults build/test/deploy); .pre and .post
    are always there;
  - `extends` names existing jobs or templates, without cycles, at most 11
    levels deep; the job that results from merging them is valid against the
    job schema and has script, trigger or run;
  - `needs` and `dependencies` name visible jobs of the file (not hidden
    `.templates`, not themselves), in the same or an earlier stage for needs,
    an earlier stage for dependencies (unless also needed); `needs` have no
    cycles;
  - the file defines at least one visible job.

Each finding prints as FILE:LINE:COL: MESSAGE [RULE]. Exit 0 when every file
is clean, 1 when there is a finding, 2 on a usage error (bad arguments, an
unreadable file or schema).

Needs Debian's python3-yaml and python3-jsonschema (Draft 2020-12 support,
4.x); runs offline. `include:` is not followed: included files are not read.
"""

import copy
import json
import os
import sys

import jsonschema

sys.dont_write_bytecode = True  # leave no __pycache__/ in the tree for judgelib
import judgelib  # noqa: E402
from judgelib import Finding, Reference

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.normpath(os.path.join(HERE, "..", "..", "specs", "ci", "gitlab-ci.schema.json"))

GLOBAL_KEYWORDS = {"stages", "variables", "default", "workflow", "include",
                   "image", "services", "cache", "before_script", "after_script"}
RESERVED = GLOBAL_KEYWORDS | {"spec", "types", "pages:deploy"}
DEFAULT_STAGES = ["build", "test", "deploy"]
FLATTEN_KEYS = ("script", "before_script", "after_script", "rules")
MAX_EXTENDS_DEPTH = 11


def usage(msg=None):
    if msg:
        print(f"gitlab_check.py: {msg}", file=sys.stderr)
    print("usage: gitlab_check.py [--schema PATH] FILE...", file=sys.stderr)
    sys.exit(2)


# ------------------------------------------------------------ !reference

def resolve_references(value, root, doc, depth=0):
    """Replace !reference tags with (copies of) what they point at."""
    if isinstance(value, Reference):
        if depth > 10:
            doc.findings.append(Finding(value.line, value.col, "!reference nested more than 10 levels", "reference"))
            return None
        target = root
        for i, name in enumerate(value.path):
            if not isinstance(target, dict) or name not in target:
                shown = ", ".join(value.path[: i + 1])
                doc.findings.append(Finding(value.line, value.col,
                                            f"!reference [{shown}] does not exist", "reference"))
                return None
            target = target[name]
        return resolve_references(copy.deepcopy(target), root, doc, depth + 1)
    if isinstance(value, dict):
        return {k: resolve_references(v, root, doc, depth) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_references(v, root, doc, depth) for v in value]
    return value


def flatten(items, depth=0):
    """GitLab flattens nested lists (from !reference) in scripts and rules."""
    out = []
    for item in items:
        if isinstance(item, list) and depth < 10:
            out.extend(flatten(item, depth + 1))
        else:
            out.append(item)
    return out


def normalize_job(job):
    if not isinstance(job, dict):
        return job
    for key in FLATTEN_KEYS:
        if isinstance(job.get(key), list):
            job[key] = flatten(job[key])
    hooks = job.get("hooks")
    if isinstance(hooks, dict) and isinstance(hooks.get("pre_get_sources_script"), list):
        hooks["pre_get_sources_script"] = flatten(hooks["pre_get_sources_script"])
    return job


# --------------------------------------------------------------- extends

def deep_merge(base, override):
    """GitLab's extends merge: mappings merge key by key, anything else is
    replaced by the extending job's value."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class Checker:
    def __init__(self, schema, filename):
        self.schema = schema
        self.validator = jsonschema.Draft202012Validator(schema)
        job_schema = {"$schema": schema.get("$schema"), "$defs": schema["$defs"], "$ref": "#/$defs/job"}
        self.job_validator = jsonschema.Draft202012Validator(job_schema)
        self.filename = filename
        self.findings = []
        self.raw_schema = set()

    def add(self, doc, path, message, rule, key=False):
        line, col = doc.where(path, key=key)
        self.findings.append(Finding(line, col, message, rule))

    def check_text(self, text):
        docs, errors = judgelib.load_documents(text, allow_references=True)
        self.findings.extend(errors)
        if errors:
            return
        for d in docs:
            self.findings.extend(d.findings)
        if not docs:
            self.findings.append(Finding(1, 1, "empty file: no pipeline configuration", "structure"))
            return
        if len(docs) == 2 and isinstance(docs[0].value, dict) and set(docs[0].value) == {"spec"}:
            self.check_header(docs[0])
            docs = docs[1:]
        elif len(docs) > 1:
            extra = docs[1]
            self.findings.append(Finding(extra.line, 1,
                                         "more than one YAML document: only a `spec:` header may come before the configuration",
                                         "structure"))
            return
        self.check_config(docs[0])

    def check_header(self, doc):
        spec = doc.value["spec"]
        if not isinstance(spec, dict) or set(spec) - {"inputs"}:
            self.add(doc, ("spec",), "spec: header allows only `inputs`", "structure")

    def check_config(self, doc):
        root = doc.value
        if not isinstance(root, dict):
            self.add(doc, (), f"the configuration must be a mapping, found {type(root).__name__}", "structure")
            return
        root = resolve_references(root, root, doc)
        self.findings.extend(f for f in doc.findings if f.rule == "reference")
        doc.findings = [f for f in doc.findings if f.rule != "reference"]
        for key, value in root.items():
            if key not in GLOBAL_KEYWORDS:
                normalize_job(value)
        if isinstance(root.get("default"), dict):
            normalize_job(root["default"])
        if isinstance(root.get("stages"), list):
            root["stages"] = flatten(root["stages"])
        if isinstance(root.get("workflow"), dict) and isinstance(root["workflow"].get("rules"), list):
            root["workflow"]["rules"] = flatten(root["workflow"]["rules"])

        for key in ("spec", "types"):
            if key in root:
                msg = ("`spec:` must be in a header document ended by `---`" if key == "spec"
                       else "`types:` was removed; use `stages:`")
                self.add(doc, (key,), msg, "structure", key=True)
        schema_root = {k: v for k, v in root.items() if k not in ("spec", "types")}
        broken_refs = {(f.line, f.col) for f in self.findings if f.rule == "reference"}
        raw = [f for f in judgelib.schema_findings(self.validator, schema_root, doc)
               if (f.line, f.col) not in broken_refs]  # no second message for a broken !reference
        self.raw_schema = {(f.line, f.col, f.message) for f in raw}
        self.findings.extend(raw)

        jobs = {k: v for k, v in root.items() if k not in RESERVED and not str(k).startswith(".")}
        templates = {k: v for k, v in root.items() if str(k).startswith(".")}
        if not jobs:
            self.add(doc, (), "no visible job: a pipeline needs at least one job whose name does not start with '.'",
                     "structure")

        stages = root.get("stages") if isinstance(root.get("stages"), list) else DEFAULT_STAGES
        stages = [s for s in stages if isinstance(s, str)]
        order = [".pre"] + [s for s in stages if s not in (".pre", ".post")] + [".post"]
        rank = {s: i for i, s in enumerate(order)}

        effective = {}
        for name, job in jobs.items():
            if isinstance(job, dict):
                effective[name] = self.resolve_extends(doc, root, name, job)

        job_stage = {}
        for name, job in effective.items():
            stage = job.get("stage", "test")
            if not isinstance(stage, str):
                continue
            job_stage[name] = stage
            if stage not in rank:
                declared = ", ".join(order)
                self.add(doc, (name, "stage") if "stage" in jobs[name] else (name,),
                         f"job '{name}': stage '{stage}' is not declared in stages ({declared})", "stage")

        for name, job in effective.items():
            self.check_needs(doc, name, job, jobs, templates, job_stage, rank)
        self.check_needs_cycles(doc, effective)

    def resolve_extends(self, doc, root, name, job):
        """The job after merging everything it extends (depth first, in order)."""
        def merged(n, cfg, chain):
            parents = as_list(cfg.get("extends"))
            result = {}
            for parent in parents:
                if not isinstance(parent, str):
                    continue
                if parent in chain:
                    cycle = " -> ".join(chain + [parent])
                    self.add(doc, (name, "extends"), f"job '{name}': extends cycle {cycle}", "extends")
                    continue
                if len(chain) >= MAX_EXTENDS_DEPTH:
                    self.add(doc, (name, "extends"),
                             f"job '{name}': extends nests more than {MAX_EXTENDS_DEPTH} levels", "extends")
                    continue
                target = root.get(parent)
                if parent in GLOBAL_KEYWORDS or not isinstance(target, dict):
                    self.add(doc, (n, "extends") if n in root else (name, "extends"),
                             f"job '{n}': extends '{parent}', which is not a job or template of this file",
                             "extends")
                    continue
                result = deep_merge(result, merged(parent, target, chain + [parent]))
            own = {k: v for k, v in cfg.items() if k != "extends"}
            return deep_merge(result, own)

        if "extends" not in job:
            return job
        result = merged(name, job, [name])
        normalize_job(result)
        for f in judgelib.schema_findings(self.job_validator, result, doc, base_path=(name,), rule="extends"):
            # Report what the merge adds: problems already reported on the job itself are skipped.
            if (f.line, f.col, f.message) in self.raw_schema:
                continue
            message = f.message[len(name) + 2:] if f.message.startswith(f"{name}: ") else f.message
            f.message = f"job '{name}' (with what it extends): {message}"
            self.findings.append(f)
        return result

    def check_needs(self, doc, name, job, jobs, templates, job_stage, rank):
        my_rank = rank.get(job_stage.get(name))
        needed = set()
        for i, item in enumerate(as_list(job.get("needs"))):
            if isinstance(item, str):
                target = item
            elif isinstance(item, dict) and "job" in item and not ({"project", "pipeline"} & set(item)):
                target = item["job"]
                if item.get("optional"):
                    needed.add(target)
                    if target not in jobs:
                        continue  # an optional need may be absent
            else:
                continue
            if not isinstance(target, str):
                continue
            needed.add(target)
            path = (name, "needs", i)
            if target == name:
                self.add(doc, path, f"job '{name}' needs itself", "needs")
            elif target in templates:
                self.add(doc, path, f"job '{name}' needs '{target}', a hidden template, not a job", "needs")
            elif target not in jobs:
                self.add(doc, path, f"job '{name}' needs '{target}', which is not a job of this file", "needs")
            elif my_rank is not None and rank.get(job_stage.get(target), -1) > my_rank:
                self.add(doc, path, f"job '{name}' needs '{target}', which runs in a later stage "
                                    f"('{job_stage.get(target)}' after '{job_stage.get(name)}')", "needs")
        for i, target in enumerate(as_list(job.get("dependencies"))):
            if not isinstance(target, str):
                continue
            path = (name, "dependencies", i)
            if target in templates:
                self.add(doc, path, f"job '{name}' depends on '{target}', a hidden template, not a job",
                         "dependencies")
            elif target not in jobs or target == name:
                self.add(doc, path, f"job '{name}' depends on '{target}', which is not another job of this file",
                         "dependencies")
            elif target not in needed and my_rank is not None and rank.get(job_stage.get(target), -1) >= my_rank:
                self.add(doc, path, f"job '{name}' depends on '{target}', which is not in an earlier stage "
                                    "(nor in its needs)", "dependencies")

    def check_needs_cycles(self, doc, effective):
        graph = {}
        for name, job in effective.items():
            graph[name] = [n if isinstance(n, str) else n.get("job") for n in as_list(job.get("needs"))
                           if isinstance(n, str) or (isinstance(n, dict) and not ({"project", "pipeline"} & set(n)))]
        state = {}

        def visit(n, stack):
            state[n] = 1
            for m in graph.get(n, []):
                if m not in graph:
                    continue
                if state.get(m) == 1:
                    cycle = stack[stack.index(m):] + [m]
                    self.add(doc, (n, "needs"), "needs cycle: " + " -> ".join(cycle), "needs")
                elif m not in state:
                    visit(m, stack + [m])
            state[n] = 2

        for n in graph:
            if n not in state:
                visit(n, [n])


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
    texts = []
    for name in args:
        try:
            with open(name, encoding="utf-8") as f:
                texts.append((name, f.read()))
        except (OSError, UnicodeDecodeError) as e:
            usage(f"cannot read {name}: {e}")
    total = 0
    for name, text in texts:
        checker = Checker(schema, name)
        checker.check_text(text)
        for finding in judgelib.dedupe(checker.findings):
            print(finding.format(name))
            total += 1
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
