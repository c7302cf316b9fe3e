-- Staff of a business unit: who sells, answers calls, owns cases and tasks, holds quotas.
-- A staff member may have a login (principal) or be a name on a record only.
set local role crm_owner;

create table crm.staff (
    tenant_id    uuid        not null references crm.tenant (id),
    id           bigint      generated always as identity,
    name         text        not null check (length(name) between 1 and 200),
    email        text,
    team         text,
    region       text,
    principal_id uuid        references crm.principal (id),
    active       boolean     not null default true,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, id)
);

create index staff_team on crm.staff (tenant_id, team);

alter table crm.staff enable row level security;
alter table crm.staff force row level security;

grant select, insert, update on crm.staff to crm_unit;
grant select on crm.staff to crm_reporter;

create policy "unit users see their own staff" on crm.staff
    for select to crm_unit using (tenant_id = (select crm.current_tenant()));
create policy "unit users add staff to their own unit" on crm.staff
    for insert to crm_unit with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own staff" on crm.staff
    for update to crm_unit using (tenant_id = (select crm.current_tenant()))
    with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's staff, or the unit they chose" on crm.staff
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
