#!/usr/bin/python3
# Validate a generated dbt tree against dbt Labs' published JSON Schemas
# (dbt-labs/dbt-jsonschema: latest and latest_fusion), which a clone does not
# carry. Development use: dbt_official.py SCHEMA_DIR DBT_TREE. The fusion
# profiles schema rejects every document at its top level, so it is skipped.
import sys, json, yaml, glob, os
from jsonschema import Draft7Validator
ref = sys.argv[1]; tree = sys.argv[2]
def load(p): return json.load(open(p))
sets = {'latest': {'project':'latest/dbt_project-latest.json','yml':'latest/dbt_yml_files-latest.json','selectors':'latest/selectors-latest.json','packages':'latest/packages-latest.json'},
        'fusion': {'project':'latest_fusion/dbt_project-latest-fusion.json','yml':'latest_fusion/dbt_yml_files-latest-fusion.json','selectors':'latest_fusion/selectors-latest-fusion.json','packages':'latest_fusion/packages-latest-fusion.json'}}
bad=0
for name, s in sets.items():
    for f in sorted(glob.glob(tree+'/**/*.yml', recursive=True)):
        b=os.path.basename(f)
        kind = 'project' if b=='dbt_project.yml' else 'selectors' if b=='selectors.yml' else 'packages' if b=='packages.yml' else 'profiles' if b=='profiles.yml' else 'yml'
        if kind not in s: continue
        v=Draft7Validator(load(os.path.join(ref,s[kind])), format_checker=None)
        errs=list(v.iter_errors(yaml.safe_load(open(f))))
        print(f"{name} {f}: {'ok' if not errs else 'INVALID'}")
        for e in errs[:3]: print('   ', e.message[:300], list(e.absolute_path)); bad+=1
sys.exit(1 if bad else 0)
