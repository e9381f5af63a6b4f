/* emit_ci.c: the CI back end. graph → from the spec's ci:, a GitHub Actions
 * workflow (.github/workflows/dpc.yml) and a GitLab pipeline
 * (.gitlab-ci.yml), both at the project root; nothing without ci:.
 *
 * The jobs are described once (struct job: environment, steps, when it
 * runs) and written twice, by github() and gitlab(). Every change runs check
 * first: dpc, built from source as ci.dpc says, runs `dpc check`; the
 * steps of ci.steps run on pull and merge requests after it, the deploys
 * of ci.deploy on pushes to ci.branch. Secrets reach the jobs only as
 * environment variables: ${{ secrets.NAME }} on GitHub, CI/CD variables
 * (which GitLab hands to every job) there. Actions are pinned by commit
 * (struct pin); versions of images and packages are fixed in the tables
 * below. docs/ci.md says what each job does and why.
 *
 * YAML goes through libyaml's emitter (yamlout.c); the one thing it cannot
 * write, the "# vX.Y.Z" comment after an action's commit, is added to the
 * emitted text afterwards (pincomments). Output is a pure function of the
 * spec: lists are written in a fixed order, secrets sorted by name. */
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/* actions, pinned by the commit of a release tag: each commit is the one
 * public workflows pin for that tag (docs/ci.md says how it was checked) */
struct pin {
	const char *uses, *tag;
};
static const struct pin pin_checkout = {"actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", "v6.0.2"};
static const struct pin pin_python = {"actions/setup-python@a309ff8b426b58ec0e2a45f0f869d46889d02405",
				       "v6.2.0"};
static const struct pin pin_upload = {"actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f",
					  "v6.0.0"};

const char *const emit_fixed[] = {".github/workflows/dpc.yml", ".gitlab-ci.yml"};
const size_t emit_nfixed = LEN(emit_fixed);

#define RUNNER "ubuntu-24.04"
#define PYTHON "3.12"
/* GitLab's images: Debian 12 with Python (every job but one), Node.js for
 * the Supabase CLI, and the database Supabase's own CLI runs */
#define GL_IMAGE "python:3.12.12-slim-bookworm"
#define GL_NODE_IMAGE "node:22.22.2-bookworm-slim"
#define SUPABASE_IMAGE "supabase/postgres:15.8.1.085"
#define SUPABASE_CLI "supabase@2.122.1"
#define SQLFLUFF "sqlfluff==4.5.0"
#define DG_CLI "dagster-dg-cli==1.13.27"
#define DAGSTER_CLOUD "dagster-cloud==1.13.27"
/* what building dpc needs from Debian and Ubuntu (tools/install-deps.sh) */
#define DPC_BUILD_DEPS "build-essential pkg-config libyaml-dev libcjson-dev libxxhash-dev libsqlite3-dev"
/* the variable deploys read the Supabase database's URL from (as the
 * Dagster back end's generated code does) */
#define SUPABASE_URL_ENV "SUPABASE_DB_URL"

/* dbt-core and the adapter of each warehouse type, and the dialect
 * sqlfluff parses it with. dbt-sqlite 1.10.0 is the adapter's release for
 * dbt-core 1.10, so it keeps that line */
static const struct adapter {
	const char *type, *core, *package, *dialect;
} adapters[] = {
	{"postgres", "dbt-core==1.12.6", "dbt-postgres==1.11.0", "postgres"},
	{"duckdb", "dbt-core==1.12.6", "dbt-duckdb==1.11.1", "duckdb"},
	{"sqlite", "dbt-core==1.10.0", "dbt-sqlite==1.10.0", "sqlite"},
};

/* an environment variable of a job */
enum envkind {
	E_LIT,    /* a fixed value (GitLab: $ doubled, so it stays literal) */
	E_SECRET, /* GitHub: ${{ secrets.NAME }}; GitLab: the CI/CD variable itself */
	E_VAR,    /* GitHub: ${{ vars.NAME || 'default' }}; GitLab: the default,
		   * which a CI/CD variable of the project overrides */
	E_EXPR,   /* written per provider as given, expressions and all */
};

struct envv {
	const char *name;
	enum envkind kind;
	char *gh, *gl; /* owned; E_LIT and E_VAR: gh is the value, gl unused */
};

enum stepkind { S_RUN, S_CHECKOUT, S_PYTHON, S_UPLOAD };

struct step {
	enum stepkind kind;
	const char *name;
	char *run;           /* S_RUN: the script; owned */
	const char *workdir; /* S_RUN: the folder it runs in, or NULL for the root */
	bool github_only;    /* the runner lacks what a GitLab image has, or the reverse */
	bool gitlab_only;
	struct envv *env;    /* S_RUN: the step's own environment (GitHub; GitLab: the job's) */
	size_t nenv, capenv;
};

enum when { W_ALWAYS, W_CHANGE, W_DEPLOY };

struct job {
	const char *id, *name;
	enum when when;
	const char *needs[4];
	size_t nneeds;
	struct envv *env;
	size_t nenv, capenv;
	struct step *steps;
	size_t nsteps, capsteps;
	const char *image;   /* GitLab; NULL: the default */
	bool database;       /* a throwaway Supabase database beside it */
	bool actions_read;   /* GitHub: it reads the repository's artifacts */
	bool submodules;     /* the checkout includes submodules (ci.dpc.path) */
	int minutes;         /* GitHub's timeout */
	/* the manifest the deploy uploads: an artifact name and a path */
	const char *upload_name;
	char *upload_path;
};

struct ci {
	const struct graph *g;
	const struct spec *s;
	const struct spec_ci *c;
	const struct adapter *ad;
	char *header;
	char *dagster;       /* the dg project's folder */
	const char **secrets; /* ci.secrets sorted */
	size_t nsecrets;
	struct job *jobs;
	size_t njobs, capjobs;
};

