-- crm.current_tenant() is read by every policy and most functions. As a security-definer function
-- with its own search_path it cost 0.1-0.2 ms a call (PostgreSQL saves and restores settings
-- around it and cannot inline it), a third of a caller lookup. Now it is a plain expression the
-- planner inlines; only the psql convenience (`set crm.tenant = 'slug'`, which must read the
-- tenant table whatever the caller's policies) stays behind a security-definer function, and
-- that function runs only when crm.tenant_id is not set.
set local role crm_owner;

create function crm.tenant_of_slug_setting() returns uuid
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select t.id from crm.tenant t where t.slug = nullif(current_setting('crm.tenant', true), '')
$$;
revoke execute on function crm.tenant_of_slug_setting() from public;
grant execute on function crm.tenant_of_slug_setting() to crm_unit, crm_partner, crm_admin, crm_reporter;

create or replace function crm.current_tenant() returns uuid
    language sql stable
    return coalesce(nullif(current_setting('crm.tenant_id', true), '')::uuid, crm.tenant_of_slug_setting());
