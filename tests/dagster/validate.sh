#!/bin/sh
# tests/dagster/validate.sh DPC_BINARY: the Dagster project dpc writes.
#
# dagster cannot be installed here (no PyPI), so the judges stand in for it
# (tests/judges/README.md): every defs.yaml against the schema taken from
# Dagster 1.12's models (validate_defs.py), every .py through py_compile and
# pyflakes (pycheck.sh), pyproject.toml through Python's tomllib. Then:
#
# 1. examples/bikeshare (a copy) builds, and its data/dagster passes them;
# 2. tests/dagster/project, which uses every part of the back end, builds;
#    its data/dagster passes them, equals tests/dagster/expected/ byte for
#    byte (UPDATE_GOLDEN=1 rewrites it), holds the facts checked below, and
#    its Python runs against stand-ins for dagster and psycopg (runtime.py);
# 3. the judges reject a broken copy, so a pass means something.
#
# Prints failures as they happen, then "dagster: N passed, M failed"; exits 1
# if anything failed, 2 on a usage error. VERBOSE=1 lists passes too.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"
scratch dagster
bad_lines=30

# judges LABEL DIR: every judge on the dg project in DIR
judges() {
	label=$1 dir=$2
	find "$dir" -name defs.yaml | sort >"$tmp/yaml"
	find "$dir" -name '*.py' | sort >"$tmp/py"
	if [ -s "$tmp/yaml" ]; then
		# shellcheck disable=SC2046
		run "$label: defs.yaml (validate_defs)" "$py" "$top/tests/judges/validate_defs.py" $(cat "$tmp/yaml")
	else
		bad "$label: no defs.yaml"
	fi
	# shellcheck disable=SC2046
	run "$label: Python (pycheck)" sh "$top/tests/judges/pycheck.sh" $(cat "$tmp/py")
	run "$label: pyproject.toml (tomllib)" "$py" -c '
import sys, tomllib
with open(sys.argv[1], "rb") as f:
    t = tomllib.load(f)
assert t["tool"]["dg"]["directory_type"] == "project", t
assert t["tool"]["dg"]["project"]["root_module"].isidentifier(), t
assert any(d.startswith("dagster>=1.12.3") for d in t["project"]["dependencies"]), t
' "$dir/pyproject.toml"
}

# build LABEL SRC DIR: copy the project SRC to DIR (without what it
# generated) and build it
build() {
	cp -R "$2" "$3" && rm -rf "$3/data" "$3/.dpc"
	if (cd "$3" && "$dpc" build) >"$tmp/build.log" 2>&1; then
		ok "$1: dpc build"
	else
		bad "$1: dpc build" "$(cat "$tmp/build.log")"
		return 1
	fi
}

# has FILE TEXT...: each TEXT (fixed string) is in FILE
has() {
	f=$1
	shift
	for text in "$@"; do
		if grep -qF -- "$text" "$f"; then ok "${f#"$tmp"/}: has $text"; else
			bad "${f#"$tmp"/}: lacks $text"
		fi
	done
}
# lacks FILE TEXT...: no TEXT is in FILE
lacks() {
	f=$1
	shift
	for text in "$@"; do
		if grep -qF -- "$text" "$f"; then bad "${f#"$tmp"/}: has $text" "$(grep -nF -- "$text" "$f")"; else
			ok "${f#"$tmp"/}: lacks $text"
		fi
	done
}

# 1. the example
if build bikeshare "$top/examples/bikeshare" "$tmp/bikeshare"; then
	b=$tmp/bikeshare/data/dagster
	judges bikeshare "$b"
	has "$b/src/bikeshare/defs/dbt_project/defs.yaml" "type: dagster_dbt.DbtProjectComponent" \
		"project: '{{ context.project_root }}/../dbt'"
	has "$b/pyproject.toml" '"dbt-sqlite>=1.10,<2"' '"psycopg[binary]>=3.1,<4"'
	# the nightly schedule, the feedback sensor and the embedding asset of
	# specs/app.yaml; no Python assets, so no assets.py
	has "$b/src/bikeshare/defs/schedules.py" 'cron_schedule="0 3 * * *"' 'execution_timezone="Europe/Berlin"' \
		'dg.AssetKey(["fct_daily_rides"])'
	has "$b/src/bikeshare/defs/sensors.py" 'minimum_interval_seconds=60'
	has "$b/src/bikeshare/defs/embeddings.py" 'feedback_embeddings'
	if [ -e "$b/src/bikeshare/defs/assets.py" ]; then bad "bikeshare: wrote assets.py with nothing in it"; else
		ok "bikeshare: no assets.py"
	fi
fi