static bool
listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static bool
pg(const struct ci *c)
{
	return strcmp(c->s->warehouse.type, "postgres") == 0;
}

/* a literal for GitHub: text that would open an expression (${{) is
 * written as an expression that yields it */
static char *
ghlit(const char *s)
{
	struct buf b = {0};
	for (const char *p = s; *p;) {
		const char *e = strstr(p, "${{");
		if (!e) {
			buf_puts(&b, p);
			break;
		}
		buf_put(&b, p, (size_t)(e - p));
		buf_puts(&b, "${{ '${{' }}");
		p = e + 3;
	}
	return buf_take(&b);
}

/* a literal for a GitLab variable: $ doubled, so that it is not expanded */
static char *
gllit(const char *s)
{
	struct buf b = {0};
	for (; *s; s++) {
		if (*s == '$')
			buf_putc(&b, '$');
		buf_putc(&b, *s);
	}
	return buf_take(&b);
}

/* ---- describing the jobs ---- */

static struct job *
newjob(struct ci *c, const char *id, const char *name, enum when when, int minutes)
{
	VEC_PUSH(c->jobs, c->njobs, c->capjobs);
	struct job *j = &c->jobs[c->njobs++];
	*j = (struct job){.id = id, .name = name, .when = when, .minutes = minutes};
	if (when != W_ALWAYS)
		j->needs[j->nneeds++] = "check";
	return j;
}

static void
envadd(struct envv **v, size_t *n, size_t *cap, const char *name, enum envkind kind, char *gh, char *gl)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].name, name) == 0) {
			/* the first word stands: a secret the spec lists twice over,
			 * as a warehouse variable and in ci.secrets */
			free(gh), free(gl);
			return;
		}
	VEC_PUSH(*v, *n, *cap);
	(*v)[(*n)++] = (struct envv){name, kind, gh, gl};
}

static void
jobenv(struct job *j, const char *name, enum envkind kind, const char *gh, const char *gl)
{
	envadd(&j->env, &j->nenv, &j->capenv, name, kind, gh ? xstrdup(gh) : NULL, gl ? xstrdup(gl) : NULL);
}

/* a job's environment from the spec's ci.secrets */
static void
secretsenv(struct ci *c, struct job *j)
{
	for (size_t i = 0; i < c->nsecrets; i++)
		jobenv(j, c->secrets[i], E_SECRET, NULL, NULL);
}

/* the warehouse's connection variables (postgres), from secrets */
static void
warehouseenv(struct ci *c, struct job *j)
{
	const struct spec_warehouse *wh = &c->s->warehouse;
	if (!pg(c))
		return;
	jobenv(j, wh->host_env, E_SECRET, NULL, NULL);
	/* GitHub gives a secret that is not set as "", which dbt would take
	 * for the port; GitLab leaves the variable unset, and profiles.yml's
	 * default applies */
	char *port = xasprintf("${{ secrets.%s || '5432' }}", wh->port_env);
	jobenv(j, wh->port_env, E_EXPR, port, NULL);
	free(port);
	jobenv(j, wh->user_env, E_SECRET, NULL, NULL);
	jobenv(j, wh->password_env, E_SECRET, NULL, NULL);
}

static struct step *
addstep(struct job *j, enum stepkind kind, const char *name)
{
	VEC_PUSH(j->steps, j->nsteps, j->capsteps);
	struct step *s = &j->steps[j->nsteps++];
	*s = (struct step){.kind = kind, .name = name};
	return s;
}

static struct step *
run(struct job *j, const char *name, const char *workdir, struct buf *script)
{
	struct step *s = addstep(j, S_RUN, name);
	s->workdir = workdir;
	s->run = buf_take(script);
	return s;
}

/* the lines that stop a job at once, naming the secret or variable that
 * is not set; GitHub gives a missing secret as an empty string */
static void
required(struct buf *b, const char *name, const char *what)
{
	buf_printf(b, ": \"${%s:?set the CI %s %s}\"\n", name, what, name);
}

static void
checkout(struct job *j)
{
	addstep(j, S_CHECKOUT, "Check out the repository");
}

static void
python(struct job *j, const char *install)
{
	addstep(j, S_PYTHON, "Set up Python " PYTHON);
	struct buf b = {0};
	buf_printf(&b, "python -m pip install --disable-pip-version-check --quiet %s\n", install);
	run(j, "Install the Python tools", NULL, &b);
}

