# shellcheck shell=bash
# The noisy-neighbour part of Scripts/bench: a small unit's requests and imports, in a database of
# its own (alone) and beside the 1,000,000-customer unit (in the bench's database), measured back
# to back in one run. Needs $bin, $work, $seconds, PG* set and the database `crm` seeded. The
# figures should match: every plan starts from the caller's own unit.
#
#   lookup  api.customers_lookup of the small unit's numbers (pgbench, 4 connections)
#   order   api.orders_create for its customers (pgbench, 4 connections)
#   leads   crm import leads, 2,000 rows into one of its campaigns

neighbour_customers=2000

# neighbour_unit DB: seeds the unit `small` into DB and writes $work/small-DB.sql (the request
# context) and $work/small-DB.env (its customers' first sequence number, product, campaign).
neighbour_unit() {
    local db=$1 base ids key_id principal_id tenant_id product campaign
    base=$(psql -qXAt -d "$db" -c "select count(*) from crm.customer")
    DATABASE_URL=$(pgc_url "$work/pg" "$db") "$bin/crm" seed --tenant small --customers "$neighbour_customers" --batch "$neighbour_customers" >/dev/null
    # crm seed numbers the unit's customers after every customer before them: the n-th is
    # crm.opaque_id(base + n). Checked, so a seed that numbers otherwise fails loudly here.
    if [[ $(psql -qXAt -d "$db" -c "select t.slug from crm.customer c join crm.tenant t on t.id = c.tenant_id
                                     where c.id = crm.opaque_id($base + $neighbour_customers)") != small ]]; then
        echo "error: the small unit's customers are not numbered from $base" >&2
        return 1
    fi
    DATABASE_URL=$(pgc_url "$work/pg" "$db") "$bin/crm" key create --tenant small --role manager >/dev/null
    ids=$(psql -qXAt -d "$db" -F ' ' -c "select k.id, p.id, p.tenant_id from crm.api_key k join crm.principal p on p.id = k.principal_id
                                          join crm.tenant t on t.id = p.tenant_id where t.slug = 'small' order by k.created_at desc limit 1")
    read -r key_id principal_id tenant_id <<<"$ids"
    product=$(psql -qXAt -d "$db" -c "select id from crm.product where tenant_id = '$tenant_id' order by id limit 1")
    campaign=$(psql -qXAt -d "$db" -c "select set_config('role', 'crm_unit', false), set_config('crm.tenant', 'small', false)" \
        -c "select crm.create_campaign('{\"name\": \"Neighbour list\"}')->>'id'" | tail -n 1)
    local context="select crm.enter_request('$key_id'), set_config('crm.tenant_id', '$tenant_id', true), set_config('crm.partner_id', '', true),
       set_config('crm.principal_id', '$principal_id', true), set_config('crm.app_role', 'manager', true), set_config('role', 'crm_unit', true);"
    cat >"$work/small-$db-lookup.sql" <<SQL
\set n random(1, $neighbour_customers)
BEGIN;
$context
select api.customers_lookup('030 ' || lpad(:n::text, 9, '0')) as json;
COMMIT;
SQL
    cat >"$work/small-$db-order.sql" <<SQL
\set n random(1, $neighbour_customers)
BEGIN;
$context
select api.orders_create(crm.opaque_id($base + :n), null, null, '[{"product_id": "$product", "quantity": 1}]'::jsonb, null, null, null) as json;
COMMIT;
SQL
    echo "$campaign" >"$work/small-$db-campaign"
}

# neighbour_measure DB: one line of the small unit's figures in DB.
neighbour_measure() {
    local db=$1 lookup order s
    lookup=$(pgbench -n -M prepared -c 4 -j 2 -T "$seconds" -f "$work/small-$db-lookup.sql" "$db" 2>&1 | awk '/^tps/ { printf "%.0f", $3; exit }')
    order=$(pgbench -n -M prepared -c 4 -j 2 -T "$seconds" -f "$work/small-$db-order.sql" "$db" 2>&1 | awk '/^tps/ { printf "%.0f", $3; exit }')
    { echo "name,email,phone,region"; seq 1 2000 | awk -v d="$db" '{ printf "Neighbour %d,%s-n%d@bench.example,+49 40 %d,north\n", $1, d, $1, 70000000 + $1 }'; } >"$work/small-leads.csv"
    local started; started=$(date +%s.%N)
    DATABASE_URL=$(pgc_url "$work/pg" "$db") "$bin/crm" import leads "$work/small-leads.csv" --tenant small --campaign "$(cat "$work/small-$db-campaign")" >/dev/null
    s=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    echo "lookup $lookup tps, order $order tps, 2,000 leads imported in $s s"
}

# bench_neighbour SECTION: measures both ways and writes the Markdown section to SECTION.
bench_neighbour() {
    local section=$1 alone beside
    echo "== a small unit alone and beside the big one"
    createdb crm_alone
    DATABASE_URL=$(pgc_url "$work/pg" crm_alone) "$bin/crm" migrate >/dev/null 2>&1
    neighbour_unit crm_alone
    neighbour_unit crm
    alone=$(neighbour_measure crm_alone)
    beside=$(neighbour_measure crm)
    echo "small unit alone: $alone"
    echo "small unit beside the big one: $beside"
    {
        echo "## A small unit beside a big one"
        echo
        echo "A unit of $neighbour_customers customers (\`crm seed --tenant small\`), alone in a database and beside the"
        echo "unit of $customers customers, measured back to back: its phone lookup and orders.create statements"
        echo "through \`pgbench -M prepared -c 4\` ($seconds s each, as the server sends them), and a CSV of 2,000"
        echo "leads through \`crm import leads\`."
        echo
        echo '```'
        echo "alone:  $alone"
        echo "beside: $beside"
        echo '```'
        echo
    } >"$section"
    dropdb crm_alone
}
