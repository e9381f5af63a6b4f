/* dbutil.h: the one-statement SQLite queries the state DB (state.c) and the
 * warehouse's run state (runtime/wh.c, runtime/noop.c) both make. */
#ifndef DPC_DBUTIL_H
#define DPC_DBUTIL_H

struct sqlite3;

/* the text of the first column of the first row of sql, with ? bound to
 * arg (NULL: nothing bound); owned, or NULL when there is no row, the value
 * is NULL or the statement fails */
char *db_text(struct sqlite3 *db, const char *sql, const char *arg);
/* run sql to its end with its ?s bound to a and b (NULL: left unbound);
 * returns SQLITE_DONE, or the error code */
int db_run(struct sqlite3 *db, const char *sql, const char *a, const char *b);

#endif
