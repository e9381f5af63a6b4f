/* csv.h: the CSV files of seeds, read the way dbt reads them (RFC 4180):
 * fields separated by one delimiter character, quoted with "..." when they
 * hold the delimiter, a quote ("" inside quotes) or a line break; lines end
 * in \n or \r\n; a UTF-8 byte order mark is dropped. The first line names
 * the columns. An empty field is NULL; a quoted empty field ("") is the
 * empty string. A line with nothing on it is skipped. */
#ifndef DPC_CSV_H
#define DPC_CSV_H

#include <stdbool.h>
#include <stddef.h>

struct csv_field {
	const char *s;  /* the value, unquoted and unescaped, NUL-terminated; NULL for NULL */
	size_t len;
};

struct csv {
	size_t ncols, nrows;
	struct csv_field *head;   /* ncols column names */
	struct csv_field *cells;  /* nrows * ncols values, row by row */
	char *buf;                /* the bytes every field points into */
};

/* Read len bytes of text. Returns 0, or -1 with *err (owned) saying what
 * is wrong and on which line: an unclosed quote, a stray quote, a row with
 * more or fewer fields than the header, an empty or repeated column name.
 * Free the result with csv_free either way. */
int csv_parse(const char *text, size_t len, char delim, struct csv *out, char **err);
void csv_free(struct csv *c);

/* the SQLite type a column of values is loaded as when the spec gives
 * none: INTEGER when every value is a whole number, REAL when every value
 * is a number, else TEXT; a number with a leading zero (a code such as
 * 007), or with more digits than a double keeps, is text.
 * NULLs do not count; a column of NULLs is TEXT. */
const char *csv_infer(const struct csv *c, size_t col);

#endif