/* check: dpc, built from source as ci.dpc says, then dpc check */
static void
checkjob(struct ci *c)
{
	const struct spec_ci *ci = c->c;
	struct job *j = newjob(c, "check", "dpc check", W_ALWAYS, 30);
	j->submodules = ci->dpc_path != NULL;
	checkout(j);
	struct buf b = {0};
	buf_puts(&b, "sudo apt-get update -qq\n"
		     "sudo apt-get install -y -qq --no-install-recommends " DPC_BUILD_DEPS "\n");
	run(j, "Install what building dpc needs", NULL, &b)->github_only = true;
	buf_puts(&b, "apt-get update -qq\n"
		     "apt-get install -y -qq --no-install-recommends " DPC_BUILD_DEPS " git ca-certificates\n");
	run(j, "Install what building dpc needs", NULL, &b)->gitlab_only = true;
	if (ci->dpc_path) {
		/* the copy in the repository (a submodule), built where it is */
		jobenv(j, "DPC_SOURCE", E_LIT, ci->dpc_path, NULL);
		buf_puts(&b, "make -C \"$DPC_SOURCE\" build/dpc\n"
			     "echo \"$GITHUB_WORKSPACE/$DPC_SOURCE/build\" >> \"$GITHUB_PATH\"\n");
		run(j, "Build dpc from its source in the repository", NULL, &b)->github_only = true;
		buf_puts(&b, "make -C \"$DPC_SOURCE\" build/dpc\n"
			     "export PATH=\"$CI_PROJECT_DIR/$DPC_SOURCE/build:$PATH\"\n");
		run(j, "Build dpc from its source in the repository", NULL, &b)->gitlab_only = true;
	} else {
		/* a shallow fetch of one ref: a tag, a branch or a commit */
		jobenv(j, "DPC_GIT", E_LIT, ci->dpc_git, NULL);
		jobenv(j, "DPC_REF", E_LIT, ci->dpc_ref, NULL);
		static const char fetch[] =
			"git init -q \"$dpc\"\n"
			"git -C \"$dpc\" remote add origin \"$DPC_GIT\"\n"
			"git -C \"$dpc\" fetch -q --depth 1 origin \"$DPC_REF\"\n"
			"git -C \"$dpc\" checkout -q --detach FETCH_HEAD\n"
			"make -C \"$dpc\" build/dpc\n";
		buf_printf(&b, "dpc=\"$RUNNER_TEMP/dpc\"\n%secho \"$dpc/build\" >> \"$GITHUB_PATH\"\n", fetch);
		run(j, "Build dpc from its repository", NULL, &b)->github_only = true;
		buf_printf(&b, "dpc=\"${TMPDIR:-/tmp}/dpc\"\n%sexport PATH=\"$dpc/build:$PATH\"\n", fetch);
		run(j, "Build dpc from its repository", NULL, &b)->gitlab_only = true;
	}
	buf_puts(&b, "dpc version\ndpc check\n");
	run(j, "dpc check: the generated code is what the spec says", NULL, &b);
}

static void
dbtinstall(struct ci *c, struct job *j)
{
	char *pkgs = xasprintf("\"%s\" \"%s\"", c->ad->core, c->ad->package);
	python(j, pkgs);
	free(pkgs);
	/* a warehouse file in a folder a clone does not have (build/) */
	const char *file = c->s->warehouse.path, *slash = file ? strrchr(file, '/') : NULL;
	if (!pg(c) && slash) {
		char *dir = xstrndup(file, (size_t)(slash - file));
		jobenv(j, "DPC_WAREHOUSE_DIR", E_LIT, dir, NULL);
		free(dir);
		struct buf b = {0};
		buf_puts(&b, "mkdir -p \"$DPC_WAREHOUSE_DIR\"\n");
		run(j, "Make the warehouse file's folder", NULL, &b);
	}
	if (c->s->npackages) {
		struct buf b = {0};
		buf_puts(&b, "dbt deps\n");
		run(j, "Install the dbt packages", c->s->layout_dbt, &b);
	}
}

/* the lines that check the warehouse's secrets are there */
static void
warehouserequired(struct ci *c, struct buf *b)
{
	const struct spec_warehouse *wh = &c->s->warehouse;
	if (!pg(c))
		return;
	required(b, wh->host_env, "secret");
	required(b, wh->user_env, "secret");
	required(b, wh->password_env, "secret");
}

static void
statedir(struct step *s)
{
	envadd(&s->env, &s->nenv, &s->capenv, "DPC_STATE", E_EXPR, xstrdup("${{ runner.temp }}/dpc-production"),
	       NULL);
}

/* dbt_build: the models changed and what depends on them, deferring the
 * rest to production's manifest when there is one */
