/* cron.c: cron expressions, time zone names and intervals (see cron.h).
 * The cron dialect is the one Dagster's schedules and GitHub's `on:
 * schedule` both read: five fields, no seconds, no Quartz extensions
 * (? L W #). */
#include "cron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

struct field {
	const char *name;
	int lo, hi;
	const char *const *names; /* names for lo, lo+1, ...; NULL if none */
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
				     "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct field fields[] = {
	{"minute", 0, 59, NULL},
	{"hour", 0, 23, NULL},
	{"day of month", 1, 31, NULL},
	{"month", 1, 12, months},
	{"day of week", 0, 7, days},
};

static const char *const shorthands[] = {"@yearly", "@annually", "@monthly", "@weekly",
					 "@daily", "@midnight", "@hourly"};

/* one diagnostic about s[off, off + len) */
static void
problem(struct diags *d, struct loc loc, const char *s, size_t off, size_t len, const char *hint,
	const char *msg)
{
	struct diag *g = diag_add(d, SEV_ERROR, diag_subloc(d, loc, s, off, len), "cron '%s': %s", s, msg);
	diag_hint(g, hint);
}

/* a value of field f at s[0, n): a number or (month, weekday) a name;
 * -1 when it is neither, -2 when it is a number out of range */
static int
value(const struct field *f, const char *s, size_t n)
{
	if (n == 0)
		return -1;
	if (s[0] >= '0' && s[0] <= '9') {
		int v = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			if (v < 1000)
				v = v * 10 + (s[i] - '0');
		}
		return v < f->lo || v > f->hi ? -2 : v;
	}
	if (f->names && n == 3) {
		size_t count = f == &fields[3] ? LEN(months) : LEN(days);
		for (size_t i = 0; i < count; i++)
			if (strncasecmp(s, f->names[i], 3) == 0)
				return f->lo + (int)i;
	}
	return -1;
}

/* check one value at s[off, off + n) of field f; its number or -1 */
static int
checkvalue(struct diags *d, struct loc loc, const char *s, size_t off, size_t n, const struct field *f)
{
	char msg[160];
	int v = value(f, s + off, n);
	if (v >= 0)
		return v;
	char word[8] = "";
	if (n < sizeof(word))
		memcpy(word, s + off, n), word[n] = '\0';
	const char *hint = NULL;
	if (v == -2) {
		snprintf(msg, sizeof(msg), "%s %.*s is out of range %d-%d", f->name, (int)n, s + off, f->lo, f->hi);
	} else if (f->names) {
		snprintf(msg, sizeof(msg), "%s '%.*s' is not a number from %d to %d or a name (%s-%s)", f->name,
			 (int)n, s + off, f->lo, f->hi, f->names[0], f->names[f == &fields[3] ? 11 : 6]);
		hint = did_you_mean(word, f->names, f == &fields[3] ? LEN(months) : LEN(days));
	} else {
		snprintf(msg, sizeof(msg), "%s '%.*s' is not a number from %d to %d", f->name, (int)n, s + off,
			 f->lo, f->hi);
	}
	problem(d, loc, s, off, n, hint, msg);
	return -1;
}

/* one list item of field f at s[off, off + n): *, v, a-b, each with /step */
static bool
checkitem(struct diags *d, struct loc loc, const char *s, size_t off, size_t n, const struct field *f)
{
	char msg[160];
	const char *p = s + off;
	const char *slash = memchr(p, '/', n);
	size_t base = slash ? (size_t)(slash - p) : n;
	bool ok = true;
	if (slash) {
		size_t sn = n - base - 1;
		int step = 0;
		bool num = sn > 0;
		for (size_t i = 0; i < sn && num; i++) {
			num = slash[1 + i] >= '0' && slash[1 + i] <= '9';
			if (step < 1000)
				step = step * 10 + (slash[1 + i] - '0');
		}
		if (!num || step < 1 || step > f->hi - f->lo + 1) {
			snprintf(msg, sizeof(msg), "%s step '%.*s' must be a number from 1 to %d", f->name, (int)sn,
				 slash + 1, f->hi - f->lo + 1);
			problem(d, loc, s, off + base, n - base, NULL, msg);
			ok = false;
		}
	}
	if (base == 1 && p[0] == '*')
		return ok;
	if (base == 0) {
		snprintf(msg, sizeof(msg), "%s needs a value before '/'", f->name);
		problem(d, loc, s, off, n, NULL, msg);
		return false;
	}
	const char *dash = memchr(p, '-', base);
	if (!dash)
		return checkvalue(d, loc, s, off, base, f) >= 0 && ok;
	size_t an = (size_t)(dash - p);
	int a = checkvalue(d, loc, s, off, an, f);
	int b = checkvalue(d, loc, s, off + an + 1, base - an - 1, f);
	if (a < 0 || b < 0)
		return false;
	if (a > b) {
		snprintf(msg, sizeof(msg), "%s range '%.*s' runs backwards", f->name, (int)base, p);
		problem(d, loc, s, off, base, NULL, msg);
		return false;
	}
	return ok;
}

