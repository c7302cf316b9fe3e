-- Foundation functions: the request's principal and app role, login and the per-request check,
-- the operator's functions (units, partners, principals, keys; security invoker, executable by
-- crm_admin only, audited), phone and email normalisation, and the append-only guard of the audit
-- logs. (crm.current_tenant() and crm.current_partner(), which policies read, are defined with the
-- tables in 0002_baseline_tenants_staff.sql; the two behind them that read tables are here.)
set local role crm_owner;

-- The audit logs are append-only.
create or replace function crm.reject_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_name using errcode = 'CR403';
end $$;
-- One exception: the erasure of a customer (crm.erase_customer, 46_customer_privacy.sql) blanks
-- the detail of the unit's audit entries about that customer once it is marked erased; who did
-- what and when stays. Any other change of an entry is refused.
create or replace function crm.audit_log_erasure_only() returns trigger language plpgsql as $$
begin
    if new.detail = '{"erased": true}'::jsonb and old.entity = 'customer' and old.entity_id ~ '^[0-9]{1,18}$'
       and (new.tenant_id, new.id, new.at, new.principal_id, new.action, new.entity, new.entity_id)
           is not distinct from (old.tenant_id, old.id, old.at, old.principal_id, old.action, old.entity, old.entity_id)
       and exists (select 1 from crm.customer c where c.tenant_id = old.tenant_id and c.id = old.entity_id::bigint
                                                  and c.erased_at is not null) then
        return new;
    end if;
    raise exception '% is append-only', tg_table_name using errcode = 'CR403';
end $$;
create or replace trigger audit_log_append_only before delete or truncate on crm.audit_log
    for each statement execute function crm.reject_change();
create or replace trigger audit_log_erasure_only before update on crm.audit_log
    for each row execute function crm.audit_log_erasure_only();
create or replace trigger admin_audit_log_append_only before update or delete or truncate on crm.admin_audit_log
    for each statement execute function crm.reject_change();

-- What policies read once per statement and that reads a table: PL/pgSQL, so that the statement
-- keeps its plan for the session (created in 0002 as SQL functions, which PostgreSQL cannot inline
-- and planned again on every call: about 0.05-0.2 ms for each statement of a partner's request,
-- or of a psql session narrowed with SET crm.tenant).
-- The unit named by `SET crm.tenant = 'slug'` (psql), read whatever the caller's policies; runs
-- only when crm.tenant_id is not set (crm.current_tenant()).
create or replace function crm.tenant_of_slug_setting() returns uuid
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return (select t.id from crm.tenant t where t.slug = nullif(current_setting('crm.tenant', true), ''));
end $$;
-- The units that granted the caller (a partner).
create or replace function crm.partner_tenants() returns uuid[] language plpgsql stable as $$
begin
    return (select coalesce(array_agg(g.tenant_id), '{}') from crm.partner_grant g
             where g.partner_id = crm.current_partner() and g.revoked_at is null);
end $$;

-- The rest of the request's scope (see crm.current_tenant() in 0002).
create or replace function crm.current_principal() returns uuid language sql stable
    return nullif(current_setting('crm.principal_id', true), '')::uuid;
create or replace function crm.current_app_role() returns text language sql stable
    return nullif(current_setting('crm.app_role', true), '');

-- Raises forbidden unless the caller's unit role is one of p_roles (used by approvals).
create or replace function crm.require_app_role(p_roles text[]) returns void language plpgsql stable as $$
begin
    if crm.current_app_role() is null or not crm.current_app_role() = any(p_roles) then
        raise exception 'forbidden: this needs one of the roles %', array_to_string(p_roles, ', ')
            using errcode = 'CR403';
    end if;
end $$;

-- Login: the principal behind an API key, if key and principal are live. Records the key's first
-- use in a week for the adoption report (report.adoption_weekly; a no-op for the rest of the week).
create or replace function crm.authenticate(p_key text)
    returns table (principal_id uuid, key_id uuid, kind text, tenant_id uuid, tenant_slug text,
                   partner_id uuid, partner_slug text, app_role text, display_name text)
    language plpgsql volatile security definer set search_path = pg_catalog, crm as $$
declare
    k crm.api_key;