static void
dbtjob(struct ci *c)
{
	const struct spec_ci *ci = c->c;
	struct job *j = newjob(c, "dbt_build", "dbt build", W_CHANGE, 60);
	jobenv(j, "DBT_PROFILES_DIR", E_LIT, ".", NULL);
	warehouseenv(c, j);
	secretsenv(c, j);
	if (strcmp(c->s->warehouse.type, "sqlite") != 0) {
		/* a schema per pull request, never production's (profiles.yml's ci target) */
		char *gh = xasprintf("%s_pr_${{ github.event.pull_request.number }}", c->s->warehouse.schema);
		char *gl = xasprintf("%s_mr_$CI_MERGE_REQUEST_IID", c->s->warehouse.schema);
		jobenv(j, "DPC_CI_SCHEMA", E_EXPR, gh, gl);
		free(gh), free(gl);
	}
	bool defer = ci->manifest_path || ci->manifest_artifact;
	/* where dbt finds production's manifest.json (GitHub's runner context,
	 * with its temporary folder, exists for steps, not for jobs) */
	if (defer)
		jobenv(j, "DPC_STATE", E_EXPR, NULL, "/tmp/dpc-production");
	checkout(j);
	dbtinstall(c, j);
	struct buf b = {0};
	if (ci->manifest_path) {
		/* dbt reads <state>/manifest.json: the committed file, whatever its name */
		jobenv(j, "DPC_MANIFEST", E_LIT, ci->manifest_path, NULL);
		buf_puts(&b, "mkdir -p \"$DPC_STATE\"\ncp \"$DPC_MANIFEST\" \"$DPC_STATE/manifest.json\"\n");
		statedir(run(j, "Production's manifest, from the repository", NULL, &b));
	} else if (ci->manifest_artifact) {
		/* the newest artifact of that name from the main branch; none
		 * yet (the first run), and dbt builds everything */
		jobenv(j, "DPC_ARTIFACT", E_LIT, ci->manifest_artifact, NULL);
		jobenv(j, "DPC_BRANCH", E_LIT, ci->branch, NULL);
		j->actions_read = true;
		buf_puts(&b, "mkdir -p \"$DPC_STATE\"\n"
			     "id=$(gh api \"repos/$GITHUB_REPOSITORY/actions/artifacts?name=$DPC_ARTIFACT&per_page=100\" \\\n"
			     "  --jq '[.artifacts[] | select(.expired == false and .workflow_run.head_branch == env.DPC_BRANCH)][0].id // empty')\n"
			     "if [ -n \"$id\" ]; then\n"
			     "  gh api \"repos/$GITHUB_REPOSITORY/actions/artifacts/$id/zip\" > \"$RUNNER_TEMP/dpc-manifest.zip\"\n"
			     "  unzip -o -q \"$RUNNER_TEMP/dpc-manifest.zip\" -d \"$DPC_STATE\"\n"
			     "  echo \"production's manifest: artifact $id of $DPC_BRANCH\"\n"
			     "else\n"
			     "  echo \"no artifact $DPC_ARTIFACT from $DPC_BRANCH yet\"\n"
			     "fi\n");
		struct step *s = run(j, "Production's manifest, from the main branch's artifact", NULL, &b);
		s->github_only = true;
		statedir(s);
		envadd(&s->env, &s->nenv, &s->capenv, "GH_TOKEN", E_EXPR, xstrdup("${{ github.token }}"), NULL);
		/* GitLab: the file from the last successful deploy_dbt job of the
		 * branch, with the job's own token */
		char *branch = gllit(ci->branch);
		struct buf u = {0};
		for (const char *p = branch; *p; p++)
			*p == '/' ? buf_puts(&u, "%2F") : buf_putc(&u, *p);
		char *file = xasprintf("%s/target/manifest.json", c->s->layout_dbt);
		char *url = xasprintf("$CI_API_V4_URL/projects/$CI_PROJECT_ID/jobs/artifacts/%s/raw/", u.data);
		char *gfile = gllit(file);
		char *full = xasprintf("%s%s?job=deploy_dbt", url, gfile);
		jobenv(j, "DPC_MANIFEST_URL", E_EXPR, NULL, full);
		buf_puts(&b, "apt-get update -qq\n"
			     "apt-get install -y -qq --no-install-recommends curl ca-certificates\n"
			     "mkdir -p \"$DPC_STATE\"\n"
			     "if curl --fail --silent --show-error --location --header \"JOB-TOKEN: $CI_JOB_TOKEN\" \\\n"
			     "  --output \"$DPC_STATE/manifest.json\" \"$DPC_MANIFEST_URL\"; then\n"
			     "  echo \"production's manifest: the last deploy_dbt of $DPC_BRANCH\"\n"
			     "else\n"
			     "  rm -f \"$DPC_STATE/manifest.json\"\n"
			     "  echo \"no manifest from a deploy_dbt of $DPC_BRANCH yet\"\n"
			     "fi\n");
		run(j, "Production's manifest, from the main branch's deploy_dbt job", NULL, &b)->gitlab_only = true;
		free(branch), buf_free(&u), free(file), free(url), free(gfile), free(full);
	}
	warehouserequired(c, &b);
	if (ci->manifest_path)
		buf_puts(&b, "dbt build --target ci --select state:modified+ --defer --state \"$DPC_STATE\"\n");
	else if (ci->manifest_artifact)
		buf_puts(&b, "if [ -f \"$DPC_STATE/manifest.json\" ]; then\n"
			     "  dbt build --target ci --select state:modified+ --defer --state \"$DPC_STATE\"\n"
			     "else\n"
			     "  echo \"no production manifest: building every model\"\n"
			     "  dbt build --target ci\n"
			     "fi\n");
	else
		buf_puts(&b, "dbt build --target ci\n");
	struct step *s = run(j, defer ? "dbt build: the changed models and what depends on them" : "dbt build",
			     c->s->layout_dbt, &b);
	if (defer)
		statedir(s);
}

/* the warehouse variables dbt parse needs to be set, and nothing real:
 * dg check connects nowhere */
static void
placeholderenv(struct ci *c, struct job *j)
{
	const struct spec_warehouse *wh = &c->s->warehouse;
	if (!pg(c))
		return;
	jobenv(j, wh->host_env, E_LIT, "localhost", NULL);
	jobenv(j, wh->port_env, E_LIT, "5432", NULL);
	jobenv(j, wh->user_env, E_LIT, "dpc", NULL);
	jobenv(j, wh->password_env, E_LIT, "", NULL);
}

static void
dagsterinstall(struct ci *c, struct job *j, bool deploy)
{
	jobenv(j, "DPC_DAGSTER", E_LIT, c->dagster, NULL);
	addstep(j, S_PYTHON, "Set up Python " PYTHON);
	struct buf b = {0};
	buf_printf(&b, "python -m pip install --disable-pip-version-check --quiet -e \"$DPC_DAGSTER\" \"%s\"%s\n",
		   DG_CLI, deploy ? " \"" DAGSTER_CLOUD "\"" : "");
	run(j, "Install the Dagster project", NULL, &b);
	/* the dbt component's state (its manifest): dbt parse, no connection */
	buf_puts(&b, "dg utils refresh-defs-state\n");
	run(j, "Refresh the components' state", c->dagster, &b);
}

/* dg_check: the generated Dagster project loads */
static void
dgjob(struct ci *c)
{
	struct job *j = newjob(c, "dg_check", "dg check defs", W_CHANGE, 30);
	placeholderenv(c, j);
	secretsenv(c, j);
	checkout(j);
	dagsterinstall(c, j, false);
	struct buf b = {0};
	buf_puts(&b, "dg check defs\n");
	run(j, "dg check defs", c->dagster, &b);
}

/* sql_lint: sqlfluff on the generated models, dbt's Jinja builtins
 * standing in for dbt (ref, source, config, var, is_incremental). LT05,
 * line length, is left out: dpc's header line is long by design */
