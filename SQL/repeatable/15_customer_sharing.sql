-- Sharing on purpose (the tables: 0003_baseline_customers.sql): a unit shares one customer, or all
-- its customers, read-only with another unit; audited and revocable. And the customer's derived
-- data-capture phase.
set local role crm_owner;

-- True when the caller's unit may read this customer of another unit. Security definer so that
-- policies on many tables can ask without the caller seeing the share table of the other unit.
-- (Security-definer functions are PL/pgSQL here and below: a SQL function that cannot be inlined
-- is planned again on every call, 0.05-0.2 ms each; PL/pgSQL keeps the plan for the session.)
create or replace function crm.is_shared_customer(p_tenant uuid, p_customer bigint) returns boolean
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return exists (select 1 from crm.customer_share s
                    where s.shared_with = (select crm.current_tenant()) and s.tenant_id = p_tenant
                      and s.revoked_at is null and (s.customer_id is null or s.customer_id = p_customer));
end $$;

-- The units whose rows the caller may read: its own and those that share with it. API queries
-- use `tenant_id = any(crm.visible_tenants())` so the (tenant_id, id) indexes apply.
create or replace function crm.visible_tenants() returns uuid[]
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return array[crm.current_tenant()] || coalesce(array(
        select distinct s.tenant_id from crm.customer_share s
         where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null), '{}');
end $$;

-- Slugs and ids of every unit, so a unit can name another to share with (nothing else of it).
create or replace function crm.tenant_directory() returns table (id uuid, slug text, name text)
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return query select t.id, t.slug, t.name from crm.tenant t;
end $$;

create or replace function crm.share_customer(p_customer_id bigint, p_with_slug text) returns bigint language plpgsql as $$
declare
    v_with uuid;
    v bigint;
begin
    select id into v_with from crm.tenant_directory() where slug = p_with_slug;
    if v_with is null then
        raise exception 'no business unit %', p_with_slug using errcode = 'CR404', detail = 'field=with';
    end if;
    if p_customer_id is not null and not exists (select 1 from crm.customer c
            where c.tenant_id = (select crm.current_tenant()) and c.id = p_customer_id) then
        raise exception 'customer % not found', p_customer_id using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    insert into crm.customer_share (tenant_id, customer_id, shared_with, granted_by)
    values (crm.current_tenant(), p_customer_id, v_with, crm.current_principal()) returning id into v;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'share', 'customer', coalesce(p_customer_id::text, '*'),
            jsonb_build_object('with', p_with_slug, 'share_id', v));
    return v;
end $$;

create or replace function crm.share_all_customers(p_with_slug text) returns bigint language sql
    return crm.share_customer(null, p_with_slug);

create or replace function crm.revoke_share(p_share_id bigint) returns boolean language plpgsql as $$
begin
    update crm.customer_share set revoked_at = now()
     where tenant_id = (select crm.current_tenant()) and id = p_share_id and revoked_at is null;
    if not found then return false; end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'revoke_share', 'customer_share', p_share_id::text, null);
    return true;
end $$;

grant execute on function crm.is_shared_customer(uuid, bigint), crm.visible_tenants(), crm.share_customer(bigint, text),
    crm.share_all_customers(text), crm.revoke_share(bigint), crm.tenant_directory()
    to crm_unit;
grant execute on function crm.is_shared_customer(uuid, bigint), crm.visible_tenants() to crm_reporter, crm_partner;
grant execute on function crm.visible_tenants() to crm_search;

-- Data capture phases: 1 name and email, 2 postal address and phone, 3 purchase preferences.
create or replace function crm.customer_capture_phase(c crm.customer) returns int language sql stable
    return case
        when cardinality(c.emails) = 0 then 0
        when c.address is null or cardinality(c.phones) = 0 then 1
        when c.preferences is null or c.preferences = '{}'::jsonb then 2
        else 3 end;

grant execute on function crm.customer_capture_phase(crm.customer) to crm_unit, crm_reporter, crm_partner;