bool
cron_check(struct diags *d, struct loc loc, const char *s)
{
	char msg[200];
	if (s[0] == '@') {
		for (size_t i = 0; i < LEN(shorthands); i++)
			if (strcmp(s, shorthands[i]) == 0)
				return true;
		snprintf(msg, sizeof(msg), "unknown shorthand; use @yearly, @monthly, @weekly, @daily, @hourly "
			 "or five fields");
		problem(d, loc, s, 0, strlen(s), did_you_mean(s, shorthands, LEN(shorthands)), msg);
		return false;
	}
	/* the fields: runs of characters between spaces and tabs */
	size_t start[6], len[6], nf = 0;
	for (size_t i = 0; s[i];) {
		while (s[i] == ' ' || s[i] == '\t')
			i++;
		if (!s[i])
			break;
		size_t j = i;
		while (s[j] && s[j] != ' ' && s[j] != '\t')
			j++;
		if (nf < LEN(start))
			start[nf] = i, len[nf] = j - i;
		nf++;
		i = j;
	}
	if (nf != 5) {
		snprintf(msg, sizeof(msg),
			 "%zu field%s; a cron expression has five: minute hour day-of-month month day-of-week",
			 nf, nf == 1 ? "" : "s");
		problem(d, loc, s, 0, strlen(s), NULL, msg);
		return false;
	}
	bool ok = true;
	for (size_t k = 0; k < 5; k++) {
		/* comma-separated items; an empty one (a,,b or a trailing comma) is an error */
		size_t i = start[k], end = start[k] + len[k];
		for (;;) {
			size_t j = i;
			while (j < end && s[j] != ',')
				j++;
			if (j == i) {
				snprintf(msg, sizeof(msg), "%s has an empty list item", fields[k].name);
				problem(d, loc, s, start[k], len[k], NULL, msg);
				ok = false;
				break;
			}
			ok &= checkitem(d, loc, s, i, j - i, &fields[k]);
			if (j == end)
				break;
			i = j + 1;
		}
	}
	return ok;
}

/* the areas of the IANA database, and the backward-compatible country links */
static const char *const areas[] = {
	"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
	"Indian", "Pacific", "Etc", "US", "Canada", "Brazil", "Chile", "Mexico",
};

static bool
tzchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '-' || c == '+';
}

bool
tz_check(struct diags *d, struct loc loc, const char *s)
{
	if (strcmp(s, "UTC") == 0)
		return true;
	const char *slash = strchr(s, '/');
	size_t an = slash ? (size_t)(slash - s) : strlen(s);
	bool shape = slash && slash[1] != '\0';
	for (const char *p = s; *p && shape; p++)
		shape = *p == '/' ? p[1] != '/' && p[1] != '\0' : tzchar(*p);
	bool area = false;
	for (size_t i = 0; i < LEN(areas); i++)
		area |= strlen(areas[i]) == an && strncmp(areas[i], s, an) == 0;
	if (shape && area)
		return true;
	struct diag *g;
	if (!slash || an == 0) {
		g = diag_add(d, SEV_ERROR, loc,
			     "timezone '%s' is not an IANA time zone name: write UTC or Area/City, like Europe/Berlin", s);
		static const char *const utc[] = {"UTC"};
		diag_hint(g, strcasecmp(s, "utc") == 0 || strcasecmp(s, "gmt") == 0 || strcasecmp(s, "z") == 0
				     ? "UTC" : did_you_mean(s, utc, 1));
		return false;
	}
	if (!area) {
		char *word = xstrndup(s, an);
		g = diag_add(d, SEV_ERROR, diag_subloc(d, loc, s, 0, an),
			     "timezone '%s': '%s' is not an area of the IANA time zone database", s, word);
		const char *cand = did_you_mean(word, areas, LEN(areas));
		if (cand) {
			char *full = xasprintf("%s%s", cand, slash);
			diag_hint(g, full);
			free(full);
		}
		free(word);
		return false;
	}
	diag_add(d, SEV_ERROR, loc,
		 "timezone '%s' is not an IANA time zone name: letters, digits, _, - and + in parts "
		 "separated by /", s);
	return false;
}

bool
interval_parse(const char *s, long long *seconds)
{
	if (!s || !(*s >= '1' && *s <= '9'))
		return false;
	long long v = 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (*s - '0');
		if (v > 31536000)
			return false;
	}
	long long unit = *s == 's' ? 1 : *s == 'm' ? 60 : *s == 'h' ? 3600 : *s == 'd' ? 86400 : 0;
	if (!unit || s[1] != '\0' || v * unit > 31536000)
		return false;
	*seconds = v * unit;
	return true;
}
