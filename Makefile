# dpc: the data pipeline compiler. POSIX make; see README.md.
#
#   make          build build/dpc
#   make demo     install what is missing, build, compile examples/bikeshare
#   make test     install what is missing, build, run the whole suite
#   make fuzz     run the libFuzzer targets (FUZZ_SECONDS each)
#   make bench    the build-engine benchmark (not part of make test)
.POSIX:
.SUFFIXES:

include config.mk

PREFIX ?= /usr/local
CC = cc
VERSION = 0.1.0
WARN = -Wall -Wextra -Wpedantic -Wshadow -Wmissing-prototypes -Wstrict-prototypes
DPC_CFLAGS = -std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -DDPC_VERSION='"$(VERSION)"' $(WARN) $(DEP_CFLAGS) -Icompiler -Iruntime -Ibuild
CFLAGS = -O2 -g
FUZZ_SECONDS = 60

SRC = compiler/util.c compiler/diag.c compiler/yamldoc.c compiler/spec.c compiler/spec_app.c \
	compiler/cron.c compiler/sqlscan.c compiler/select.c compiler/ir.c compiler/yamlout.c \
	compiler/emit_dbt.c compiler/emit_dagster.c compiler/emit_ci.c compiler/emit_registry.c \
	compiler/pgschema.c compiler/pgdiff.c compiler/emit_supabase.c \
	compiler/state.c compiler/build.c compiler/fresh.c compiler/diff.c compiler/compile.c compiler/quick.c \
	compiler/pyscan.c compiler/airflow.c compiler/spec_airflow.c compiler/emit_airflow.c \
	compiler/migrate.c \
	compiler/analyze.c compiler/analyze_dbt.c compiler/analyze_py.c compiler/analyze_sql.c \
	compiler/analyze_spec.c \
	runtime/jinja.c runtime/jinja_parse.c runtime/csv.c runtime/wh.c runtime/run.c runtime/render.c \
	runtime/runsel.c runtime/checks.c runtime/mat.c runtime/noop.c runtime/report.c
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
	specs/pipeline.schema.json=specs/pipeline.schema.json
EMBED_FILES = stdlib/init/pipeline.yaml stdlib/init/README.md stdlib/init/gitignore \
	stdlib/init/sql/staging/stg_orders.sql stdlib/init/sql/staging/stg_customers.sql \
	stdlib/init/sql/marts/fct_orders.sql stdlib/init/seeds/raw_orders.csv \
	stdlib/init/seeds/raw_customers.csv stdlib/initx/supabase.yaml stdlib/initx/ci.yaml \
	specs/pipeline.schema.json

all: build/dpc

$(GRAMMAR)/parser.c $(GRAMMAR)/scanner.c:
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

# the build id: a hash of the sources, so a changed dpc never trusts the
# state an older one wrote
build/dpc: $(SRC) $(HDR) compiler/main.c build/embedded.c $(GRAMMAR_OBJ)
	$(CC) $(DPC_CFLAGS) $(CFLAGS) -DDPC_BUILD_ID="\"`cat $(SRC) $(HDR) compiler/main.c build/embedded.c | cksum | cut -d' ' -f1`\"" \
		-o $@ $(SRC) compiler/main.c build/embedded.c $(GRAMMAR_OBJ) $(LDFLAGS) $(DEP_LIBS)

# the same binary with AddressSanitizer and UBSan: the test suite runs on it
build/dpc-asan: $(SRC) $(HDR) compiler/main.c build/embedded.c $(GRAMMAR_OBJ)
	$(CC) $(DPC_CFLAGS) -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all \
		-DDPC_BUILD_ID='"asan"' -o $@ $(SRC) compiler/main.c build/embedded.c $(GRAMMAR_OBJ) $(DEP_LIBS)

# the sources the unit tests link with main.c left out (tests/run.sh)
print-core:
	@echo $(SRC) build/embedded.c $(GRAMMAR_OBJ)

deps:
	sh tools/install-deps.sh

demo: deps build/dpc
	sh tools/demo.sh

test-deps:
	sh tools/install-deps.sh --test

test: test-deps build/dpc build/dpc-asan
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

print-core: build/embedded.c $(GRAMMAR_OBJ)

.PHONY: all print-core deps test-deps demo test fuzz bench install clean
