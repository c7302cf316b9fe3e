-- Roles and schemas. Run as a superuser (or a role with CREATEROLE that owns the database).
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
    -- (Amended: this file once set a fixed password; Migrator.amendedMigrations accepts that text's
    -- checksum and 0032_login_role.sql removes the password where it is still the old one.)
    if not exists (select from pg_roles where rolname = 'crm_app') then
        create role crm_app login noinherit nosuperuser nobypassrls nocreaterole nocreatedb;
    end if;
    execute format('grant create, connect, temporary on database %I to crm_owner', current_database());
    execute format('grant connect, temporary on database %I to crm_app, crm_reporter, crm_unit, crm_partner, crm_admin',
                   current_database());
end $$;

grant crm_unit, crm_partner, crm_admin to crm_app;

create extension if not exists pg_trgm;

create schema crm authorization crm_owner;
create schema report authorization crm_owner;
comment on schema crm is 'The CRM''s tables and functions; every business unit''s rows carry tenant_id and are isolated by row-level security.';
comment on schema report is 'Report views for the API and for DBAs (security_invoker: they show what the caller may see).';

grant usage on schema crm, report to crm_app, crm_unit, crm_partner, crm_admin, crm_reporter;
