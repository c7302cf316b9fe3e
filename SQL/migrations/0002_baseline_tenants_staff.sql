-- Baseline: business units, partners and what a unit grants them, principals, API keys, the audit
-- logs, the request's scope (crm.current_tenant() and friends, which every policy reads), staff
-- and their goals. Reference tables (global, not per unit) are listed in crm.reference_table; they
-- have row-level security enabled but not forced, so the owner's security-definer functions can
-- read them. The functions that work on these tables live in SQL/repeatable/10_foundation.sql.
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
    commission_pct    numeric(5, 2) not null default 0 check (commission_pct between 0 and 100),
    primary key (tenant_id, partner_id)
);
comment on column crm.partner_grant.commission_pct is
    'Commission the unit pays the partner, in percent of the revenue credited to it.';

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

-- Every integer id is crm.opaque_id of its own sequence (ARCHITECTURE.md, "Ids"); the sequence is
-- limited to the permutation's domain [1, 2^48) and owned by the column.
create sequence crm.audit_log_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.audit_log (
    tenant_id    uuid        not null references crm.tenant (id),
    id           bigint      not null default crm.opaque_id(nextval('crm.audit_log_id_seq')),
    at           timestamptz not null default now(),
    principal_id uuid,
    action       text        not null,
    entity       text        not null,
    entity_id    text,
    detail       jsonb,
    primary key (tenant_id, id)
);
alter sequence crm.audit_log_id_seq owned by crm.audit_log.id;
comment on table crm.audit_log is 'Who changed what, when, as which principal. Append-only.';

create sequence crm.admin_audit_log_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.admin_audit_log (
    id           bigint      not null default crm.opaque_id(nextval('crm.admin_audit_log_id_seq')) primary key,
    at           timestamptz not null default now(),
    principal_id uuid,
    action       text        not null,
    entity       text        not null,
    entity_id    text,
    detail       jsonb
);
alter sequence crm.admin_audit_log_id_seq owned by crm.admin_audit_log.id;

insert into crm.reference_table values
    ('crm.reference_table'), ('crm.tenant'), ('crm.partner'), ('crm.principal'), ('crm.api_key'), ('crm.admin_audit_log');

create index principal_tenant on crm.principal (tenant_id);
create index api_key_principal on crm.api_key (principal_id);
create index audit_log_entity on crm.audit_log (tenant_id, entity, entity_id);

-- Staff of a business unit: who sells, answers calls, owns cases and tasks, holds quotas.
-- A staff member may have a login (principal) or be a name on a record only.
create sequence crm.staff_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.staff (
    tenant_id    uuid        not null references crm.tenant (id),
    id           bigint      not null default crm.opaque_id(nextval('crm.staff_id_seq')),
    name         text        not null check (length(name) between 1 and 200),
    email        text,
    team         text,
    region       text,
    principal_id uuid        references crm.principal (id),
    active       boolean     not null default true,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id)
);
alter sequence crm.staff_id_seq owned by crm.staff.id;
create index staff_team on crm.staff (tenant_id, team);

-- Goals: a metric, a target, a period, optionally for one staff member or a team; the goals
-- report sets each against what was achieved.
create sequence crm.goal_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.goal (
    tenant_id    uuid          not null references crm.tenant (id),
    id           bigint        not null default crm.opaque_id(nextval('crm.goal_id_seq')),
    metric       text          not null check (metric in ('revenue', 'gross_margin', 'orders', 'new_customers', 'contacts', 'nps')),
    target       numeric(16,2) not null,
    period_start date          not null,
    period_end   date          not null check (period_end >= period_start),
    staff_id     bigint,
    team         text,
    primary key (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id)
);
alter sequence crm.goal_id_seq owned by crm.goal.id;