# 2. the test project
p=$tmp/project
if build project "$top/tests/dagster/project" "$p"; then
	d=$p/data/dagster
	judges project "$d"
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		rm -rf "$top/tests/dagster/expected" && cp -R "$d" "$top/tests/dagster/expected"
	fi
	run "project: golden tree (tests/dagster/expected)" diff -r "$top/tests/dagster/expected" "$d"
	run "project: dpc check after build" sh -c "cd '$p' && '$dpc' check"

	pkg=$d/src/bookshop
	has "$d/pyproject.toml" 'root_module = "bookshop"' '"dbt-postgres>=1.9,<2"' '"psycopg[binary]>=3.1,<4"' \
		'"dagster-dbt>=0.28.3,<1"'
	has "$pkg/definitions.py" "dg.load_from_defs_folder(project_root=Path(__file__).parent.parent.parent)"
	y=$pkg/defs/dbt_project/defs.yaml
	has "$y" "group_name: \"{{ node.fqn[1] if node.resource_type == 'model' else 'seeds' }}\"" \
		"target: key:\"finance/fct_daily_revenue\"" "owners: [finance@bookshop.example]" \
		"target: key:\"dim_review_scores\"" "owners: ['team:growth']"
	# an ephemeral model is no asset: no owner for it, no key anywhere
	lacks "$y" int_order_books
	s=$pkg/defs/schedules.py
	has "$s" 'cron_schedule="30 2 * * *",' 'execution_timezone="Europe/Berlin",' \
		'cron_schedule="0 * * * *",  # @hourly' 'cron_schedule="0 7 * * 1",  # 0 7 * * MON' \
		'dg.AssetKey(["finance", "fct_daily_revenue"]),' 'default_status=dg.DefaultScheduleStatus.RUNNING,'
	has "$s" "# schedule export_only: its selection 'source:shop' picks nothing"
	lacks "$s" "schedule_export_only =" '"int_order_books"' '["export", "orders"]'
	# the nightly schedule runs fct_daily_revenue and its ancestors, in key order
	awk '/^schedule_nightly/,/^\)/' "$s" | grep -o 'AssetKey(\[[^]]*\])' >"$tmp/nightly"
	printf '%s\n' 'AssetKey(["finance", "fct_daily_revenue"])' 'AssetKey(["stg_books"])' \
		'AssetKey(["stg_orders"])' >"$tmp/nightly.want"
	run "project: nightly's asset keys" diff "$tmp/nightly.want" "$tmp/nightly"
	n=$pkg/defs/sensors.py
	has "$n" "context.cursor" "cursor=newest," 'run_key=f"{watch.name}:{newest}"' \
		'minimum_interval_seconds=60,' 'minimum_interval_seconds=300,' \
		"first='select cast(max(\"id\") as text) from \"public\".\"reviews\"'," \
		"after='select cast(max(\"_loaded_at\") as text) from \"export\".\"orders\" where \"_loaded_at\" > %s'," \
		'psycopg.connect(_env("SUPABASE_DB_URL"))' 'host=_env("WAREHOUSE_HOST"),' 'dbname="bookshop",'
	lacks "$n" "def sensor_new_customers"
	e=$pkg/defs/embeddings.py
	has "$e" 'key=dg.AssetKey(["app", "review_vectors"]),' 'deps=[dg.AssetKey(["app", "reviews"])],' \
		'insert into "public"."review_vectors" ("id", embedding, content_hash, updated_at)' \
		'values (%s, %s::extensions.vector(1536), %s, now())' \
		'on conflict ("id") do update' \
		'e.content_hash is distinct from encode(sha256(convert_to(%(prefix)s::text || t."body"' \
		'api_key_env="OPENAI_API_KEY",' 'url="http://ollama:11434/",' 'batch_size=16,'
	# the embedding of a model runs after the model's dbt asset, reads the
	# relation dbt built, and deletes the vectors of keys gone from it
	has "$e" 'key=dg.AssetKey(["app", "book_title_vectors"]),' 'deps=[dg.AssetKey(["stg_books"])],' \
		'from (select r."book_id"::text as k, r."title"::text as x from "analytics"."stg_books" as r) as r' \
		'delete from "public"."book_title_vectors" as e' \
		'select 1 from "analytics"."stg_books" as t'
	a=$pkg/defs/assets.py
	has "$a" 'Path(__file__).resolve().parents[5]' '_call(context, "pipelines/digest.py", "build_digest")' \
		'tags={"external": "", "hourly": ""},' 'group_name="reports",'
	# no secret's value, only names of variables
	for f in "$d/pyproject.toml" "$pkg"/defs/*.py "$y"; do
		lacks "$f" "password=\"" "sk-"
	done
	run "project: generated Python runs (runtime.py)" "$py" "$top/tests/dagster/runtime.py" "$d" "$p"

	# deterministic: a second build from scratch gives the same bytes
	if build "project again" "$top/tests/dagster/project" "$tmp/again"; then
		run "project: deterministic" diff -r "$d" "$tmp/again/data/dagster"
	fi

	# 3. the judges can fail: a key DbtProjectComponent does not have, a
	# Python name that is not defined
	cp -R "$d" "$tmp/broken"
	sed 's/^  select: /  selekt: /' "$y" >"$tmp/broken/src/bookshop/defs/dbt_project/defs.yaml"
	printf 'x = undefined_name\n' >>"$tmp/broken/src/bookshop/defs/schedules.py"
	if "$py" "$top/tests/judges/validate_defs.py" "$tmp/broken/src/bookshop/defs/dbt_project/defs.yaml" >/dev/null 2>&1; then
		bad "broken: validate_defs accepts an unknown attribute"
	else ok "broken: validate_defs rejects an unknown attribute"; fi
	if sh "$top/tests/judges/pycheck.sh" "$tmp/broken/src/bookshop/defs/schedules.py" >/dev/null 2>&1; then
		bad "broken: pycheck accepts an undefined name"
	else ok "broken: pycheck rejects an undefined name"; fi
fi

summary dagster
