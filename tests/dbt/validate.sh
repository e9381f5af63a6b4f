#!/bin/sh
# tests/dbt/validate.sh DPC_BINARY: the dbt files dpc writes are valid dbt.
#
# Builds examples/bikeshare and every tests/spec/valid/*.yaml spec, each in
# its own scratch copy, and validates every YAML file the build emits
# (dbt_project.yml, profiles.yml, packages.yml, selectors.yml, _models.yml,
# _sources.yml, _seeds.yml) against our JSON Schemas in specs/dbt/ with
# tests/tools/validate_schema.py. A .yml file without a schema fails, so a
# new kind of emitted file needs a schema before it can land.
#
# Then the negative checks: hand-written wrong dbt files (a literal password,
# a test argument dbt does not know, the pre-1.10 test form, ...) must be
# rejected, which proves the schemas can fail; each sits next to a
# hand-written correct control that must be accepted, so a rejection comes
# from the one mistake and not from something else in the file.
#
# Prints failures as they happen, then "dbt-schemas: N passed, M failed";
# exits 1 if anything failed, 2 on a usage error. VERBOSE=1 also lists the
# checks that pass.
set -eu

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"
validate=$top/tests/tools/validate_schema.py
schemas=$top/specs/dbt
scratch dbt-schemas
bad_lines=20

# the schema of an emitted file, by its name; empty if there is none
schema_of() {
	case ${1##*/} in
	dbt_project.yml) echo dbt_project ;;
	profiles.yml) echo profiles ;;
	packages.yml) echo packages ;;
	selectors.yml) echo selectors ;;
	_models.yml | _sources.yml | _seeds.yml) echo properties ;;
	*) echo ;;
	esac
}

