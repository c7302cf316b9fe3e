# shellcheck shell=bash
# The reports part of Scripts/bench: every view of schema `report` read whole by the big unit in
# psql (EXPLAIN ANALYZE of `select *`: the database's time, without sending the rows; target
# <= 1 s at 1,000,000 customers; given up after 60 s), and the first page of every `reports.*` method through the
# server (`crm-bench reports`; target <= 300 ms). Needs $bin, $work, $port, $unit_key, PG* set and
# $context (the unit's request context, as the pgbench scripts use it).

bench_reports() {
    local section=$1 view ms rows
    local -a views=() lines=()
    echo "== report views, read whole by the unit"
    mapfile -t views < <(psql -qXAt -d crm -c "select viewname from pg_views where schemaname = 'report' order by viewname")
    for view in "${views[@]}"; do
        local plan
        if plan=$(psql -qXAt -d crm -v ON_ERROR_STOP=1 -c "BEGIN" -c "set local statement_timeout = '60s'" -c "$context" \
                -c "explain (analyze, timing off, format json) select * from report.\"$view\"" -c "ROLLBACK" 2>&1 | grep -v '^$' | tail -n +2); then
            ms=$(grep -o '"Execution Time": [0-9.]*' <<<"$plan" | awk '{ printf "%.0f", $3 }')
            rows=$(grep -o '"Actual Rows": [0-9]*' <<<"$plan" | awk 'NR == 1 { print $3 }')
            lines+=("report.$view: $ms ms, $rows rows")
        else
            lines+=("report.$view: not read ($(tail -n 1 <<<"$plan"))")
        fi
        echo "${lines[-1]}"
    done
    echo "== the first page of every reports.* method, through the server"
    local methods
    methods=$("$bin/crm-bench" reports --port "$port" --key "$unit_key")
    echo "$methods"
    {
        echo "## Reports"
        echo
        echo "Every view of schema \`report\` read whole by the unit of $customers customers in psql, under its"
        echo "request context: \`EXPLAIN (ANALYZE, TIMING OFF) SELECT * FROM report.<view>\`, the database's time"
        echo "without sending the rows (target: 1 s):"
        echo
        echo '```'
        printf '%s\n' "${lines[@]}"
        echo '```'
        echo
        echo "The first page of every \`reports.*\` method that needs no param, through the server (\`crm-bench"
        echo "reports\`: the median of three calls in a row on one connection; target: 300 ms):"
        echo
        echo '```'
        echo "$methods"
        echo '```'
        echo
    } >"$section"
}
