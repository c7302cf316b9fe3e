-- Products: the unit's catalogue with price and cost, so margin (not volume) can steer sales.
-- Profit-tier thresholds live in crm.tenant.settings->'product_tiers' (margin rate floors,
-- default {"A": 0.40, "B": 0.20}); commission rates per tier in crm.commission_rate.
set local role crm_owner;

create table crm.product (
    tenant_id       uuid          not null references crm.tenant (id),
    id              bigint        generated always as identity,
    sku             text          not null check (length(sku) between 1 and 64),
    name            text          not null check (length(name) between 1 and 200),
    description     text,
    product_group   text,
    list_price      numeric(12,2) not null check (list_price >= 0),
    unit_cost       numeric(12,2) not null check (unit_cost >= 0),
    active          boolean       not null default true,
    surplus         boolean       not null default false,   -- marked for cross-selling
    warranty_months int           check (warranty_months >= 0),
    support_contact text,
    service_info    text,
    version         int           not null default 1,
    created_at      timestamptz   not null default now(),
    updated_at      timestamptz   not null default now(),
    primary key (tenant_id, id),
    unique (tenant_id, sku)
);
comment on table crm.product is 'A unit''s product with its list price and unit cost.';

create table crm.commission_rate (
    tenant_id uuid         not null references crm.tenant (id),
    tier      text         not null check (tier in ('A', 'B', 'C')),
    rate      numeric(5,4) not null check (rate between 0 and 1),
    primary key (tenant_id, tier)
);

create index product_name_trgm on crm.product using gin (name gin_trgm_ops);
create index product_group on crm.product (tenant_id, product_group);

alter table crm.product enable row level security;
alter table crm.product force row level security;
alter table crm.commission_rate enable row level security;
alter table crm.commission_rate force row level security;

grant select, insert, update on crm.product, crm.commission_rate to crm_unit;
grant select on crm.product, crm.commission_rate to crm_reporter;

-- A product's profit tier from its margin rate and the unit's thresholds.
create function crm.product_tier(p_list_price numeric, p_unit_cost numeric) returns text
    language sql stable
    return case
        when p_list_price <= 0 then 'C'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((select (t.settings #>> '{product_tiers,A}')::numeric
                 from crm.tenant t where t.id = crm.current_tenant()), 0.40) then 'A'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((select (t.settings #>> '{product_tiers,B}')::numeric
                 from crm.tenant t where t.id = crm.current_tenant()), 0.20) then 'B'
        else 'C' end;
grant execute on function crm.product_tier(numeric, numeric) to crm_unit, crm_reporter;

create policy "unit users see their own products" on crm.product for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users add products to their own unit" on crm.product for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own products" on crm.product for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's products, or the unit they chose" on crm.product for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));

create policy "unit users see their own commission rates" on crm.commission_rate for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users set their own commission rates" on crm.commission_rate for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own commission rates" on crm.commission_rate for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's commission rates, or the unit they chose" on crm.commission_rate
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
