-- Service cases: complaints, quality problems, replacements, refunds and questions, with an SLA
-- due time from the unit's settings (sla_hours per priority; defaults urgent 4, high 24,
-- normal 72, low 168), status history, and the times to first response and to resolution.
set local role crm_owner;

create table crm.service_case (
    tenant_id         uuid        not null,
    id                bigint      generated always as identity,
    customer_id       bigint      not null,
    category          text        not null check (category in ('complaint', 'quality', 'replacement', 'refund', 'question')),
    priority          text        not null default 'normal' check (priority in ('low', 'normal', 'high', 'urgent')),
    status            text        not null default 'open' check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed')),
    subject           text        not null check (length(subject) between 1 and 300),
    description       text,
    order_id          bigint,
    product_id        bigint,
    assigned_to       bigint,
    opened_at         timestamptz not null default now(),
    sla_due_at        timestamptz not null,
    first_response_at timestamptz,
    resolved_at       timestamptz,
    resolution        text,
    version           int         not null default 1,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id),
    foreign key (tenant_id, assigned_to) references crm.staff (tenant_id, id)
);

create table crm.case_status_history (
    tenant_id    uuid        not null,
    id           bigint      generated always as identity,
    case_id      bigint      not null,
    status       text        not null,
    at           timestamptz not null default now(),
    by_principal uuid,
    note         text,
    primary key (tenant_id, id),
    foreign key (tenant_id, case_id) references crm.service_case (tenant_id, id)
);

create index service_case_open on crm.service_case (tenant_id, customer_id) where status not in ('resolved', 'closed');
create index service_case_due on crm.service_case (tenant_id, sla_due_at) where status not in ('resolved', 'closed');
create index case_status_history_case on crm.case_status_history (tenant_id, case_id, at);

alter table crm.service_case enable row level security;
alter table crm.service_case force row level security;
alter table crm.case_status_history enable row level security;
alter table crm.case_status_history force row level security;

grant select, insert, update on crm.service_case to crm_unit;
grant select, insert on crm.case_status_history to crm_unit;
grant select on crm.service_case, crm.case_status_history to crm_reporter;

create policy "unit users see their own cases" on crm.service_case for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users open cases in their own unit" on crm.service_case for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users work their own cases" on crm.service_case for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's cases, or the unit they chose" on crm.service_case for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
create policy "unit users see their own case history" on crm.case_status_history for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users record their own case history" on crm.case_status_history for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's case history, or the unit they chose" on crm.case_status_history
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
