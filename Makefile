# dpc: the data pipeline compiler. GNU make (Debian's make); see README.md.
#
#   make          build build/dpc
#   make demo     install what is missing, build, compile examples/bikeshare
#   make test     install what is missing, build, run the whole suite
#   make fuzz     run the libFuzzer targets (FUZZ_SECONDS each)
#   make bench    the build-engine benchmark (not part of make test)
.SUFFIXES:

include config.mk

PREFIX ?= /usr/local
CC = cc
VERSION = 0.1.0
WARN = -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes
DPC_CFLAGS = -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -DDPC_VERSION='"$(VERSION)"' $(WARN) $(DEP_CFLAGS) -Icompiler -Iruntime -Ibuild
CFLAGS = -O2 -g
FUZZ_SECONDS = 60
# parallel compiles for demo and test: one per CPU
JOBS != nproc 2>/dev/null || echo 2

SRC = compiler/util.c compiler/diag.c compiler/yamldoc.c compiler/spec.c compiler/spec_app.c \
	compiler/cron.c compiler/sqlscan.c compiler/select.c compiler/ir.c compiler/yamlout.c \
	compiler/emit_dbt.c compiler/emit_dagster.c compiler/emit_ci.c compiler/emit_registry.c compiler/emit_agents.c \
	compiler/pgschema.c compiler/pgdiff.c compiler/emit_supabase.c \
	compiler/state.c compiler/dbutil.c compiler/state_ai.c compiler/llm.c compiler/build.c compiler/fresh.c compiler/diff.c compiler/compile.c compiler/quick.c \
	compiler/pyscan.c compiler/airflow.c compiler/spec_airflow.c compiler/emit_airflow.c \
	compiler/migrate.c compiler/specedit.c compiler/specedit_value.c compiler/ai_prompt.c compiler/ai_context.c compiler/ai_change.c \
	compiler/analyze.c compiler/analyze_dbt.c compiler/analyze_py.c compiler/analyze_sql.c \
	compiler/analyze_spec.c \
	runtime/jinja.c runtime/jinja_parse.c runtime/csv.c runtime/wh.c runtime/run.c runtime/render.c \
	runtime/runsel.c runtime/checks.c runtime/mat.c runtime/noop.c runtime/report.c
