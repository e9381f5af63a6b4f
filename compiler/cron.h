/* cron.h: the time formats of schedules and sensors, checked with no clock
 * and no time zone database (the same spec must give the same answer on
 * every machine): cron expressions, IANA time zone names, sensor intervals.
 * A problem is a diagnostic at loc, narrowed to the part at fault when the
 * text stands verbatim in the spec file. */
#ifndef DPC_CRON_H
#define DPC_CRON_H

#include <stdbool.h>

#include "diag.h"

/* Is s a cron expression: five fields (minute 0-59, hour 0-23, day of month
 * 1-31, month 1-12 or jan-dec, day of week 0-7 or sun-sat, 0 and 7 both
 * Sunday), each a comma-separated list of *, a value, a range a-b, any of
 * those with a step /n; or one of @yearly @annually @monthly @weekly @daily
 * @midnight @hourly? Names are case-insensitive. Records every problem. */
bool cron_check(struct diags *d, struct loc loc, const char *s);

/* Is s shaped like an IANA time zone name: UTC, or Area/Location[/More]
 * with a known area (Africa, America, ..., Etc, and the US, Canada, Brazil,
 * Chile and Mexico links)? Whether the zone exists is not checked. */
bool tz_check(struct diags *d, struct loc loc, const char *s);

/* parse an interval, a positive whole number and a unit s, m, h or d
 * ("30s", "5m"), into seconds; false if s is not one or exceeds a year */
bool interval_parse(const char *s, long long *seconds);

#endif
