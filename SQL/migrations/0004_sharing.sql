-- Sharing on purpose: a unit shares one customer, or all its customers, read-only with another
-- unit (a hotel chain's branches sharing one guest record). Audited and revocable. Tables that
-- hang off a customer (orders, contacts, ...) add the same shared-read policy through
-- crm.is_shared_customer(tenant_id, customer_id).
set local role crm_owner;

create table crm.customer_share (
    tenant_id   uuid        not null references crm.tenant (id),   -- the unit that owns the customer
    id          bigint      generated always as identity,
    customer_id bigint,                                             -- null: every customer of the unit
    shared_with uuid        not null references crm.tenant (id),
    granted_at  timestamptz not null default now(),
    granted_by  uuid,
    revoked_at  timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    check (shared_with <> tenant_id)
);

create index customer_share_receiver on crm.customer_share (shared_with, tenant_id) where revoked_at is null;

alter table crm.customer_share enable row level security;
alter table crm.customer_share force row level security;

grant select, insert, update (revoked_at) on crm.customer_share to crm_unit;
grant select on crm.customer_share to crm_reporter;

-- True when the caller's unit may read this customer of another unit. Security definer so that
-- policies on many tables can ask without the caller seeing the share table of the other unit.
create function crm.is_shared_customer(p_tenant uuid, p_customer bigint) returns boolean
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select exists (select 1 from crm.customer_share s
                    where s.shared_with = crm.current_tenant() and s.tenant_id = p_tenant
                      and s.revoked_at is null and (s.customer_id is null or s.customer_id = p_customer))
$$;

-- The units whose rows the caller may read: its own and those that share with it. API queries
-- use `tenant_id = any(crm.visible_tenants())` so the (tenant_id, id) indexes apply.
create function crm.visible_tenants() returns uuid[]
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select array[crm.current_tenant()] || coalesce(array(
        select distinct s.tenant_id from crm.customer_share s
         where s.shared_with = crm.current_tenant() and s.revoked_at is null), '{}')
$$;

create function crm.share_customer(p_customer_id bigint, p_with_slug text) returns bigint language plpgsql as $$
declare
    v_with uuid;
    v bigint;
begin
    select id into v_with from crm.tenant_directory() where slug = p_with_slug;
    if v_with is null then
        raise exception 'no business unit %', p_with_slug using errcode = 'CR404', detail = 'field=with';
    end if;
    if p_customer_id is not null and not exists (select 1 from crm.customer c
            where c.tenant_id = crm.current_tenant() and c.id = p_customer_id) then
        raise exception 'customer % not found', p_customer_id using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    insert into crm.customer_share (tenant_id, customer_id, shared_with, granted_by)
    values (crm.current_tenant(), p_customer_id, v_with, crm.current_principal()) returning id into v;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'share', 'customer', coalesce(p_customer_id::text, '*'),
            jsonb_build_object('with', p_with_slug, 'share_id', v));
    return v;
end $$;

create function crm.share_all_customers(p_with_slug text) returns bigint language sql
    return crm.share_customer(null, p_with_slug);

create function crm.revoke_share(p_share_id bigint) returns boolean language plpgsql as $$
begin
    update crm.customer_share set revoked_at = now()
     where tenant_id = crm.current_tenant() and id = p_share_id and revoked_at is null;
    if not found then return false; end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'revoke_share', 'customer_share', p_share_id::text, null);
    return true;
end $$;

-- Slugs and ids of every unit, so a unit can name another to share with (nothing else of it).
create function crm.tenant_directory() returns table (id uuid, slug text, name text)
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select t.id, t.slug, t.name from crm.tenant t
$$;

grant execute on function crm.is_shared_customer(uuid, bigint), crm.visible_tenants(), crm.share_customer(bigint, text),
    crm.share_all_customers(text), crm.revoke_share(bigint), crm.tenant_directory()
    to crm_unit;
grant execute on function crm.is_shared_customer(uuid, bigint), crm.visible_tenants() to crm_reporter, crm_partner;

-- The share table's RLS is forced, so the owner's security-definer functions need a policy too.
create policy "the owner's functions read every share" on crm.customer_share for select to crm_owner using (true);
create policy "unit users see the shares of their own unit and those made to it" on crm.customer_share
    for select to crm_unit
    using (tenant_id = (select crm.current_tenant()) or shared_with = (select crm.current_tenant()));
create policy "unit users share their own customers" on crm.customer_share for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users revoke their own shares" on crm.customer_share for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's shares, or the unit they chose" on crm.customer_share for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));

create policy "unit users see customers shared with their unit" on crm.customer for select to crm_unit
    using (crm.is_shared_customer(tenant_id, id));
create policy "unit users see the lifecycle of customers shared with their unit" on crm.customer_lifecycle_history
    for select to crm_unit using (crm.is_shared_customer(tenant_id, customer_id));