static void
lintjob(struct ci *c)
{
	struct job *j = newjob(c, "sql_lint", "SQL lint", W_CHANGE, 30);
	checkout(j);
	python(j, "\"" SQLFLUFF "\"");
	struct buf b = {0};
	bool models = false;
	for (size_t i = 0; i < c->g->n && !models; i++)
		models = c->g->nodes[i].kind == N_MODEL;
	if (models)
		buf_printf(&b, "sqlfluff lint models --dialect %s --templater jinja --exclude-rules LT05\n",
			   c->ad->dialect);
	else
		buf_puts(&b, "echo \"the spec has no models to lint\"\n");
	run(j, "sqlfluff lint", c->s->layout_dbt, &b);
}

/* the migrations, in name order, one transaction per file, as the Supabase
 * CLI applies them. A file whose one statement PostgreSQL runs only outside
 * a transaction (create or drop index concurrently, reindex concurrently)
 * runs without one; such a statement beside others fails, there as here.
 * -- comments go first (one inside a string literal only ever makes a file
 * look like more than one statement) */
static const char applymigrations[] =
	"standalone() {\n"
	"  sql=$(sed 's/--.*//' \"$1\" | tr '\\n\\t' '  ' | tr -s ' ' | sed 's/^ //; s/[ ;]*$//')\n"
	"  case $sql in *\\;*) return 1 ;; esac\n"
	"  printf '%s\\n' \"$sql\" |\n"
	"    grep -Eqi '^(create (unique )?index concurrently|drop index concurrently|reindex .*concurrently)( |$)'\n"
	"}\n"
	"i=0\n"
	"until pg_isready -q -d \"$DPC_DATABASE\"; do\n"
	"  i=$((i + 1))\n"
	"  [ \"$i\" -lt 90 ] || { echo \"the database did not start\"; exit 1; }\n"
	"  sleep 2\n"
	"done\n"
	"export LC_ALL=C\n"
	"n=0\n"
	"for f in supabase/migrations/*.sql; do\n"
	"  [ -e \"$f\" ] || continue\n"
	"  if standalone \"$f\"; then\n"
	"    echo \"$f (outside a transaction)\"\n"
	"    psql -X -q -v ON_ERROR_STOP=1 -d \"$DPC_DATABASE\" -f \"$f\"\n"
	"  else\n"
	"    echo \"$f\"\n"
	"    psql -X -q -v ON_ERROR_STOP=1 --single-transaction -d \"$DPC_DATABASE\" -f \"$f\"\n"
	"  fi\n"
	"  n=$((n + 1))\n"
	"done\n"
	"echo \"$n migrations applied\"\n";

/* migrations: every migration, on a throwaway Supabase database */
static void
migrationsjob(struct ci *c)
{
	struct job *j = newjob(c, "migrations", "Supabase migrations on a throwaway database", W_CHANGE, 30);
	j->database = true;
	/* the service's throwaway password, not a secret */
	jobenv(j, "DPC_DATABASE", E_EXPR, "postgresql://postgres:postgres@localhost:5432/postgres",
	       "postgresql://postgres:postgres@db:5432/postgres");
	checkout(j);
	struct buf b = {0};
	buf_puts(&b, "command -v psql >/dev/null || { sudo apt-get update -qq && "
		     "sudo apt-get install -y -qq --no-install-recommends postgresql-client; }\n");
	run(j, "Install psql", NULL, &b)->github_only = true;
	buf_puts(&b, "apt-get update -qq\napt-get install -y -qq --no-install-recommends postgresql-client\n");
	run(j, "Install psql", NULL, &b)->gitlab_only = true;
	buf_puts(&b, applymigrations);
	run(j, "Apply the migrations", NULL, &b);
}

/* deploy: the migrations, with the Supabase CLI */
static void
deploymigrations(struct ci *c, const char *after)
{
	struct job *j = newjob(c, "deploy_migrations", "Deploy the Supabase migrations", W_DEPLOY, 30);
	if (after)
		j->needs[j->nneeds++] = after;
	j->image = GL_NODE_IMAGE;
	jobenv(j, SUPABASE_URL_ENV, E_SECRET, NULL, NULL);
	checkout(j);
	struct buf b = {0};
	required(&b, SUPABASE_URL_ENV, "secret");
	buf_puts(&b, "npx --yes " SUPABASE_CLI " db push --db-url \"$" SUPABASE_URL_ENV "\"\n");
	run(j, "supabase db push", NULL, &b);
}

/* deploy: dbt build against production (the prod target) */
static void
deploydbt(struct ci *c, const char *after)
{
	const struct spec_ci *ci = c->c;
	struct job *j = newjob(c, "deploy_dbt", "Deploy: dbt build", W_DEPLOY, 90);
	if (after)
		j->needs[j->nneeds++] = after;
	jobenv(j, "DBT_PROFILES_DIR", E_LIT, ".", NULL);
	warehouseenv(c, j);
	secretsenv(c, j);
	checkout(j);
	dbtinstall(c, j);
	struct buf b = {0};
	warehouserequired(c, &b);
	buf_puts(&b, "dbt build --target prod\n");
	run(j, "dbt build --target prod", c->s->layout_dbt, &b);
	if (ci->manifest_artifact) {
		/* what pull requests defer to */
		addstep(j, S_UPLOAD, "Keep the manifest for pull requests");
		j->upload_name = ci->manifest_artifact;
		j->upload_path = xasprintf("%s/target/manifest.json", c->s->layout_dbt);
	}
}

