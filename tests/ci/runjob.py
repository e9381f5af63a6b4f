#!/usr/bin/python3
"""tests/ci/runjob.py [--set NAME=VALUE]... github|gitlab FILE JOB ROOT: run
one job of a generated workflow here, as the runner would run its scripts,
to prove they work. --set overrides a variable of the job (a database the
test started in place of the job's service).
tests/ci/runjob.py --extract OUTDIR github|gitlab FILE writes each script of
FILE to a file of its own in OUTDIR, for shellcheck.

GitHub: each `run:` step in order, with bash -e, in ROOT (or the step's
working-directory), with the job's and the step's env, GITHUB_WORKSPACE,
RUNNER_TEMP and GITHUB_PATH (whose lines go in front of PATH for the steps
after). GitLab: the job's script items as one sh -e script in ROOT, with its
variables and CI_PROJECT_DIR. Steps that install Debian or Ubuntu packages
(apt-get) are skipped: the test machine has what building dpc needs, which
is what they install. Values that are GitHub expressions are not set.
Exits with the first failing step's status.
"""
import os
import subprocess
import sys
import tempfile

import yaml


def literal(env):
    return {k: str(v) for k, v in (env or {}).items() if "${{" not in str(v)}


def github(doc, job, root, override):
    j = doc["jobs"][job]
    tmp = tempfile.mkdtemp(prefix="runner-")
    ghpath = os.path.join(tmp, "github_path")
    open(ghpath, "w").close()
    for step in j["steps"]:
        if "run" not in step or "apt-get" in step["run"]:
            continue
        env = dict(os.environ)
        env.update(literal(doc.get("env")))
        env.update(literal(j.get("env")))
        env.update(literal(step.get("env")))
        env.update(override)
        env.update(GITHUB_WORKSPACE=root, RUNNER_TEMP=tmp, GITHUB_PATH=ghpath)
        extra = [line.strip() for line in open(ghpath) if line.strip()]
        env["PATH"] = os.pathsep.join(list(reversed(extra)) + [env["PATH"]])
        cwd = os.path.join(root, step.get("working-directory", "."))
        print(f"runjob: {step.get('name')}", flush=True)
        rc = subprocess.call(["bash", "-e", "-c", step["run"]], cwd=cwd, env=env)
        if rc:
            return rc
    return 0


def gitlab(doc, job, root, override):
    j = doc[job]
    items = [s for s in j["script"] if "apt-get" not in s]
    env = dict(os.environ)
    env.update(literal(doc.get("variables")))
    env.update(literal(j.get("variables")))
    env.update(override)
    env["CI_PROJECT_DIR"] = root
    return subprocess.call(["sh", "-e", "-c", "\n".join(items)], cwd=root, env=env)


def extract(kind, path, outdir):
    """every script of the file, one file each, with its shell's #! line"""
    with open(path) as f:
        doc = yaml.safe_load(f)
    base = os.path.basename(path).replace(".", "_")
    if kind == "github":
        for name, job in doc["jobs"].items():
            for i, step in enumerate(job["steps"]):
                if "run" in step:
                    with open(os.path.join(outdir, f"{base}-{name}-{i}.sh"), "w") as f:
                        f.write("#!/bin/bash\n" + step["run"])
    else:
        for name, job in doc.items():
            if isinstance(job, dict) and "script" in job:
                with open(os.path.join(outdir, f"{base}-{name}.sh"), "w") as f:
                    f.write("#!/bin/sh\n" + "\n".join(job["script"]) + "\n")
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "--extract":
        return extract(args[2], args[3], args[1])
    override = {}
    while len(args) > 1 and args[0] == "--set" and "=" in args[1]:
        name, value = args[1].split("=", 1)
        override[name] = value
        args = args[2:]
    if len(args) != 4 or args[0] not in ("github", "gitlab"):
        print("usage: runjob.py [--set NAME=VALUE]... github|gitlab FILE JOB ROOT", file=sys.stderr)
        return 2
    with open(args[1]) as f:
        doc = yaml.safe_load(f)
    root = os.path.abspath(args[3])
    return (github if args[0] == "github" else gitlab)(doc, args[2], root, override)


if __name__ == "__main__":
    sys.exit(main())
