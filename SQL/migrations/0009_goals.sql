-- Goals: a metric, a target, a period, optionally for one staff member or a team; the goals
-- report sets each against what was achieved.
set local role crm_owner;

create table crm.goal (
    tenant_id    uuid          not null references crm.tenant (id),
    id           bigint        generated always as identity,
    metric       text          not null check (metric in ('revenue', 'gross_margin', 'orders', 'new_customers', 'contacts', 'nps')),
    target       numeric(16,2) not null,
    period_start date          not null,
    period_end   date          not null check (period_end >= period_start),
    staff_id     bigint,
    team         text,
    primary key (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id)
);
alter table crm.goal enable row level security;
alter table crm.goal force row level security;
grant select, insert, update on crm.goal to crm_unit;
grant select on crm.goal to crm_reporter;
create policy "unit users see their own goals" on crm.goal for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users set goals for their own unit" on crm.goal for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own goals" on crm.goal for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's goals, or the unit they chose" on crm.goal for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