/* deploy: the Dagster project, to Dagster+ with dg plus deploy */
static void
deploydagster(struct ci *c, const char *after)
{
	struct job *j = newjob(c, "deploy_dagster", "Deploy: Dagster+", W_DEPLOY, 60);
	if (after)
		j->needs[j->nneeds++] = after;
	jobenv(j, "DAGSTER_CLOUD_API_TOKEN", E_SECRET, NULL, NULL);
	jobenv(j, "DAGSTER_CLOUD_ORGANIZATION", E_VAR, "", NULL);
	jobenv(j, "DAGSTER_CLOUD_DEPLOYMENT", E_VAR, "prod", NULL);
	jobenv(j, "DAGSTER_BUILD_STRATEGY", E_VAR, "python-executable", NULL);
	/* the job builds and ships the code; where it runs, Dagster+ holds
	 * the environment (the warehouse's and ci.secrets) */
	placeholderenv(c, j);
	checkout(j);
	dagsterinstall(c, j, true);
	struct buf b = {0};
	required(&b, "DAGSTER_CLOUD_API_TOKEN", "secret");
	required(&b, "DAGSTER_CLOUD_ORGANIZATION", "variable");
	buf_puts(&b, "dg plus deploy --deployment-type full --yes\n");
	run(j, "dg plus deploy", c->dagster, &b);
}

static void
describe(struct ci *c)
{
	const struct spec_ci *ci = c->c;
	checkjob(c);
	/* the steps in a fixed order, whatever the spec's */
	if (listed(ci->steps, ci->nsteps, "dbt_build"))
		dbtjob(c);
	if (listed(ci->steps, ci->nsteps, "dg_check"))
		dgjob(c);
	if (listed(ci->steps, ci->nsteps, "sql_lint"))
		lintjob(c);
	if (listed(ci->steps, ci->nsteps, "migrations"))
		migrationsjob(c);
	/* deploys one after the other: the tables before the models that read
	 * them, the models before the code that runs them */
	const char *last = NULL;
	if (listed(ci->deploy, ci->ndeploy, "migrations")) {
		deploymigrations(c, last);
		last = "deploy_migrations";
	}
	if (listed(ci->deploy, ci->ndeploy, "dbt_build")) {
		deploydbt(c, last);
		last = "deploy_dbt";
	}
	if (listed(ci->deploy, ci->ndeploy, "dagster"))
		deploydagster(c, last);
}

static void
freejobs(struct ci *c)
{
	for (size_t i = 0; i < c->njobs; i++) {
		struct job *j = &c->jobs[i];
		for (size_t k = 0; k < j->nenv; k++)
			free(j->env[k].gh), free(j->env[k].gl);
		for (size_t k = 0; k < j->nsteps; k++) {
			struct step *s = &j->steps[k];
			for (size_t e = 0; e < s->nenv; e++)
				free(s->env[e].gh), free(s->env[e].gl);
			free(s->env);
			free(s->run);
		}
		free(j->env);
		free(j->steps);
		free(j->upload_path);
	}
	free(c->jobs);
}

/* ---- GitHub Actions ---- */

static void
ghuses(struct yw *w, const struct pin *p)
{
	yw_kv(w, "uses", p->uses);
}

static void
ghenv(struct yw *w, const struct envv *v, size_t n)
{
	if (!n)
		return;
	yw_str(w, "env");
	yw_map(w);
	for (size_t i = 0; i < n; i++) {
		if (v[i].kind == E_EXPR && !v[i].gh)
			continue; /* GitLab's alone */
		char *val;
		switch (v[i].kind) {
		case E_SECRET:
			val = xasprintf("${{ secrets.%s }}", v[i].name);
			break;
		case E_VAR:
			val = *v[i].gh ? xasprintf("${{ vars.%s || '%s' }}", v[i].name, v[i].gh)
				       : xasprintf("${{ vars.%s }}", v[i].name);
			break;
		case E_EXPR:
			val = xstrdup(v[i].gh);
			break;
		default:
			val = ghlit(v[i].gh);
			break;
		}
		yw_kv(w, v[i].name, val);
		free(val);
	}
	yw_endmap(w);
}

/* is there anything of this step's for GitHub? */
static bool
ghstep(const struct step *s)
{
	return !s->gitlab_only;
}

static void
ghjob(struct ci *c, struct yw *w, const struct job *j)
{
	yw_str(w, j->id);
	yw_map(w);
	yw_kv(w, "name", j->name);
	if (j->nneeds == 1) {
		yw_kv(w, "needs", j->needs[0]);
	} else if (j->nneeds) {
		yw_str(w, "needs");
		yw_flowseq(w);
		for (size_t i = 0; i < j->nneeds; i++)
			yw_str(w, j->needs[i]);
		yw_endseq(w);
	}
	if (j->when == W_CHANGE)
		yw_kv(w, "if", "github.event_name == 'pull_request'");
	else if (j->when == W_DEPLOY) {
		char *cond = xasprintf("github.event_name == 'push' && github.ref == 'refs/heads/%s'", c->c->branch);
		yw_kv(w, "if", cond);
		free(cond);
	}
	yw_kv(w, "runs-on", RUNNER);
	yw_str(w, "timeout-minutes");
	yw_int(w, j->minutes);
	if (j->actions_read) {
		yw_str(w, "permissions");
		yw_map(w);
		yw_kv(w, "actions", "read");
		yw_kv(w, "contents", "read");
		yw_endmap(w);
	}
	if (j->when == W_DEPLOY) {
		/* one deploy at a time, never cancelled halfway */
		yw_str(w, "concurrency");
		yw_map(w);
		char *group = xasprintf("dpc-%s", j->id);
		yw_kv(w, "group", group);
		free(group);
		yw_str(w, "cancel-in-progress");
		yw_bool(w, false);
		yw_endmap(w);
	}
	if (j->database) {
		yw_str(w, "services");
		yw_map(w);
		yw_str(w, "db");
		yw_map(w);
		yw_kv(w, "image", SUPABASE_IMAGE);
		yw_str(w, "env");
		yw_map(w);
		yw_kv(w, "POSTGRES_PASSWORD", "postgres");
		yw_endmap(w);
		yw_str(w, "ports");
		yw_seq(w);
		yw_str(w, "5432:5432");
		yw_endseq(w);
		yw_kv(w, "options", "--health-cmd \"pg_isready -U postgres -h localhost\" --health-interval 5s "
				    "--health-timeout 5s --health-retries 40");
		yw_endmap(w);
		yw_endmap(w);
	}
	ghenv(w, j->env, j->nenv);
	yw_str(w, "steps");
	yw_seq(w);
	for (size_t i = 0; i < j->nsteps; i++) {
		const struct step *s = &j->steps[i];
		if (!ghstep(s))
			continue;
		yw_map(w);
		yw_kv(w, "name", s->name);
		switch (s->kind) {
		case S_CHECKOUT:
			ghuses(w, &pin_checkout);
			yw_str(w, "with");
			yw_map(w);
			yw_str(w, "persist-credentials");
			yw_bool(w, false);
			if (j->submodules) {
				yw_str(w, "submodules");
				yw_bool(w, true);
			}
			yw_endmap(w);
			break;
		case S_PYTHON:
			ghuses(w, &pin_python);
			yw_str(w, "with");
			yw_map(w);
			yw_kv(w, "python-version", PYTHON);
			yw_endmap(w);
			break;
		case S_UPLOAD:
			ghuses(w, &pin_upload);
			yw_str(w, "with");
			yw_map(w);
			yw_kv(w, "name", j->upload_name);
			yw_kv(w, "path", j->upload_path);
			yw_kv(w, "if-no-files-found", "error");
			yw_endmap(w);
			break;
		case S_RUN:
			if (s->workdir) {
				char *wd = ghlit(s->workdir);
				yw_kv(w, "working-directory", wd);
				free(wd);
			}
			ghenv(w, s->env, s->nenv);
			yw_kv(w, "run", s->run);
			break;
		}
		yw_endmap(w);
	}
	yw_endseq(w);
	yw_endmap(w);
}

