#!/bin/sh
# make demo: compile the reference example in place, run it on its SQLite
# warehouse, and show what it made.
set -eu
cd examples/bikeshare
../../build/dpc build
../../build/dpc check
echo
echo "dpc: running the pipeline on warehouse.db (SQLite):"
../../build/dpc run
echo
echo "dpc: the generated dbt project is in examples/bikeshare/data/dbt; the graph:"
../../build/dpc graph --format mermaid
