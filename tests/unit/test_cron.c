/* test_cron.c: the time formats of schedules and sensors (cron.c): cron
 * expressions that must pass and must fail, with the message of a failure,
 * time zone names, intervals. Each case is one line of a table. */
#include <stdio.h>
#include <string.h>

#include "cron.h"
#include "check.h"

/* run check on s; the first message, or "" when it passed */
static bool
run(bool (*check)(struct diags *, struct loc, const char *), const char *s, char *msg, size_t size,
    char *hint, size_t hsize)
{
	struct diags d = {0};
	bool ok = check(&d, NOLOC, s);
	snprintf(msg, size, "%s", d.n ? d.v[0].msg : "");
	snprintf(hint, hsize, "%s", d.n && d.v[0].hint ? d.v[0].hint : "");
	CHECK(ok == (d.nerrors == 0), "'%s': the result agrees with the errors recorded", s);
	diag_free(&d);
	return ok;
}

static void
test_cron(void)
{
	static const char *const good[] = {
		"0 3 * * *", "*/15 * * * *", "0 0 1 1 *", "59 23 31 12 7", "0 0 * * 0",
		"0 8-18/2 * * mon-fri", "0,30 * * jan,jul SUN", "5/10 * * * *", " 0 3 * * * ",
		"0\t3\t*\t*\t*", "00 03 * * *", "0 0 1-31/31 * *", "* * * * */8", "@daily",
		"@hourly", "@weekly", "@monthly", "@yearly", "@annually", "@midnight",
	};
	char msg[300], hint[64];
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK(run(cron_check, good[i], msg, sizeof(msg), hint, sizeof(hint)), "'%s' passes: %s",
		      good[i], msg);
	static const struct {
		const char *cron, *msg, *hint;
	} bad[] = {
		{"0 25 * * *", "hour 25 is out of range 0-23", ""},
		{"60 * * * *", "minute 60 is out of range 0-59", ""},
		{"0 0 0 * *", "day of month 0 is out of range 1-31", ""},
		{"0 0 * 13 *", "month 13 is out of range 1-12", ""},
		{"0 0 * * 8", "day of week 8 is out of range 0-7", ""},
		{"0 3 * *", "4 fields", ""},
		{"0 3 * * * *", "6 fields", ""},
		{"", "0 fields", ""},
		{"*/0 * * * *", "minute step '0' must be a number from 1 to 60", ""},
		{"0 */25 * * *", "hour step '25'", ""},
		{"0 3 * * fryday", "day of week 'fryday' is not a number", ""},
		{"0 3 * jnu *", "month 'jnu' is not a number", "jun"},
		{"0 5-1 * * *", "hour range '5-1' runs backwards", ""},
		{"0 3 ? * *", "day of month '?'", ""},
		{"0 3 L * *", "day of month 'L'", ""},
		{"0 3 * * 1#2", "day of week '1#2'", ""},
		{"0,,5 3 * * *", "minute has an empty list item", ""},
		{"0, 3 * * *", "minute has an empty list item", ""},
		{"/5 * * * *", "minute needs a value before '/'", ""},
		{"*-5 * * * *", "minute '*'", ""},
		{"@daly", "unknown shorthand", "@daily"},
		{"@reboot", "unknown shorthand", ""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		bool ok = run(cron_check, bad[i].cron, msg, sizeof(msg), hint, sizeof(hint));
		CHECK(!ok && strstr(msg, bad[i].msg) && strcmp(hint, bad[i].hint) == 0,
		      "'%s' fails with '%s' (hint '%s'): got '%s' (hint '%s')", bad[i].cron, bad[i].msg,
		      bad[i].hint, msg, hint);
	}
	/* every problem of an expression at once */
	struct diags d = {0};
	CHECK(!cron_check(&d, NOLOC, "61 25 0 13 9") && d.nerrors == 5, "five fields, five errors: %zu",
	      d.nerrors);
	diag_free(&d);
}

static void
test_tz(void)
{
	static const char *const good[] = {"UTC", "Europe/Berlin", "America/Argentina/Buenos_Aires",
					   "Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince", "US/Eastern",
					   "Antarctica/DumontDUrville"};
	char msg[300], hint[64];
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		CHECK(run(tz_check, good[i], msg, sizeof(msg), hint, sizeof(hint)), "'%s' passes: %s", good[i], msg);
	static const struct {
		const char *tz, *msg, *hint;
	} bad[] = {
		{"utc", "not an IANA time zone name", "UTC"},
		{"GMT", "not an IANA time zone name", "UTC"},
		{"CET", "not an IANA time zone name", ""},
		{"Amercia/New_York", "'Amercia' is not an area", "America/New_York"},
		{"Mars/Olympus", "'Mars' is not an area", ""},
		{"Europe/", "not an IANA time zone name", ""},
		{"Europe//Berlin", "not an IANA time zone name", ""},
		{"Europe/Ber lin", "not an IANA time zone name", ""},
		{"/Europe", "not an IANA time zone name", ""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		bool ok = run(tz_check, bad[i].tz, msg, sizeof(msg), hint, sizeof(hint));
		CHECK(!ok && strstr(msg, bad[i].msg) && strcmp(hint, bad[i].hint) == 0,
		      "'%s' fails with '%s' (hint '%s'): got '%s' (hint '%s')", bad[i].tz, bad[i].msg, bad[i].hint,
		      msg, hint);
	}
}

static void
test_interval(void)
{
	static const struct {
		const char *s;
		long long secs; /* -1: not an interval */
	} cases[] = {
		{"30s", 30}, {"1s", 1}, {"5m", 300}, {"2h", 7200}, {"1d", 86400}, {"86400s", 86400},
		{"0s", -1}, {"30", -1}, {"s", -1}, {"", -1}, {"1.5h", -1}, {"30 s", -1}, {"30x", -1},
		{"030s", -1}, {"-5s", -1}, {"366d", -1}, {"99999999999999999999s", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		long long v = -1;
		bool ok = interval_parse(cases[i].s, &v);
		CHECK(ok == (cases[i].secs >= 0) && (!ok || v == cases[i].secs), "'%s': %lld seconds, got %s %lld",
		      cases[i].s, cases[i].secs, ok ? "ok" : "rejected", v);
	}
}

int
main(void)
{
	test_cron();
	test_tz();
	test_interval();
	return check_done("cron");
}