/* libyaml writes no comments: the tag each pinned commit stands for goes
 * after it here, on the line `uses: owner/repo@<commit>` ends */
static char *
pincomments(char *data, size_t *len)
{
	static const struct pin *const pins[] = {&pin_checkout, &pin_python, &pin_upload};
	struct buf b = {0};
	for (const char *p = data; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_put(&b, p, n);
		for (size_t i = 0; i < LEN(pins); i++) {
			size_t u = strlen(pins[i]->uses);
			if (n >= u + 6 && memcmp(p + n - u, pins[i]->uses, u) == 0 &&
			    memcmp(p + n - u - 6, "uses: ", 6) == 0)
				buf_printf(&b, " # %s", pins[i]->tag);
		}
		if (!nl)
			break;
		buf_putc(&b, '\n');
		p = nl + 1;
	}
	free(data);
	*len = b.len;
	return buf_take(&b);
}

static void
github(struct ci *c, struct outset *out)
{
	const char *branch = c->c->branch;
	struct yw w;
	yw_begin(&w, c->header);
	yw_map(&w);
	yw_kv(&w, "name", "dpc");
	yw_str(&w, "on");
	yw_map(&w);
	static const char *const events[] = {"pull_request", "push"};
	for (size_t i = 0; i < LEN(events); i++) {
		yw_str(&w, events[i]);
		yw_map(&w);
		yw_str(&w, "branches");
		yw_flowseq(&w);
		yw_str(&w, branch);
		yw_endseq(&w);
		yw_endmap(&w);
	}
	yw_endmap(&w);
	yw_str(&w, "permissions");
	yw_map(&w);
	yw_kv(&w, "contents", "read");
	yw_endmap(&w);
	/* a newer push to a pull request cancels the run before it; runs on
	 * the main branch finish (deploys also queue one at a time) */
	yw_str(&w, "concurrency");
	yw_map(&w);
	yw_kv(&w, "group", "dpc-${{ github.ref }}");
	yw_kv(&w, "cancel-in-progress", "${{ github.event_name == 'pull_request' }}");
	yw_endmap(&w);
	yw_str(&w, "jobs");
	yw_map(&w);
	for (size_t i = 0; i < c->njobs; i++)
		ghjob(c, &w, &c->jobs[i]);
	yw_endmap(&w);
	yw_endmap(&w);
	size_t len;
	char *data = pincomments(yw_end(&w, &len), &len);
	outset_add(out, xstrdup(emit_fixed[0]), data, len, "project");
}

/* ---- GitLab CI ---- */

/* is v a variable of the job in .gitlab-ci.yml? Secrets are CI/CD
 * variables, there already; an E_VAR without a default is one too */
static bool
glvar(const struct envv *v)
{
	return v->kind == E_LIT || (v->kind == E_VAR && *v->gh) || (v->kind == E_EXPR && v->gl);
}

static void
glvars(struct yw *w, const struct job *j)
{
	bool any = false;
	for (size_t i = 0; i < j->nenv; i++)
		any |= glvar(&j->env[i]);
	if (!any && !j->submodules)
		return;
	yw_str(w, "variables");
	yw_map(w);
	if (j->submodules)
		yw_kv(w, "GIT_SUBMODULE_STRATEGY", "recursive");
	for (size_t i = 0; i < j->nenv; i++) {
		const struct envv *v = &j->env[i];
		if (!glvar(v))
			continue;
		/* E_VAR: the default; a CI/CD variable of the project wins */
		char *val = v->kind == E_EXPR ? xstrdup(v->gl) : gllit(v->gh);
		yw_kv(w, v->name, val);
		free(val);
	}
	yw_endmap(w);
}

static void
glrule(struct yw *w, const char *cond)
{
	yw_str(w, "rules");
	yw_seq(w);
	yw_map(w);
	yw_kv(w, "if", cond);
	yw_endmap(w);
	yw_endseq(w);
}

