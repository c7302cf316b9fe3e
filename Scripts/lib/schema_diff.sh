#!/usr/bin/env bash
# Migrates two fresh databases from two SQL directories and compares what they hold: a tool for
# showing that a rewrite of migrations (a squash into a baseline, a function moved to a repeatable
# file) leaves the database exactly as it was. Not part of Scripts/test.
#
#   Scripts/lib/schema_diff.sh [--keep] OLD NEW
#
# OLD and NEW are SQL directories (holding migrations/ and repeatable/), or git:REV for the SQL/
# folder of a commit of this repository (extracted with git archive), e.g.
#   Scripts/lib/schema_diff.sh git:a0314ab SQL
# Needs DATABASE_URL: a superuser URL of a maintenance database (postgresql://postgres@127.0.0.1:PORT/postgres,
# as Scripts/pgcluster prints it; no query string). The files are applied with psql as `crm
# migrate` applies them to a fresh database. The databases schema_diff_old and schema_diff_new are dropped
# first and, unless --keep, afterwards.
#
# Compared, each normalised and sorted so that creation order does not count:
#   dump.sql         pg_dump --schema-only WITH owners and privileges, split into its objects
#   data.sql         pg_dump --data-only of every table but crm_meta's (reference data, sequences)
#   functions.txt    per function: kind, owner, ACL, volatility, security, config, md5 of its text
#   policies.txt     pg_policies
#   privileges.txt   table, column, sequence, schema, database and default ACLs, role memberships
#   comments.txt     pg_description of the project's objects
# The body of crm.opaque_id holds a secret drawn per database: its seeds are masked.
# Exit status 0 when the two databases are the same, 1 when they differ (the diff is printed).
set -euo pipefail

