-- Business units, partners, principals, API keys and the audit log.
-- Reference tables (global, not per unit) are listed in crm.reference_table; they have row-level
-- security enabled but not forced, so the owner's security-definer functions can read them.
set local role crm_owner;

create table crm.reference_table (name regclass primary key);

create table crm.tenant (
    id         uuid        primary key default gen_random_uuid(),
    slug       text        not null unique check (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    name       text        not null check (length(name) between 1 and 200),
    currency   char(3)     not null default 'EUR',
    -- Documented keys: customer_tiers, product_tiers, sla_hours, care_call_days, holidays,
    -- greeting_days_before, visit_weeks_top_tier, default_country_code, crm_roi, deal_window_days.
    settings   jsonb       not null default '{}',
    created_at timestamptz not null default now()
);
comment on table crm.tenant is 'A business unit: the tenant whose data row-level security keeps apart.';

create table crm.partner (
    id         uuid        primary key default gen_random_uuid(),
    slug       text        not null unique check (slug ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
    name       text        not null,
    created_at timestamptz not null default now()
);

-- What a unit lets a partner see and do. Leads with tenant_id: a unit's table.
create table crm.partner_grant (
    tenant_id         uuid          not null references crm.tenant (id),
    partner_id        uuid          not null references crm.partner (id),
    may_see_products  boolean       not null default true,
    product_groups    text[],                       -- null: every group
    discount_pct      numeric(5, 2) not null default 0 check (discount_pct between 0 and 100),
    may_receive_leads boolean       not null default false,
    region            text,
    lead_weight       int           not null default 1 check (lead_weight > 0),
    granted_at        timestamptz   not null default now(),
    revoked_at        timestamptz,
    primary key (tenant_id, partner_id)
);

create table crm.principal (
    id           uuid        primary key default gen_random_uuid(),
    kind         text        not null check (kind in ('unit', 'partner', 'admin')),
    tenant_id    uuid        references crm.tenant (id),
    partner_id   uuid        references crm.partner (id),
    app_role     text        not null,
    display_name text        not null,
    created_at   timestamptz not null default now(),
    revoked_at   timestamptz,
    check ((kind = 'unit') = (tenant_id is not null)),
    check ((kind = 'partner') = (partner_id is not null)),
    check (case kind
             when 'unit' then app_role in ('manager', 'director', 'agent', 'marketing', 'designer', 'viewer')
             when 'partner' then app_role = 'partner'
             else app_role = 'admin' end)
);

create table crm.api_key (
    id           uuid        primary key default gen_random_uuid(),
    principal_id uuid        not null references crm.principal (id),
    key_hash     bytea       not null unique,       -- sha256 of the key; the key itself is never stored
    prefix       text        not null,              -- first characters, to tell keys apart
    created_at   timestamptz not null default now(),
    revoked_at   timestamptz,
    last_used_at timestamptz
);

create table crm.audit_log (
    tenant_id    uuid        not null references crm.tenant (id),
    id           bigint      generated always as identity,
    at           timestamptz not null default now(),
    principal_id uuid,
    action       text        not null,
    entity       text        not null,
    entity_id    text,
    detail       jsonb,
    primary key (tenant_id, id)
);
comment on table crm.audit_log is 'Who changed what, when, as which principal. Append-only.';

create table crm.admin_audit_log (
    id           bigint      generated always as identity primary key,
    at           timestamptz not null default now(),
    principal_id uuid,
    action       text        not null,
    entity       text        not null,
    entity_id    text,
    detail       jsonb
);

insert into crm.reference_table values
    ('crm.reference_table'), ('crm.tenant'), ('crm.partner'), ('crm.principal'), ('crm.api_key'), ('crm.admin_audit_log');

create index principal_tenant on crm.principal (tenant_id);
create index api_key_principal on crm.api_key (principal_id);
create index audit_log_entity on crm.audit_log (tenant_id, entity, entity_id);

create function crm.reject_change() returns trigger language plpgsql as $$
begin
    raise exception '% is append-only', tg_table_name using errcode = 'CR403';
end $$;
create trigger audit_log_append_only before update or delete or truncate on crm.audit_log
    for each statement execute function crm.reject_change();
create trigger admin_audit_log_append_only before update or delete or truncate on crm.admin_audit_log
    for each statement execute function crm.reject_change();

alter table crm.reference_table enable row level security;
alter table crm.tenant enable row level security;
alter table crm.partner enable row level security;
alter table crm.principal enable row level security;
alter table crm.api_key enable row level security;
alter table crm.admin_audit_log enable row level security;
alter table crm.partner_grant enable row level security;
alter table crm.partner_grant force row level security;
alter table crm.audit_log enable row level security;
alter table crm.audit_log force row level security;

grant select on crm.reference_table to crm_reporter;
grant select on crm.tenant to crm_unit, crm_partner, crm_reporter;
grant select, insert, update on crm.tenant to crm_admin;
grant select on crm.partner to crm_unit, crm_partner, crm_reporter;
grant select, insert, update on crm.partner to crm_admin;
grant select, insert, update on crm.partner_grant to crm_unit;
grant select on crm.partner_grant to crm_partner, crm_reporter;
grant select, insert, update on crm.principal to crm_admin;
grant select (id, principal_id, prefix, created_at, revoked_at, last_used_at), insert, update (revoked_at)
    on crm.api_key to crm_admin;
grant select, insert on crm.audit_log to crm_unit, crm_partner;
grant select on crm.audit_log to crm_reporter;
grant select, insert on crm.admin_audit_log to crm_admin;
grant select on crm.admin_audit_log to crm_reporter;

-- The request's scope, from transaction-local settings the server sets (or `SET crm.tenant =
-- 'slug'` in psql). Empty means unset. Policies call these once per statement: (select ...).
create function crm.current_tenant() returns uuid
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select coalesce(nullif(current_setting('crm.tenant_id', true), '')::uuid,
                    (select t.id from crm.tenant t where t.slug = nullif(current_setting('crm.tenant', true), '')))
$$;
create function crm.current_partner() returns uuid language sql stable
    return nullif(current_setting('crm.partner_id', true), '')::uuid;
create function crm.current_principal() returns uuid language sql stable
    return nullif(current_setting('crm.principal_id', true), '')::uuid;
create function crm.current_app_role() returns text language sql stable
    return nullif(current_setting('crm.app_role', true), '');

-- Raises forbidden unless the caller's unit role is one of p_roles (used by approvals).
create function crm.require_app_role(p_roles text[]) returns void language plpgsql stable as $$
begin
    if crm.current_app_role() is null or not crm.current_app_role() = any(p_roles) then
        raise exception 'forbidden: this needs one of the roles %', array_to_string(p_roles, ', ')
            using errcode = 'CR403';
    end if;
end $$;

-- Login: the principal behind an API key, if key and principal are live.
create function crm.authenticate(p_key text)
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
    return query
        select p.id, k.id, p.kind, p.tenant_id, t.slug, p.partner_id, pa.slug, p.app_role, p.display_name
          from crm.principal p
          left join crm.tenant t on t.id = p.tenant_id
          left join crm.partner pa on pa.id = p.partner_id
         where p.id = k.principal_id and p.revoked_at is null;
end $$;

-- Every request starts here: a revoked key or principal stops working at its next request.
create function crm.enter_request(p_key_id uuid) returns void
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    if not exists (select 1 from crm.api_key k join crm.principal p on p.id = k.principal_id
                    where k.id = p_key_id and k.revoked_at is null and p.revoked_at is null) then
        raise exception 'the API key was revoked; log in again' using errcode = 'CR401';
    end if;
end $$;

-- Operator functions: security invoker, executable by crm_admin only, audited.
create function crm.create_tenant(p_slug text, p_name text) returns uuid language plpgsql as $$
declare
    v uuid;
begin
    insert into crm.tenant (slug, name) values (p_slug, p_name) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'tenant', v::text, jsonb_build_object('slug', p_slug));
    return v;
end $$;

create function crm.create_partner(p_slug text, p_name text) returns uuid language plpgsql as $$
declare
    v uuid;
begin
    insert into crm.partner (slug, name) values (p_slug, p_name) returning id into v;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id, detail)
    values (crm.current_principal(), 'create', 'partner', v::text, jsonb_build_object('slug', p_slug));
    return v;
end $$;

create function crm.create_principal(p_kind text, p_tenant_slug text, p_partner_slug text, p_app_role text, p_display_name text)
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

create function crm.create_api_key(p_principal uuid, p_key text) returns uuid language plpgsql as $$
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

create function crm.revoke_api_key(p_key_id uuid) returns boolean language plpgsql as $$
begin
    update crm.api_key set revoked_at = now() where id = p_key_id and revoked_at is null;
    if not found then return false; end if;
    insert into crm.admin_audit_log (principal_id, action, entity, entity_id)
    values (crm.current_principal(), 'revoke', 'api_key', p_key_id::text);
    return true;
end $$;

revoke execute on all functions in schema crm from public;
grant execute on function crm.current_tenant(), crm.current_partner(), crm.current_principal(),
    crm.current_app_role(), crm.require_app_role(text[])
    to crm_unit, crm_partner, crm_admin, crm_reporter;
grant execute on function crm.authenticate(text), crm.enter_request(uuid) to crm_app;
grant execute on function crm.enter_request(uuid) to crm_unit, crm_partner, crm_admin;
grant execute on function crm.create_tenant(text, text), crm.create_partner(text, text),
    crm.create_principal(text, text, text, text, text), crm.create_api_key(uuid, text), crm.revoke_api_key(uuid)
    to crm_admin;

create policy "unit users see their own unit" on crm.tenant for select to crm_unit
    using (id = (select crm.current_tenant()));
create policy "partners see the units that granted them" on crm.tenant for select to crm_partner
    using (exists (select 1 from crm.partner_grant g where g.tenant_id = tenant.id
                    and g.partner_id = (select crm.current_partner()) and g.revoked_at is null));
create policy "admins manage every unit" on crm.tenant for all to crm_admin using (true) with check (true);
create policy "reporters see every unit, or the unit they chose" on crm.tenant for select to crm_reporter
    using ((select crm.current_tenant()) is null or id = (select crm.current_tenant()));

create policy "partners see themselves" on crm.partner for select to crm_partner
    using (id = (select crm.current_partner()));
create policy "unit users see the partners they granted" on crm.partner for select to crm_unit
    using (exists (select 1 from crm.partner_grant g where g.partner_id = partner.id
                    and g.tenant_id = (select crm.current_tenant())));
create policy "admins manage every partner" on crm.partner for all to crm_admin using (true) with check (true);
create policy "reporters see every partner" on crm.partner for select to crm_reporter using (true);

create policy "unit users see their own grants" on crm.partner_grant for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users grant from their own unit" on crm.partner_grant for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own grants" on crm.partner_grant for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "partners see the grants they hold" on crm.partner_grant for select to crm_partner
    using (partner_id = (select crm.current_partner()));
create policy "reporters see every unit's grants, or the unit they chose" on crm.partner_grant for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));

create policy "admins manage principals" on crm.principal for all to crm_admin using (true) with check (true);
create policy "admins manage keys" on crm.api_key for all to crm_admin using (true) with check (true);
create policy "admins write the admin audit log" on crm.admin_audit_log for all to crm_admin using (true) with check (true);
create policy "reporters read the admin audit log" on crm.admin_audit_log for select to crm_reporter using (true);
create policy "reporters see the reference list" on crm.reference_table for select to crm_reporter using (true);

create policy "unit users read their own audit log" on crm.audit_log for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users append to their own audit log" on crm.audit_log for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "partners append to the audit log of units that granted them" on crm.audit_log for insert to crm_partner
    with check (exists (select 1 from crm.partner_grant g where g.tenant_id = audit_log.tenant_id
                         and g.partner_id = (select crm.current_partner()) and g.revoked_at is null));
create policy "reporters see every unit's audit log, or the unit they chose" on crm.audit_log for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