static void
gljob(struct ci *c, struct yw *w, const struct job *j)
{
	yw_str(w, j->id);
	yw_map(w);
	yw_kv(w, "stage", j->when == W_ALWAYS ? "check" : j->when == W_CHANGE ? "test" : "deploy");
	if (j->image)
		yw_kv(w, "image", j->image);
	if (j->nneeds) {
		yw_str(w, "needs");
		yw_flowseq(w);
		for (size_t i = 0; i < j->nneeds; i++)
			yw_str(w, j->needs[i]);
		yw_endseq(w);
	}
	if (j->when == W_CHANGE) {
		glrule(w, "$CI_PIPELINE_SOURCE == \"merge_request_event\"");
		yw_str(w, "interruptible");
		yw_bool(w, true);
	} else if (j->when == W_DEPLOY) {
		char *cond = xasprintf("$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == \"%s\"", c->c->branch);
		glrule(w, cond);
		free(cond);
		yw_kv(w, "resource_group", j->id);
	}
	if (j->database) {
		yw_str(w, "services");
		yw_seq(w);
		yw_map(w);
		yw_kv(w, "name", SUPABASE_IMAGE);
		yw_kv(w, "alias", "db");
		yw_str(w, "variables");
		yw_map(w);
		yw_kv(w, "POSTGRES_PASSWORD", "postgres");
		yw_endmap(w);
		yw_endmap(w);
		yw_endseq(w);
	}
	glvars(w, j);
	yw_str(w, "script");
	yw_seq(w);
	const char *dir = NULL; /* where the last step left the shell */
	for (size_t i = 0; i < j->nsteps; i++) {
		const struct step *s = &j->steps[i];
		if (s->kind != S_RUN || s->github_only)
			continue;
		struct buf b = {0};
		/* one shell runs the whole script: a step's folder lasts */
		if (s->workdir && (!dir || strcmp(dir, s->workdir) != 0)) {
			char *d = gllit(s->workdir);
			buf_printf(&b, "cd \"$CI_PROJECT_DIR/%s\" || exit 1\n", d);
			free(d);
		} else if (!s->workdir && dir) {
			buf_puts(&b, "cd \"$CI_PROJECT_DIR\" || exit 1\n");
		}
		dir = s->workdir;
		buf_puts(&b, s->run);
		/* a one-line script stays one line */
		if (b.len && b.data[b.len - 1] == '\n' && !memchr(b.data, '\n', b.len - 1))
			b.data[--b.len] = '\0';
		yw_str(w, b.data);
		buf_free(&b);
	}
	yw_endseq(w);
	if (j->upload_path) {
		yw_str(w, "artifacts");
		yw_map(w);
		yw_kv(w, "name", j->upload_name);
		yw_str(w, "paths");
		yw_seq(w);
		yw_str(w, j->upload_path);
		yw_endseq(w);
		yw_kv(w, "expire_in", "90 days");
		yw_endmap(w);
	}
	yw_endmap(w);
}

static void
gitlab(struct ci *c, struct outset *out)
{
	const char *branch = c->c->branch;
	struct yw w;
	yw_begin(&w, c->header);
	yw_map(&w);
	/* pipelines for merge requests and for pushes to the main branch */
	yw_str(&w, "workflow");
	yw_map(&w);
	yw_str(&w, "rules");
	yw_seq(&w);
	yw_map(&w);
	yw_kv(&w, "if", "$CI_PIPELINE_SOURCE == \"merge_request_event\"");
	yw_endmap(&w);
	yw_map(&w);
	char *cond = xasprintf("$CI_PIPELINE_SOURCE == \"push\" && $CI_COMMIT_BRANCH == \"%s\"", branch);
	yw_kv(&w, "if", cond);
	free(cond);
	yw_endmap(&w);
	yw_endseq(&w);
	yw_endmap(&w);
	yw_str(&w, "stages");
	yw_flowseq(&w);
	static const char *const stages[] = {"check", "test", "deploy"};
	for (size_t i = 0; i < LEN(stages); i++)
		yw_str(&w, stages[i]);
	yw_endseq(&w);
	yw_str(&w, "default");
	yw_map(&w);
	yw_kv(&w, "image", GL_IMAGE);
	yw_endmap(&w);
	for (size_t i = 0; i < c->njobs; i++)
		gljob(c, &w, &c->jobs[i]);
	yw_endmap(&w);
	size_t len;
	char *data = yw_end(&w, &len);
	outset_add(out, xstrdup(emit_fixed[1]), data, len, "project");
}

void
emit_ci(const struct graph *g, struct outset *out)
{
	const struct spec *s = g->spec;
	const struct spec_ci *ci = &s->ci;
	if (!ci->set || !(ci->dpc_path || (ci->dpc_git && ci->dpc_ref)))
		return; /* no ci:, or one the front end reported */
	struct ci c = {.g = g, .s = s, .c = ci};
	for (size_t i = 0; i < LEN(adapters); i++)
		if (strcmp(adapters[i].type, s->warehouse.type) == 0)
			c.ad = &adapters[i];
	if (!c.ad)
		return;
	char *what = xasprintf("the spec %s", s->nfiles ? s->files[0] : "pipeline.yaml");
	c.header = xasprintf(DPC_HEADER, what);
	free(what);
	c.dagster = dagster_root(s);
	c.secrets = xreallocarray(NULL, ci->nsecrets + 1, sizeof(*c.secrets));
	if (ci->nsecrets)
		memcpy(c.secrets, ci->secrets, ci->nsecrets * sizeof(*c.secrets));
	c.nsecrets = ci->nsecrets;
	qsort(c.secrets, c.nsecrets, sizeof(*c.secrets), cmp_str);
	describe(&c);
	if (listed(ci->providers, ci->nproviders, "github"))
		github(&c, out);
	if (listed(ci->providers, ci->nproviders, "gitlab"))
		gitlab(&c, out);
	freejobs(&c);
	free(c.secrets);
	free(c.dagster);
	free(c.header);
}