# the commands that live outside main.c (cli.h): linked with main.c only
CMDSRC = compiler/cmd_new.c compiler/cmd_ai.c compiler/cmd_log.c
HDR = compiler/*.h runtime/*.h
# tree-sitter-python's generated parser, fetched from the npm registry at a
# pinned version by tools/fetch-grammar.sh (never committed)
GRAMMAR = build/grammar
GRAMMAR_OBJ = $(GRAMMAR)/parser.o $(GRAMMAR)/scanner.o
EMBED = init/pipeline.yaml=stdlib/init/pipeline.yaml \
	init/README.md=stdlib/init/README.md \
	init/gitignore=stdlib/init/gitignore \
	init/sql/staging/stg_orders.sql=stdlib/init/sql/staging/stg_orders.sql \
	init/sql/staging/stg_customers.sql=stdlib/init/sql/staging/stg_customers.sql \
	init/sql/marts/fct_orders.sql=stdlib/init/sql/marts/fct_orders.sql \
	init/seeds/raw_orders.csv=stdlib/init/seeds/raw_orders.csv \
	init/seeds/raw_customers.csv=stdlib/init/seeds/raw_customers.csv \
	initx/supabase.yaml=stdlib/initx/supabase.yaml \
	initx/ci.yaml=stdlib/initx/ci.yaml \
	specs/pipeline.schema.json=specs/pipeline.schema.json \
	specs/fragment.schema.json=specs/fragment.schema.json \
	prompts/generate.yaml=stdlib/prompts/generate.yaml \
	prompts/repair.yaml=stdlib/prompts/repair.yaml \
	prompts/explain.yaml=stdlib/prompts/explain.yaml \
	prompts/refactor.yaml=stdlib/prompts/refactor.yaml
EMBED_FILES = stdlib/init/pipeline.yaml stdlib/init/README.md stdlib/init/gitignore \
	stdlib/init/sql/staging/stg_orders.sql stdlib/init/sql/staging/stg_customers.sql \
	stdlib/init/sql/marts/fct_orders.sql stdlib/init/seeds/raw_orders.csv \
	stdlib/init/seeds/raw_customers.csv stdlib/initx/supabase.yaml stdlib/initx/ci.yaml \
	specs/pipeline.schema.json specs/fragment.schema.json \
	stdlib/prompts/generate.yaml stdlib/prompts/repair.yaml stdlib/prompts/explain.yaml \
	stdlib/prompts/refactor.yaml

all: build/dpc

# one fetch makes both files (a grouped target: make -j must not run it twice)
$(GRAMMAR)/parser.c $(GRAMMAR)/scanner.c &:
	sh tools/fetch-grammar.sh $(GRAMMAR)

# the grammar is generated code: built without dpc's warning flags
$(GRAMMAR)/parser.o: $(GRAMMAR)/parser.c
	$(CC) -std=c11 -O2 -g -I$(GRAMMAR) -c -o $@ $(GRAMMAR)/parser.c
$(GRAMMAR)/scanner.o: $(GRAMMAR)/scanner.c
	$(CC) -std=c11 -O2 -g -I$(GRAMMAR) -c -o $@ $(GRAMMAR)/scanner.c

build/embed: compiler/embed.c
	@mkdir -p build
	$(CC) -std=c11 -O1 -o $@ compiler/embed.c

build/embedded.c: build/embed $(EMBED_FILES)
	build/embed $@ $(EMBED)

# One object per source, so that a change recompiles only its file (make -j
# builds them in parallel): build/obj for build/dpc, build/asan for the
# AddressSanitizer and UBSan build the test suite runs on. Every object
# depends on every header: simple, and a header change is rare.
ALLSRC = $(SRC) $(CMDSRC) compiler/main.c build/embedded.c
OBJ = $(ALLSRC:%.c=build/obj/%.o)
AOBJ = $(ALLSRC:%.c=build/asan/%.o)
ASAN = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

build/obj/%.o: %.c $(HDR) build/embedded.c
	@mkdir -p $(@D)
	$(CC) $(DPC_CFLAGS) $(CFLAGS) -c -o $@ $<
build/asan/%.o: %.c $(HDR) build/embedded.c
	@mkdir -p $(@D)
	$(CC) $(DPC_CFLAGS) $(ASAN) -c -o $@ $<

# the build id: a hash of the sources, so a changed dpc never trusts the
# state an older one wrote (compile.c holds it; the sanitizer build's is "asan")
build/obj/compiler/compile.o: $(ALLSRC) $(HDR)
	@mkdir -p $(@D)
	$(CC) $(DPC_CFLAGS) $(CFLAGS) -DDPC_BUILD_ID="\"`cat $(ALLSRC) $(HDR) | cksum | cut -d' ' -f1`\"" \
		-c -o $@ compiler/compile.c
build/asan/compiler/compile.o: compiler/compile.c $(HDR) build/embedded.c
	@mkdir -p $(@D)
	$(CC) $(DPC_CFLAGS) $(ASAN) -DDPC_BUILD_ID='"asan"' -c -o $@ compiler/compile.c

build/dpc: $(OBJ) $(GRAMMAR_OBJ)
	$(CC) $(CFLAGS) -o $@ $(OBJ) $(GRAMMAR_OBJ) $(LDFLAGS) $(DEP_LIBS)

build/dpc-asan: $(AOBJ) $(GRAMMAR_OBJ)
	$(CC) $(ASAN) -o $@ $(AOBJ) $(GRAMMAR_OBJ) $(DEP_LIBS)

# what the unit tests link with (tests/run.sh): the sanitizer build's
# objects, main.c and the commands left out
COREOBJ = $(SRC:%.c=build/asan/%.o) build/asan/build/embedded.o
print-core: $(COREOBJ) $(GRAMMAR_OBJ)
	@echo $(COREOBJ) $(GRAMMAR_OBJ)
# the same sources, for tests/fuzz/run.sh to compile with clang's fuzzer
print-src: build/embedded.c
	@echo $(SRC) build/embedded.c

deps:
	sh tools/install-deps.sh

demo: deps
	$(MAKE) -j$(JOBS) build/dpc
	sh tools/demo.sh

test-deps:
	sh tools/install-deps.sh --test

test: test-deps
	$(MAKE) -j$(JOBS) build/dpc build/dpc-asan
	sh tests/run.sh

fuzz: deps
	sh tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: deps build/dpc
	sh bench/run.sh

install: build/dpc
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	cp build/dpc $(DESTDIR)$(PREFIX)/bin/dpc
	cp docs/dpc.1 $(DESTDIR)$(PREFIX)/share/man/man1/dpc.1

clean:
	rm -rf build

.PHONY: all print-core print-src deps test-deps demo test fuzz bench install clean
