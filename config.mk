# config.mk: where dpc's dependencies are, from pkg-config. Override any of
# these on the make command line (make PKG_CONFIG=... or LIBS=...).
PKG_CONFIG = pkg-config
PKGS = yaml-0.1 libcjson libxxhash sqlite3 tree-sitter
# libcurl: its header only; compiler/llm.c opens libcurl.so.4 when dpc ai
# first makes a request (linking it costs every command ~5 ms at start-up)
DEP_CFLAGS = `$(PKG_CONFIG) --cflags $(PKGS) libcurl`
DEP_LIBS = `$(PKG_CONFIG) --libs $(PKGS)` -ldl -pthread