begin
    select * into k from crm.api_key a where a.key_hash = sha256(convert_to(p_key, 'UTF8')) and a.revoked_at is null;
    if not found then return; end if;
    -- At most one write a minute per key: logins must not turn into write load.
    update crm.api_key a set last_used_at = now()
     where a.id = k.id and (a.last_used_at is null or a.last_used_at < now() - interval '1 minute');
    -- Adoption: the first login of a unit key in a week (a no-op for the rest of the week).
    insert into crm.api_key_week as w (tenant_id, week, key_id, principal_id, app_role)
    select p.tenant_id, date_trunc('week', now() at time zone 'UTC')::date, k.id, p.id, p.app_role
      from crm.principal p
     where p.id = k.principal_id and p.kind = 'unit' and p.revoked_at is null
    on conflict do nothing;
    return query
        select p.id, k.id, p.kind, p.tenant_id, t.slug, p.partner_id, pa.slug, p.app_role, p.display_name
          from crm.principal p
          left join crm.tenant t on t.id = p.tenant_id
          left join crm.partner pa on pa.id = p.partner_id
         where p.id = k.principal_id and p.revoked_at is null;
end $$;

-- Every request starts here: a revoked key or principal stops working at its next request.
create or replace function crm.enter_request(p_key_id uuid) returns void
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    if not exists (select 1 from crm.api_key k join crm.principal p on p.id = k.principal_id
                    where k.id = p_key_id and k.revoked_at is null and p.revoked_at is null) then
        raise exception 'the API key was revoked; log in again' using errcode = 'CR401';
    end if;
end $$;

-- Operator functions: security invoker, executable by crm_admin only, audited.
create or replace function crm.create_tenant(p_slug text, p_name text) returns uuid language plpgsql as $$
declare
    v uuid;
begin
    insert into crm.tenant (slug, name) values (p_slug, p_name) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'tenant', v::text, jsonb_build_object('slug', p_slug));
    return v;
end $$;

create or replace function crm.create_partner(p_slug text, p_name text) returns uuid language plpgsql as $$
declare
    v uuid;
begin
    insert into crm.partner (slug, name) values (p_slug, p_name) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'partner', v::text, jsonb_build_object('slug', p_slug));
    return v;
end $$;

create or replace function crm.create_principal(p_kind text, p_tenant_slug text, p_partner_slug text, p_app_role text, p_display_name text)
    returns uuid language plpgsql as $$
declare
    v_tenant uuid;
    v_partner uuid;
    v uuid;
begin
    if p_tenant_slug is not null then
        select id into v_tenant from crm.tenant where slug = p_tenant_slug;
        if v_tenant is null then
            raise exception 'no business unit %', p_tenant_slug using errcode = 'CR404', detail = 'field=tenant';
        end if;
    end if;
    if p_partner_slug is not null then
        select id into v_partner from crm.partner where slug = p_partner_slug;
        if v_partner is null then
            raise exception 'no partner %', p_partner_slug using errcode = 'CR404', detail = 'field=partner';
        end if;
    end if;
    insert into crm.principal (kind, tenant_id, partner_id, app_role, display_name)
    values (p_kind, v_tenant, v_partner, p_app_role, p_display_name) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'principal', v::text, jsonb_build_object('kind', p_kind, 'role', p_app_role));
    return v;
end $$;

create or replace function crm.create_api_key(p_principal uuid, p_key text) returns uuid language plpgsql as $$
declare
    v uuid;
begin
    if length(p_key) < 32 then
        raise exception 'an API key needs at least 32 characters' using errcode = 'CR422', detail = 'field=key';
    end if;
    insert into crm.api_key (principal_id, key_hash, prefix)
    values (p_principal, sha256(convert_to(p_key, 'UTF8')), left(p_key, 8)) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'api_key', v::text, jsonb_build_object('principal', p_principal));
    return v;
end $$;

create or replace function crm.revoke_api_key(p_key_id uuid) returns boolean language plpgsql as $$
begin
    update crm.api_key set revoked_at = now() where id = p_key_id and revoked_at is null;
    if not found then return false; end if;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id)
    values (crm.current_principal(), 'revoke', 'api_key', p_key_id::text);
    return true;
end $$;

grant execute on function crm.current_principal(), crm.current_app_role(), crm.require_app_role(text[])
    to crm_unit, crm_partner, crm_admin, crm_reporter;
grant execute on function crm.authenticate(text), crm.enter_request(uuid) to crm_app;
grant execute on function crm.enter_request(uuid) to crm_unit, crm_partner, crm_admin;
grant execute on function crm.create_tenant(text, text), crm.create_partner(text, text),
    crm.create_principal(text, text, text, text, text), crm.create_api_key(uuid, text), crm.revoke_api_key(uuid)
    to crm_admin;

-- crm.normalize_phone: SQL/repeatable/11_phone_numbers.sql (the unit's country's numbering rules).
create or replace function crm.normalize_email(p text) returns text language sql immutable parallel safe
    return nullif(lower(btrim(p)), '');

grant execute on function crm.normalize_email(text) to crm_unit, crm_reporter, crm_partner;
