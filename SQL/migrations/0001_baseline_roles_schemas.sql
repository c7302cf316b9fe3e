-- Baseline (the squash of 0001-0039, issue 17): roles, schemas, who may connect, the default
-- privileges of the roles that create functions, and the two functions that column definitions
-- need (crm.opaque_id for ids, crm.join_text for generated search texts). Run as a superuser (or
-- a role with CREATEROLE that owns the database).

-- Roles are cluster-wide: created once, guarded, so a second database on the same cluster migrates too.
do $$
declare
    r text;
begin
    foreach r in array array['crm_owner', 'crm_unit', 'crm_partner', 'crm_admin', 'crm_reporter'] loop
        if not exists (select from pg_roles where rolname = r) then
            execute format('create role %I nologin nosuperuser nobypassrls nocreaterole nocreatedb', r);
        end if;
    end loop;
    -- The server's login role. NOINHERIT: it holds no table rights of its own and reaches data only
    -- through SET ROLE to a request role. It has no password: the operator gives it one from a
    -- secret (or uses peer or certificate authentication); see the README's security section.
    if not exists (select from pg_roles where rolname = 'crm_app') then
        create role crm_app login noinherit nosuperuser nobypassrls nocreaterole nocreatedb;
    end if;
    -- A unit's read-only users (app role viewer): reads what crm_unit reads, writes nothing
    -- (SQL/repeatable/98_viewer_privileges.sql keeps its grants and read policies in step).
    if not exists (select from pg_roles where rolname = 'crm_viewer') then
        create role crm_viewer nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
    -- Narrow roles that own one job's functions each (ARCHITECTURE.md, "Database roles"):
    -- crm_search the fragment searches (LIKE is not leakproof, so under RLS no index could serve
    -- them), crm_dealcheck the deal conflict check (it must look at other partners' deals), both
    -- bypassing RLS but reading only the columns they need; crm_contactindex the triggers that
    -- write the contact index, and nothing else.
    if not exists (select from pg_roles where rolname = 'crm_search') then
        create role crm_search nologin bypassrls nosuperuser nocreaterole nocreatedb;
    end if;
    if not exists (select from pg_roles where rolname = 'crm_dealcheck') then
        create role crm_dealcheck nologin bypassrls nosuperuser nocreaterole nocreatedb;
    end if;
    if not exists (select from pg_roles where rolname = 'crm_contactindex') then
        create role crm_contactindex nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
    -- Who may connect at all: the project's roles and superusers, not every login role of the
    -- cluster (PostgreSQL grants CONNECT and TEMPORARY to PUBLIC).
    execute format('grant create, connect, temporary on database %I to crm_owner', current_database());
    execute format('grant connect, temporary on database %I to crm_app, crm_reporter, crm_unit, crm_partner, crm_admin',
                   current_database());
    execute format('grant connect on database %I to crm_viewer', current_database());
    execute format('revoke connect, temporary on database %I from public', current_database());
end $$;

grant crm_unit, crm_partner, crm_admin to crm_app;
grant crm_viewer to crm_app;
-- crm_owner creates and replaces the contact index's trigger functions and hands them to crm_contactindex.
grant crm_contactindex to crm_owner;

-- No function is executable by PUBLIC: functions these roles create start without EXECUTE for
-- PUBLIC (SQL/repeatable/99_function_privileges.sql revokes it again on every migrate). Default
-- privileges that revoke a default must be global, and apply to the creating role. Not for the
-- migrating superuser: that would also strip extensions' functions (pgTAP, pg_trgm).
alter default privileges for role crm_owner revoke execute on functions from public;
alter default privileges for role crm_search revoke execute on functions from public;
alter default privileges for role crm_dealcheck revoke execute on functions from public;
alter default privileges for role crm_contactindex revoke execute on functions from public;

create extension if not exists pg_trgm;

create schema crm authorization crm_owner;
create schema report authorization crm_owner;
comment on schema crm is 'The CRM''s tables and functions; every business unit''s rows carry tenant_id and are isolated by row-level security.';
comment on schema report is 'Report views for the API and for DBAs (security_invoker: they show what the caller may see).';

grant usage on schema crm, report to crm_app, crm_unit, crm_partner, crm_admin, crm_reporter, crm_viewer;
grant usage on schema crm to crm_search, crm_dealcheck, crm_contactindex;

-- What `crm serve` needs as crm_app beyond its request roles: to check at start that the applied
-- migrations match the files (crm_meta is created by the migrator, as the migrating role).
grant usage on schema crm_meta to crm_app;
grant select on crm_meta.schema_migration to crm_app;

set local role crm_owner;

-- Ids that reveal nothing (ARCHITECTURE.md, "Ids"): id = 2^48 + a keyed permutation of the
-- sequence value, a 4-round Feistel network over two 24-bit halves whose round function is the
-- built-in hashint8extended seeded with a per-round 64-bit secret. The key is drawn here, once per
-- database, from gen_random_uuid() (pg_strong_random), and lives only in this function's body.
-- PL/pgSQL returning one expression with the seeds as constants: 0.5 µs a row on top of nextval
-- (a SQL function is not inlined in a column default whose argument is volatile: 4 µs).
-- Out-of-range input gives NULL (a NOT NULL violation on the id) instead of a wrong id.
do $$
declare
    seeds bigint[] := array(select ('x' || substr(md5(gen_random_uuid()::text || gen_random_uuid()::text), 1, 16))::bit(64)::bigint
                              from generate_series(1, 4));
    l text := '(n >> 24)';
    r text := '(n & 16777215)';
    t text;
begin
    for i in 1..4 loop
        t := format('(%s # (pg_catalog.hashint8extended(%s, %s) & 16777215))', l, r, seeds[i]);
        l := r;
        r := t;
    end loop;
    execute format($f$
        create function crm.opaque_id(n bigint) returns bigint language plpgsql immutable parallel safe as $b$
        begin
            return case when n >= 0 and n < 281474976710656 then 281474976710656 + ((%s << 24) | %s) end;
        end $b$
        $f$, l, r);
end $$;
comment on function crm.opaque_id(bigint) is
    'The id for a sequence value: a keyed permutation of [0, 2^48) plus 2^48, so ids say nothing about other units'' activity. The key is per database, in this function''s body (readable by roles that can connect with SQL, never by API clients).';
-- EXECUTE on it, and USAGE on each id sequence, go to exactly the roles that may insert into the table.
grant execute on function crm.opaque_id(bigint) to crm_unit, crm_partner, crm_admin;

-- array_to_string is only STABLE in general; over text[] it is immutable, which a generated column
-- needs. Declared here, over text[] only. Evaluated as whoever writes a customer.
create function crm.join_text(p text[]) returns text
    language sql immutable parallel safe
    return coalesce(array_to_string(p, ' '), '');
grant execute on function crm.join_text(text[]) to crm_unit;
