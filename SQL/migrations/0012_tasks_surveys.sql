-- Loyalty work: tasks (calls, visits, greetings, care calls) with owners and due dates, some made
-- by rules (rule_key keeps each rule run idempotent), and survey answers for satisfaction and NPS.
set local role crm_owner;

create table crm.task (
    tenant_id   uuid        not null,
    id          bigint      generated always as identity,
    kind        text        not null check (kind in ('call', 'visit', 'greeting', 'care_call', 'other')),
    customer_id bigint,
    owner_id    bigint,
    due_at      timestamptz not null,
    done_at     timestamptz,
    note        text,
    rule_key    text,                       -- set by rules: one task per rule, customer and occasion
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, owner_id) references crm.staff (tenant_id, id),
    unique (tenant_id, rule_key)
);

create table crm.survey_response (
    tenant_id       uuid        not null,
    id              bigint      generated always as identity,
    customer_id     bigint      not null,
    product_id      bigint,
    service         text,
    score           int         not null check (score between 0 and 10),
    would_recommend boolean,
    comment         text,
    responded_at    timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

create index task_due on crm.task (tenant_id, due_at) where done_at is null;
create index task_customer on crm.task (tenant_id, customer_id) where done_at is null;
create index survey_product on crm.survey_response (tenant_id, product_id, responded_at);

alter table crm.task enable row level security;
alter table crm.task force row level security;
alter table crm.survey_response enable row level security;
alter table crm.survey_response force row level security;

grant select, insert, update (done_at, note, owner_id, due_at, customer_id) on crm.task to crm_unit;
grant select, insert on crm.survey_response to crm_unit;
grant update (customer_id) on crm.survey_response to crm_unit;
grant select on crm.task, crm.survey_response to crm_reporter;

create policy "unit users see their own tasks" on crm.task for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users schedule tasks in their own unit" on crm.task for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users work their own tasks" on crm.task for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's tasks, or the unit they chose" on crm.task for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
create policy "unit users see their own survey answers" on crm.survey_response for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users record survey answers in their own unit" on crm.survey_response for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users move their own survey answers" on crm.survey_response for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's survey answers, or the unit they chose" on crm.survey_response for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
