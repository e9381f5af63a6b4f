# config.mk: where dpc's dependencies are, from pkg-config. Override any of
# these on the make command line (make PKG_CONFIG=... or LIBS=...).
PKG_CONFIG = pkg-config
PKGS = yaml-0.1 libcjson libxxhash sqlite3 tree-sitter
DEP_CFLAGS = `$(PKG_CONFIG) --cflags $(PKGS)`
DEP_LIBS = `$(PKG_CONFIG) --libs $(PKGS)` -pthread
