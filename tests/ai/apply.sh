#!/bin/sh
# Writing a dpc ai change: a change whose Supabase migration is destructive
# (a dropped column) lists the step in the plan and is written only with
# --allow-destructive as well as --apply; at a terminal (stdin and stdout
# TTYs, CI unset) dpc asks, and writes on "y" alone. The build after it
# needs --allow-destructive too, and then check passes.
. "$(dirname "$0")/scenarios/lib.sh" "$@"

cd "$t"
expect 0 "$DPC" init --supabase shop
cd shop
expect 0 "$DPC" build
cp pipeline.yaml "$t/orig.yaml"
spec_copy=$t/orig.yaml
ask="Drop the rating of product reviews"

# the plan shows the destructive step; --apply alone refuses
start_fake openai destructive.json
expect 1 "$DPC" ai generate --prompt "$ask" --apply
has "$t/out" "destructive migration steps:" "drop column product_reviews.rating" "-      rating:" \
	"table.product_reviews" "embedding.review_embeddings"
has "$t/err" "destructive migration steps" "--allow-destructive" "nothing was written"
same_spec
start_fake openai destructive.json
expect 1 "$DPC" ai generate --prompt "$ask" --apply --format json
jsok "$t/out" 'd["destructive"] == ["drop column product_reviews.rating"] and d["applied"] is False and "--allow-destructive" in d["error"]'
jsok "$t/out" 'any(p["path"].startswith("supabase/migrations/") and p["action"] == "add" for p in d["plan"])'
same_spec

# at a terminal: "n" writes nothing, "y" writes (script(1) gives dpc a TTY)
if command -v script >/dev/null 2>&1; then
	for answer in n y; do
		start_fake openai destructive.json
		printf '%s\n' "$answer" | env -u CI script -qec "'$DPC' ai generate --prompt '$ask' --allow-destructive" \
			/dev/null >"$t/tty" 2>&1 || fail "script: $(cat "$t/tty")"
		has "$t/tty" "write this change? [y/N]"
		if [ "$answer" = n ]; then
			has "$t/tty" "nothing was written"
			same_spec
		else
			has "$t/tty" "dpc: wrote pipeline.yaml" "next: dpc build --allow-destructive"
		fi
	done
	# without a TTY the same command never asks, and writes nothing
	cp "$t/orig.yaml" pipeline.yaml
	start_fake openai destructive.json
	expect 0 "$DPC" ai generate --prompt "$ask" --allow-destructive </dev/null
	hasnt "$t/err" "write this change?"
	same_spec
fi

# --apply --allow-destructive: written, and the build needs the flag too
start_fake anthropic destructive.json
expect 0 "$DPC" ai generate --prompt "$ask" --apply --allow-destructive
has "$t/out" "dpc: wrote pipeline.yaml" "next: dpc build --allow-destructive"
grep -q "rating:" pipeline.yaml && fail "the rating column is still in the spec"
expect 2 "$DPC" build
has "$t/err" "needs --allow-destructive"
expect 0 "$DPC" build --allow-destructive
expect 0 "$DPC" check --allow-destructive
expect 0 "$DPC" log --format json
jsok "$t/out" 'd["entries"][0]["applied"] is True and [e["applied"] for e in d["entries"]].count(True) == 2'
echo "$name: ok"