-- The request's scope, from transaction-local settings the server sets (or `SET crm.tenant =
-- 'slug'` in psql). Empty means unset. Policies call these once per statement: (select ...).
-- crm.current_tenant() is a plain expression the planner inlines (as a security-definer function
-- it cost 0.1-0.2 ms a call, a third of a caller lookup); only the psql convenience, which must read
-- the tenant table whatever the caller's policies, stays behind a security-definer function, and
-- that runs only when crm.tenant_id is not set.
create function crm.tenant_of_slug_setting() returns uuid
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select t.id from crm.tenant t where t.slug = nullif(current_setting('crm.tenant', true), '')
$$;
create function crm.current_tenant() returns uuid
    language sql stable
    return coalesce(nullif(current_setting('crm.tenant_id', true), '')::uuid, crm.tenant_of_slug_setting());
create function crm.current_partner() returns uuid language sql stable
    return nullif(current_setting('crm.partner_id', true), '')::uuid;
-- The units that granted the caller (a partner). Policies call it once per statement.
create function crm.partner_tenants() returns uuid[] language sql stable as $$
    select coalesce(array_agg(g.tenant_id), '{}') from crm.partner_grant g
     where g.partner_id = crm.current_partner() and g.revoked_at is null
$$;
grant execute on function crm.tenant_of_slug_setting(), crm.current_tenant(), crm.current_partner()
    to crm_unit, crm_partner, crm_admin, crm_reporter;
grant execute on function crm.current_partner() to crm_search, crm_dealcheck;
grant execute on function crm.partner_tenants() to crm_partner, crm_unit, crm_reporter;

-- The standard policies of a unit table, in one place: unit users (and viewers) read and add their
-- own unit's rows (and change them where the table allows it); reporters read every unit, or the
-- unit they chose with SET crm.tenant. Tables with other rules add their own policies.
create function crm.add_unit_policies(p_table regclass, p_label text, p_updatable boolean default false)
    returns void language plpgsql as $$
begin
    execute format('alter table %s enable row level security', p_table);
    execute format('alter table %s force row level security', p_table);
    execute format('create policy %I on %s for select to crm_unit, crm_viewer using (tenant_id = (select crm.current_tenant()))',
                   'unit users see their own ' || p_label, p_table);
    execute format('create policy %I on %s for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                   'unit users add ' || p_label || ' to their own unit', p_table);
    if p_updatable then
        execute format('create policy %I on %s for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                       'with check (tenant_id = (select crm.current_tenant()))', 'unit users change their own ' || p_label, p_table);
    end if;
    execute format('create policy %I on %s for select to crm_reporter '
                   'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                   'reporters see every unit''s ' || p_label || ', or the unit they chose', p_table);
end $$;
comment on function crm.add_unit_policies(regclass, text, boolean) is
    'Enables and forces row-level security on a unit table and creates the standard policies: unit users (and viewers) read, unit users add (and, if updatable, change) their own unit''s rows; reporters read every unit or the chosen one.';

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
alter table crm.staff enable row level security;
alter table crm.staff force row level security;
alter table crm.goal enable row level security;
alter table crm.goal force row level security;

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
grant usage on sequence crm.audit_log_id_seq to crm_unit, crm_partner;
grant select, insert on crm.admin_audit_log to crm_admin;
grant select on crm.admin_audit_log to crm_reporter;
grant usage on sequence crm.admin_audit_log_id_seq to crm_admin;
grant select, insert, update on crm.staff, crm.goal to crm_unit;
grant select on crm.staff, crm.goal to crm_reporter;
grant usage on sequence crm.staff_id_seq, crm.goal_id_seq to crm_unit;
-- The narrow roles' columns: the catalog search names units by slug, the deal check reads the
-- unit's window and the caller's grant.
grant select (id, slug) on crm.tenant to crm_search;
grant select (tenant_id, partner_id, revoked_at, may_see_products, product_groups) on crm.partner_grant to crm_search;
grant select (id, settings) on crm.tenant to crm_dealcheck;
grant select (tenant_id, partner_id, revoked_at) on crm.partner_grant to crm_dealcheck;

-- The standard policies of partner_grant, audit_log, staff and goal: 0009_baseline_unit_policies.sql.
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

create policy "partners see the grants they hold" on crm.partner_grant for select to crm_partner
    using (partner_id = (select crm.current_partner()));

create policy "admins manage principals" on crm.principal for all to crm_admin using (true) with check (true);
create policy "admins manage keys" on crm.api_key for all to crm_admin using (true) with check (true);
create policy "admins write the admin audit log" on crm.admin_audit_log for all to crm_admin using (true) with check (true);
create policy "reporters read the admin audit log" on crm.admin_audit_log for select to crm_reporter using (true);
create policy "reporters see the reference list" on crm.reference_table for select to crm_reporter using (true);

create policy "partners append to the audit log of units that granted them" on crm.audit_log for insert to crm_partner
    with check (exists (select 1 from crm.partner_grant g where g.tenant_id = audit_log.tenant_id
                         and g.partner_id = (select crm.current_partner()) and g.revoked_at is null));
