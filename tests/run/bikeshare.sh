#!/bin/sh
# run/bikeshare: the reference example runs end to end (as make demo runs
# it), and its marts hold what the seed CSVs say, computed here apart from
# dpc and SQL with Python's csv module: rides per day (members, casual
# riders, average duration, days with weather but no ride), and per station
# the rides started and ended and their average duration.
. "$(dirname "$0")/lib/common.sh"
cp -R "$TOP/examples/bikeshare" "$T/b"
cd "$T/b"
rm -rf .dpc warehouse.db target
"$DPC" run >"$T/out" 2>&1 || fail "dpc run: $(cat "$T/out")"
grep -q '^Done. PASS=[0-9]* WARN=0 ERROR=0' "$T/out" || fail "not every test passed: $(cat "$T/out")"
"$PY" - warehouse.db <<'PY' || fail "the marts do not match the seeds"
import csv, datetime, sqlite3, sys

def rows(name):
    with open("seeds/%s.csv" % name, newline="") as f:
        return list(csv.DictReader(f))

t = lambda s: datetime.datetime.strptime(s.strip(), "%Y-%m-%d %H:%M:%S")
trips = []
for r in rows("raw_trips"):
    d = round((t(r["ended_at"]) - t(r["started_at"])).total_seconds())
    if d >= 60:  # vars: min_trip_seconds
        trips.append(dict(day=r["started_at"][:10], start=int(r["start_station_id"]),
                          end=int(r["end_station_id"]), secs=d, member=r["member_type"].strip().lower()))
days = {x["day"] for x in trips} | {r["date"] for r in rows("raw_weather")}
db = sqlite3.connect(sys.argv[1])
bad = []
def close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 0.051)

got = {r[0]: r[1:] for r in db.execute(
    "select ride_date, rides, member_rides, casual_rides, avg_duration_minutes from fct_daily_rides")}
if set(got) != days:
    bad.append("fct_daily_rides days: %s" % sorted(set(got) ^ days))
for day in sorted(days):
    ts = [x for x in trips if x["day"] == day]
    want = (len(ts), sum(x["member"] == "member" for x in ts), sum(x["member"] == "casual" for x in ts),
            sum(x["secs"] for x in ts) / len(ts) / 60 if ts else None)
    g = got.get(day)
    if not g or g[:3] != want[:3] or not close(g[3], want[3]):
        bad.append("fct_daily_rides %s: got %s, want %s" % (day, g, want))

got = {r[0]: r[1:] for r in db.execute(
    "select station_id, rides_started, rides_ended, net_bikes_gained, avg_duration_minutes from dim_stations")}
for r in rows("raw_stations"):
    s = int(r["station_id"])
    dep = [x for x in trips if x["start"] == s]
    arr = sum(x["end"] == s for x in trips)
    want = (len(dep), arr, arr - len(dep), sum(x["secs"] for x in dep) / len(dep) / 60 if dep else None)
    g = got.get(s)
    if not g or g[:3] != want[:3] or not close(g[3], want[3]):
        bad.append("dim_stations %s: got %s, want %s" % (s, g, want))

got = {(r[0], r[1]): r[2:] for r in db.execute(
    "select station_id, ride_date, rides, avg_duration_seconds from fct_station_daily")}
want = {}
for x in trips:
    want.setdefault((x["start"], x["day"]), []).append(x["secs"])
if set(got) != set(want):
    bad.append("fct_station_daily keys differ: %s" % sorted(set(got) ^ set(want))[:5])
for k, v in want.items():
    g = got.get(k)
    if not g or g[0] != len(v) or not close(g[1], sum(v) / len(v)):
        bad.append("fct_station_daily %s: got %s, want %s" % (k, g, (len(v), sum(v) / len(v))))
for b in bad[:20]:
    print(b)
sys.exit(1 if bad else 0)
PY
# a second run has nothing to do; a new trip rebuilds exactly what reads it
"$DPC" run >"$T/out2" 2>&1 || fail "second run: $(cat "$T/out2")"
grep -q 'nothing to run' "$T/out2" || fail "second run: $(cat "$T/out2")"
echo '50999,1001,101,102,2024-06-16 10:00:00,2024-06-16 10:20:00,member' >>seeds/raw_trips.csv
run_json "$T/3.json" run
[ $rc -eq 0 ] || fail "run after a new trip: exit $rc"
expect "downstream of raw_trips" "$(executed "$T/3.json")" "dim_stations fct_daily_rides fct_station_daily raw_trips stg_trips"
expect "the new trip" "$(q warehouse.db "select rides from fct_station_daily where station_id = 101 and ride_date = '2024-06-16'")" \
	"$("$PY" -c 'import csv
print(sum(1 for r in csv.DictReader(open("seeds/raw_trips.csv")) if r["start_station_id"] == "101" and r["started_at"].startswith("2024-06-16")))')"
echo "run/$NAME: ok"
