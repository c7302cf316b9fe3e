-- Each customer's tier for the current year, kept as rows: ranking a whole unit's customers by
-- margin is too much work for the caller lookup, so the scheduled job refreshes this table from
-- report.customer_tier (crm.refresh_customer_tiers) and the lookup reads one row.
set local role crm_owner;

create table crm.customer_tier_snapshot (
    tenant_id     uuid        not null,
    customer_id   bigint      not null,
    year          int         not null,
    tier          text        not null,
    previous_tier text,
    refreshed_at  timestamptz not null default now(),
    primary key (tenant_id, customer_id, year),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);

alter table crm.customer_tier_snapshot enable row level security;
alter table crm.customer_tier_snapshot force row level security;

grant select, insert, delete on crm.customer_tier_snapshot to crm_unit;
grant select on crm.customer_tier_snapshot to crm_reporter;

create policy "unit users see their own tier snapshot" on crm.customer_tier_snapshot for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users refresh their own tier snapshot" on crm.customer_tier_snapshot for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users clear their own tier snapshot" on crm.customer_tier_snapshot for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's tier snapshot, or the unit they chose" on crm.customer_tier_snapshot
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
