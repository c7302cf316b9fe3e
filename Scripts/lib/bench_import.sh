# shellcheck shell=bash
# The bulk-import part of Scripts/bench: `crm import` at real size, against `psql \copy` of the
# same file into a bare table. Needs $bin (release binaries), $work, DATABASE_URL and PG* set, and
# a unit `seed` (the big one, from crm seed). Prints each figure and writes the Markdown section
# of BENCHMARKS.md to the file named by its argument.
#
#   customers into the big unit (100,000 rows) ......... target >= 20,000 rows/s
#   leads into a campaign of an empty unit (100,000) ... target >= 50,000 rows/s
#   70,000 order lines for 23,000 customers ............ target <= 10 s (a mail-order retailer's 18 months)
#   10k, 100k, 1M order lines into empty units ......... rows/s should not fall with size

# seconds_of COMMAND...: runs it (output to $work/import.out) and prints the seconds it took.
seconds_of() {
    local started
    started=$(date +%s.%N)
    "$@" >"$work/import.out" 2>&1 || { cat "$work/import.out" >&2; return 1; }
    awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / (s > 0 ? s : 0.001) }'; }

# customers_csv N PREFIX: N customers with unique emails and phones.
customers_csv() {
    echo "name,email,phone,city"
    seq 1 "$1" | awk -v p="$2" '{ printf "%s customer %d,%s%d@bench.example,+49 40 %d,Hamburg\n", p, $1, p, $1, 30000000 + $1 }'
}

# orders_csv LINES CUSTOMERS PREFIX: LINES order lines, about 3 per order, spread over CUSTOMERS
# customers (by email) and 18 months, SKUs P1..P200.
orders_csv() {
    echo "order_ref,ordered_at,sku,quantity,customer_email,status"
    awk -v lines="$1" -v customers="$2" -v p="$3" 'BEGIN {
        srand(42)
        for (i = 0; i < lines; i++) {
            order = int(i / 3)
            c = (order * 7919) % customers + 1
            day = order % 540
            printf "%s-%d,%s,P%d,%d,%s%d@bench.example,delivered\n", p, order, \
                strftime("%Y-%m-%d", 1704067200 + day * 86400, 1), (i * 31) % 200 + 1, 1 + i % 3, p, c
        }
    }'
}

bench_import() {
    local section=$1 s n
    local -a lines=()
    echo "== import at size"
    "$bin/crm" tenant create import-bench --name "Import bench" >/dev/null

    # The same file through psql \copy into a bare table: the floor.
    customers_csv 100000 big >"$work/customers.csv"
    psql -qX -d crm -c "create table public.bench_copy (name text, email text, phone text, city text)"
    s=$(seconds_of psql -qX -d crm -c "\\copy public.bench_copy from '$work/customers.csv' with (format csv, header)")
    local copy_rate; copy_rate=$(rate 100000 "$s")
    lines+=("psql \\copy of 100,000 customer rows into a bare table: $s s, $copy_rate rows/s")

    local held
    held=$(psql -qXAt -d crm -c "select count(*) from crm.customer c join crm.tenant t on t.id = c.tenant_id where t.slug = 'seed'")
    s=$(seconds_of "$bin/crm" import customers "$work/customers.csv" --tenant seed)
    local customer_rate; customer_rate=$(rate 100000 "$s")
    lines+=("100,000 customers into a unit of $held customers: $s s, $customer_rate rows/s ($(awk -v a="$customer_rate" -v b="$copy_rate" 'BEGIN { printf "%.0f", 100 * a / b }')% of \\copy)")

    local campaign
    campaign=$(psql -qXAt -d crm -c "select id from crm.campaign where tenant_id = (select id from crm.tenant where slug = 'import-bench') limit 1")
    if [[ -z $campaign ]]; then
        campaign=$(psql -qXAt -d crm -c "select set_config('role', 'crm_unit', false), set_config('crm.tenant', 'import-bench', false)" \
            -c "select crm.create_campaign('{\"name\": \"Bench list\"}')->>'id'" | tail -n 1)
    fi
    { echo "name,email,phone,region"; seq 1 100000 | awk '{ printf "Household %d,lead%d@bench.example,+49 40 %d,north\n", $1, $1, 50000000 + $1 }'; } >"$work/leads.csv"
    s=$(seconds_of "$bin/crm" import leads "$work/leads.csv" --tenant import-bench --campaign "$campaign")
    lines+=("100,000 leads into a campaign: $s s, $(rate 100000 "$s") rows/s")

    customers_csv 23000 retail >"$work/retail-customers.csv"
    orders_csv 70000 23000 retail >"$work/retail-orders.csv"
    "$bin/crm" tenant create retail --name "Mail-order retailer" >/dev/null
    "$bin/crm" import customers "$work/retail-customers.csv" --tenant retail >/dev/null
    { echo "sku,name,list_price,unit_cost"; seq 1 200 | awk '{ printf "P%d,Product %d,%d.00,%d.00\n", $1, $1, 20 + $1 % 80, 10 + $1 % 40 }'; } >"$work/products.csv"
    "$bin/crm" import products "$work/products.csv" --tenant retail >/dev/null
    s=$(seconds_of "$bin/crm" import orders "$work/retail-orders.csv" --tenant retail)
    lines+=("70,000 order lines for 23,000 customers: $s s, $(rate 70000 "$s") rows/s")

    for n in 10000 100000 1000000; do
        local unit="orders-$n" customers=$((n / 3 / 3 + 1))
        "$bin/crm" tenant create "$unit" --name "Orders $n" >/dev/null
        customers_csv "$customers" "o$n" >"$work/o-customers.csv"
        "$bin/crm" import customers "$work/o-customers.csv" --tenant "$unit" >/dev/null
        "$bin/crm" import products "$work/products.csv" --tenant "$unit" >/dev/null
        orders_csv "$n" "$customers" "o$n" >"$work/o-orders.csv"
        s=$(seconds_of "$bin/crm" import orders "$work/o-orders.csv" --tenant "$unit")
        lines+=("$n order lines ($customers customers): $s s, $(rate "$n" "$s") rows/s")
    done

    # Memory stays flat however large the file: the importer's peak RSS on the 1M-line file.
    local rss
    rss=$( { /usr/bin/time -f '%M' "$bin/crm" import orders "$work/o-orders.csv" --tenant orders-1000000 --dry-run >/dev/null; } 2>&1 | tail -n 1)
    lines+=("peak RSS of crm import on the 1M-line file ($(du -m "$work/o-orders.csv" | cut -f1) MiB, dry run): $((rss / 1024)) MiB")

    printf '%s\n' "${lines[@]}"
    {
        echo "## Bulk import"
        echo
        echo "\`crm import\` (release, the file streamed through COPY, every row checked in SQL, rollups brought"
        echo "up to date once per import) against \`psql \\copy\` of the same file into a bare table:"
        echo
        echo '```'
        printf '%s\n' "${lines[@]}"
        echo '```'
        echo
    } >"$section"
}