keep=0
if [[ ${1:-} == --keep ]]; then keep=1; shift; fi
[[ $# -eq 2 ]] || { sed -n '5,12p' "$0" >&2; exit 2; }
: "${DATABASE_URL:?set DATABASE_URL to a superuser URL of a maintenance database}"
repo=$(cd "$(dirname "$0")/../.." && pwd)

work=$(mktemp -d "${TMPDIR:-/tmp}/schema-diff.XXXXXX")
echo "work directory: $work"
base=${DATABASE_URL%/*}

sql_dir() {   # $1: a directory or git:REV; $2: where to extract a revision
    if [[ $1 == git:* ]]; then
        mkdir -p "$2"
        git -C "$repo" archive "${1#git:}" SQL | tar -x -C "$2"
        echo "$2/SQL"
    else
        (cd "$1" && pwd)
    fi
}

# What `crm migrate` does to a fresh database, with psql (so that any revision's files can be
# applied, whatever its migrator accepts): crm_meta.schema_migration, each migration in name
# order in a transaction of its own, then each repeatable file likewise.
migrate() {   # $1: database, $2: SQL directory
    local f
    psql "$base/$1" -X -q -v ON_ERROR_STOP=1 -c "set client_min_messages = warning" -c "
        create schema if not exists crm_meta;
        create table if not exists crm_meta.schema_migration (
            name text primary key, checksum text not null, applied_at timestamptz not null default now())"
    for f in "$2"/migrations/*.sql "$2"/repeatable/*.sql; do
        [[ -e $f ]] || continue
        PGOPTIONS='-c client_min_messages=warning' psql "$base/$1" -X -q -1 -v ON_ERROR_STOP=1 -f "$f" || return 1
    done
}

q() { psql "$base/$1" -X -q -A -t -v ON_ERROR_STOP=1 -c "$2"; }

catalog() {   # $1: database, $2: output folder
    local db=$1 out=$2
    mkdir -p "$out"
    # The dump, one object per block (a block starts at a "-- Name:" header), blocks sorted.
    pg_dump "$base/$db" --schema-only --exclude-schema=crm_meta \
        | sed -E 's/, -?[0-9]+\) \& 16777215/, SEED) \& 16777215/g' \
        | grep -v -E '^(-- Dumped (from|by)|SELECT pg_catalog.set_config|\\(un)?restrict )' \
        | python3 -c '
import sys, itertools
# Objects (blocks between blank lines) sorted; within one, runs of GRANT lines sorted: the order
# of an ACL'"'"'s entries follows the order of the GRANT statements and means nothing.
blocks = []
for block in sys.stdin.read().split("\n\n"):
    lines = []
    for grant, run in itertools.groupby(block.strip("\n").split("\n"), key=lambda l: l.startswith("GRANT ")):
        lines += sorted(run) if grant else list(run)
    if any(lines):
        blocks.append("\n".join(lines))
print("\n\n".join(sorted(blocks)))' > "$out/dump.sql"
    pg_dump "$base/$db" --data-only --exclude-schema=crm_meta --inserts 2>/dev/null \
        | grep -v -E '^(-- Dumped (from|by)|SELECT pg_catalog.set_config)' \
        | grep -E '^(INSERT|SELECT)' | sort > "$out/data.sql"
    q "$db" "
        select n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') '
               || p.prokind::text || ' owner=' || pg_get_userbyid(p.proowner)
               || ' acl=' || coalesce((select string_agg(a::text, ',' order by a::text) from unnest(p.proacl) a), 'default')
               || ' ' || p.provolatile::text || case when p.prosecdef then ' definer' else '' end
               || ' ' || p.proparallel::text || ' config=' || coalesce(array_to_string(p.proconfig, ','), '')
               || ' returns=' || pg_get_function_result(p.oid)
               || ' src=' || md5(case when p.proname = 'opaque_id'
                                      then regexp_replace(p.prosrc, ', -?[0-9]+\) & 16777215', ', SEED) & 16777215', 'g')
                                      else coalesce(p.prosrc, '') || coalesce(pg_get_function_sqlbody(p.oid), '') end)
          from pg_proc p join pg_namespace n on n.oid = p.pronamespace
         where n.nspname in ('crm', 'report') order by 1" > "$out/functions.txt"
    q "$db" "
        select schemaname || '.' || tablename || ' \"' || policyname || '\" ' || permissive || ' ' || cmd
               || ' to ' || array_to_string(roles, ',') || ' using (' || coalesce(qual, '') || ') check ('
               || coalesce(with_check, '') || ')'
          from pg_policies where schemaname in ('crm', 'report') order by 1" > "$out/policies.txt"
    q "$db" "
        select 'relation ' || c.oid::regclass || ' ' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner)
               || ' rls=' || c.relrowsecurity || ' forced=' || c.relforcerowsecurity
               || ' acl=' || coalesce((select string_agg(a::text, ',' order by a::text) from unnest(c.relacl) a), 'default')
          from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname in ('crm', 'report')
        union all
        select 'column ' || a.attrelid::regclass || '.' || a.attname || ' acl='
               || (select string_agg(x::text, ',' order by x::text) from unnest(a.attacl) x)
          from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
         where n.nspname in ('crm', 'report') and a.attacl is not null
        union all
        select 'schema ' || nspname || ' owner=' || pg_get_userbyid(nspowner) || ' acl='
               || coalesce((select string_agg(a::text, ',' order by a::text) from unnest(nspacl) a), 'default')
          from pg_namespace where nspname in ('crm', 'report', 'crm_meta', 'public')
        union all
        select 'database acl=' || (select string_agg(a::text, ',' order by a::text) from unnest(datacl) a)
          from pg_database where datname = current_database()
        union all
        select 'default acl ' || pg_get_userbyid(d.defaclrole) || ' ' || coalesce(n.nspname, '*') || ' ' || d.defaclobjtype::text
               || ' ' || (select string_agg(a::text, ',' order by a::text) from unnest(d.defaclacl) a)
          from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
        union all
        select 'member ' || pg_get_userbyid(m.member) || ' of ' || pg_get_userbyid(m.roleid) || ' admin=' || m.admin_option
          from pg_auth_members m where pg_get_userbyid(m.roleid) like 'crm\_%' or pg_get_userbyid(m.member) like 'crm\_%'
        union all
        select 'role ' || rolname || ' super=' || rolsuper || ' inherit=' || rolinherit || ' login=' || rolcanlogin
               || ' createrole=' || rolcreaterole || ' createdb=' || rolcreatedb || ' bypassrls=' || rolbypassrls
          from pg_roles where rolname like 'crm\_%'
        union all
        select 'extension ' || extname || ' ' || extversion from pg_extension
        order by 1" > "$out/privileges.txt"
    q "$db" "
        select coalesce(pg_describe_object(d.classoid, d.objoid, d.objsubid), d.objoid::text) || ': ' || d.description
          from pg_description d
         where d.classoid <> 'pg_catalog.pg_proc'::regclass or exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                                                              where p.oid = d.objoid and n.nspname in ('crm', 'report'))
        order by 1" | grep -E '(crm|report)[._]' > "$out/comments.txt" || true
}

status=0
for side in old new; do
    src=$1; shift || true
    dir=$(sql_dir "$src" "$work/$side-src")
    db=schema_diff_$side
    PGOPTIONS="-c client_min_messages=warning" psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1 -c "drop database if exists $db" -c "create database $db"
    echo "migrating $db from $dir"
    migrate "$db" "$dir" > "$work/$side-migrate.log" 2>&1 || { cat "$work/$side-migrate.log" >&2; exit 2; }
    catalog "$db" "$work/$side"
done
for f in dump.sql data.sql functions.txt policies.txt privileges.txt comments.txt; do
    if ! diff -u "$work/old/$f" "$work/new/$f" > "$work/$f.diff"; then
        echo "== $f differs:"; cat "$work/$f.diff"; status=1
    else
        echo "== $f: same ($(wc -l < "$work/old/$f") lines)"
    fi
done
if ((!keep)); then
    for db in schema_diff_old schema_diff_new; do psql "$DATABASE_URL" -X -q -c "drop database if exists $db"; done
fi
exit $status