# build LABEL DIR [SPEC]: run dpc build in DIR (a scratch copy), then
# validate each .yml file the build added
build() {
	label=$1 dir=$2
	shift 2
	# the CI back end's workflows are tests/ci's to judge
	find "$dir" -name '*.yml' ! -path '*/.github/*' ! -name .gitlab-ci.yml | sort >"$tmp/before"
	if ! (cd "$dir" && "$dpc" build "$@") >"$tmp/build.log" 2>&1; then
		bad "$label: dpc build ${*:-}" "$(cat "$tmp/build.log")"
		return 0
	fi
	find "$dir" -name '*.yml' ! -path '*/.github/*' ! -name .gitlab-ci.yml | sort >"$tmp/after"
	comm -13 "$tmp/before" "$tmp/after" >"$tmp/new"
	# the files every build writes
	for must in dbt_project.yml profiles.yml selectors.yml; do
		if grep -q "/$must\$" "$tmp/new"; then ok "$label: wrote $must"; else
			bad "$label: wrote no $must" "$(cat "$tmp/build.log")"
		fi
	done
	while IFS= read -r f; do
		rel=${f#"$dir"/}
		s=$(schema_of "$f")
		if [ -z "$s" ]; then
			bad "$label: $rel" "no schema in specs/dbt/ for this file"
			continue
		fi
		if out=$("$py" "$validate" "$schemas/$s.schema.json" "$f" 2>&1); then
			ok "$label: $rel ($s)"
		else
			bad "$label: $rel ($s)" "$out"
		fi
	done <"$tmp/new"
}

# 1. what dpc writes
cp -R "$top/examples/bikeshare" "$tmp/bikeshare"
rm -rf "$tmp/bikeshare/data" "$tmp/bikeshare/.dpc" # the committed golden tree
build bikeshare "$tmp/bikeshare"

for spec in "$top"/tests/spec/valid/*.yaml; do
	n=$(basename "$spec" .yaml)
	rm -rf "$tmp/spec"
	cp -R "$top/tests/spec/valid" "$tmp/spec"
	build "spec/valid/$n" "$tmp/spec" --spec "$n.yaml"
done
rm -rf "$tmp/spec" "$tmp/bikeshare"

# 2. the schemas can fail. good NAME SCHEMA / wrong NAME SCHEMA read a file
# from standard input; a wrong file must be rejected as invalid (not as
# unreadable), a good one accepted.
mkdir "$tmp/hand"
good() {
	cat >"$tmp/hand/$1.yml"
	if out=$("$py" "$validate" "$schemas/$2.schema.json" "$tmp/hand/$1.yml" 2>&1); then
		ok "good/$1 accepted ($2)"
	else
		bad "good/$1 rejected by $2.schema.json" "$out"
	fi
}
wrong() {
	cat >"$tmp/hand/$1.yml"
	if out=$("$py" "$validate" --expect-invalid "$schemas/$2.schema.json" "$tmp/hand/$1.yml" 2>&1) &&
		printf '%s\n' "$out" | grep -q ': invalid: '; then
		ok "wrong/$1 rejected ($2)"
	else
		bad "wrong/$1 not rejected by $2.schema.json" "$out"
	fi
}

# profiles.yml
good postgres profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: postgres
      threads: 4
      host: "{{ env_var('PGHOST') }}"
      port: "{{ env_var('PGPORT', '5432') | as_number }}"
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD') }}"
      dbname: shop
      schema: analytics
EOF
wrong postgres_literal_password profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: postgres
      threads: 4
      host: "{{ env_var('PGHOST') }}"
      port: "{{ env_var('PGPORT', '5432') | as_number }}"
      user: "{{ env_var('PGUSER') }}"
      password: hunter2
      dbname: shop
      schema: analytics
EOF
wrong postgres_password_default profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: postgres
      threads: 4
      host: "{{ env_var('PGHOST') }}"
      port: "{{ env_var('PGPORT', '5432') | as_number }}"
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD', 'hunter2') }}"
      dbname: shop
      schema: analytics
EOF
wrong postgres_literal_host profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: postgres
      threads: 4
      host: db.example.com
      port: "{{ env_var('PGPORT', '5432') | as_number }}"
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD') }}"
      dbname: shop
      schema: analytics
EOF
wrong postgres_literal_port profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: postgres
      threads: 4
      host: "{{ env_var('PGHOST') }}"
      port: 5432
      user: "{{ env_var('PGUSER') }}"
      password: "{{ env_var('PGPASSWORD') }}"
      dbname: shop
      schema: analytics
EOF
good sqlite profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: sqlite
      threads: 1
      database: database
      schema: main
      schemas_and_paths:
        main: "{{ env_var('DPC_WAREHOUSE_PATH', '../../warehouse.db') }}"
      schema_directory: ../../
EOF
wrong sqlite_without_main_schema profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: sqlite
      threads: 1
      database: database
      schema: analytics
      schemas_and_paths:
        analytics: "{{ env_var('DPC_WAREHOUSE_PATH', '../../warehouse.db') }}"
      schema_directory: ../../
EOF
wrong duckdb_broken_jinja_path profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      threads: 4
      path: "{{ env_var('DPC_WAREHOUSE_PATH', '../../it's.duckdb') }}"
      schema: main
EOF
wrong duckdb_postgres_key profiles <<'EOF'
shop:
  target: dev
  outputs:
    dev:
      type: duckdb
      threads: 4
      path: "{{ env_var('DPC_WAREHOUSE_PATH', '../../warehouse.duckdb') }}"
      schema: main
      dbname: shop
EOF

# properties files: tests
good tests properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    data_tests:
    - not_null
    - accepted_values:
        arguments:
          values: [placed, shipped]
          quote: true
        config:
          severity: warn
          where: "status <> 'test'"
    - relationships:
        arguments:
          to: "source('raw', 'statuses')"
          field: status
  data_tests:
  - unique:
      column_name: "order_id || '-' || status"
EOF
wrong test_unknown_argument properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    data_tests:
    - accepted_values:
        arguments:
          values: [placed, shipped]
          case_sensitive: false
EOF
wrong test_old_form_without_arguments properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    data_tests:
    - accepted_values:
        values: [placed, shipped]
EOF
wrong test_unique_with_arguments properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    data_tests:
    - unique:
        arguments:
          values: [placed]
        config:
          severity: warn
EOF
wrong test_severity_fatal properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    data_tests:
    - not_null:
        config:
          severity: fatal
EOF
wrong test_relationships_bare_model properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: customer_id
    data_tests:
    - relationships:
        arguments:
          to: customers
          field: customer_id
EOF
wrong test_model_level_without_column_name properties <<'EOF'
version: 2
models:
- name: stg_orders
  data_tests:
  - unique:
      config:
        severity: warn
EOF
wrong test_old_tests_key properties <<'EOF'
version: 2
models:
- name: stg_orders
  columns:
  - name: status
    tests:
    - not_null
EOF

# properties files: sources and seeds
good source properties <<'EOF'
version: 2
sources:
- name: raw
  schema: raw
  config:
    freshness:
      warn_after: {count: 12, period: hour}
      filter: _loaded_at > current_date - 7
    loaded_at_field: _loaded_at
    tags: [raw]
  tables:
  - name: orders
    identifier: ORDERS_V2
    config:
      freshness: null
  - name: payments
EOF
wrong source_freshness_outside_config properties <<'EOF'
version: 2
sources:
- name: raw
  schema: raw
  freshness:
    warn_after: {count: 12, period: hour}
  loaded_at_field: _loaded_at
  tables:
  - name: orders
EOF
wrong source_freshness_bad_period properties <<'EOF'
version: 2
sources:
- name: raw
  config:
    freshness:
      warn_after: {count: 1, period: week}
    loaded_at_field: _loaded_at
  tables:
  - name: orders
EOF
wrong source_without_tables properties <<'EOF'
version: 2
sources:
- name: raw
  schema: raw
EOF
good seed properties <<'EOF'
version: 2
seeds:
- name: stations
  config:
    column_types: {station_id: integer}
    delimiter: ";"
    tags: [reference]
  columns:
  - name: station_id
    data_type: integer
    data_tests: [unique, not_null]
EOF
wrong seed_delimiter_two_chars properties <<'EOF'
version: 2
seeds:
- name: stations
  config:
    delimiter: ";;"
EOF
wrong two_resource_kinds_in_one_file properties <<'EOF'
version: 2
models:
- name: stg_orders
seeds:
- name: stations
EOF

# dbt_project.yml, selectors.yml, packages.yml
good project dbt_project <<'EOF'
name: shop
version: '1.0.0'
config-version: 2
profile: shop
model-paths: [models]
seed-paths: [seeds]
test-paths: [tests]
macro-paths: [macros]
target-path: target
clean-targets: [target, dbt_packages]
vars:
  start: '2024-01-01'
EOF
wrong project_old_path_key dbt_project <<'EOF'
name: shop
version: '1.0.0'
config-version: 2
profile: shop
model-paths: [models]
source-paths: [models]
seed-paths: [seeds]
test-paths: [tests]
macro-paths: [macros]
target-path: target
clean-targets: [target, dbt_packages]
EOF
wrong project_config_version_1 dbt_project <<'EOF'
name: shop
version: '1.0.0'
config-version: 1
profile: shop
model-paths: [models]
seed-paths: [seeds]
test-paths: [tests]
macro-paths: [macros]
target-path: target
clean-targets: [target, dbt_packages]
EOF
good selectors selectors <<'EOF'
selectors:
- name: layer_staging
  description: The models in the staging layer
  definition:
    method: path
    value: models/staging
EOF
wrong selector_path_outside_models selectors <<'EOF'
selectors:
- name: layer_staging
  definition:
    method: path
    value: /etc
EOF
good packages packages <<'EOF'
packages:
- package: dbt-labs/dbt_utils
  version: '>=1.1.0'
- git: https://github.com/acme/dbt-audit.git
  revision: v1.0
EOF
wrong package_version_range_string packages <<'EOF'
packages:
- package: dbt-labs/dbt_utils
  version: '>=1.1.0, <2.0.0'
EOF
wrong package_git_with_version packages <<'EOF'
packages:
- git: https://github.com/acme/dbt-audit.git
  version: '1.0.0'
EOF

summary dbt-schemas
