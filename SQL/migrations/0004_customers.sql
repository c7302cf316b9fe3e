-- Customers of a business unit and their lifecycle history. The shared-read policies (another
-- unit's customers shared on purpose) are added in 0004_sharing.sql (which sorts after this file).
set local role crm_owner;

create table crm.customer (
    tenant_id       uuid        not null references crm.tenant (id),
    id              bigint      generated always as identity,
    name            text        not null check (length(name) between 1 and 200),
    emails          text[]      not null default '{}',   -- lower-case
    phones          text[]      not null default '{}',   -- E.164, e.g. +49301234567
    address         jsonb,                               -- street, city, postcode, country
    company         text,
    branch          text,                                -- branch or store
    segment         text,
    consent         jsonb       not null default '{}',   -- per channel: {"phone": true, "email": false}
    preferences     jsonb       not null default '{}',   -- room type, favourite seat, hobbies, ...
    lifecycle_stage text        not null default 'prospect'
        check (lifecycle_stage in ('prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed')),
    version         int         not null default 1,
    merged_into     bigint,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, merged_into) references crm.customer (tenant_id, id)
);
comment on table crm.customer is 'A business unit''s customer; phones in E.164, emails lower-case.';

create table crm.customer_lifecycle_history (
    tenant_id   uuid        not null,
    id          bigint      generated always as identity,
    customer_id bigint      not null,
    stage       text        not null,
    at          timestamptz not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);

-- Phone and email lookups go through these GIN indexes (phones @> array[...]).
create index customer_phones on crm.customer using gin (phones);
create index customer_emails on crm.customer using gin (emails);
create index customer_stage on crm.customer (tenant_id, lifecycle_stage);
create index customer_lifecycle_history_customer on crm.customer_lifecycle_history (tenant_id, customer_id, at);

alter table crm.customer enable row level security;
alter table crm.customer force row level security;
alter table crm.customer_lifecycle_history enable row level security;
alter table crm.customer_lifecycle_history force row level security;

grant select, insert, update on crm.customer to crm_unit;
grant select, insert on crm.customer_lifecycle_history to crm_unit;
grant select on crm.customer, crm.customer_lifecycle_history to crm_reporter;

create policy "unit users see their own customers" on crm.customer for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users add customers to their own unit" on crm.customer for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "unit users change their own customers" on crm.customer for update to crm_unit
    using (tenant_id = (select crm.current_tenant())) with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's customers, or the unit they chose" on crm.customer for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));

create policy "unit users see their own lifecycle history" on crm.customer_lifecycle_history for select to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users record their own lifecycle history" on crm.customer_lifecycle_history for insert to crm_unit
    with check (tenant_id = (select crm.current_tenant()));
create policy "reporters see every unit's lifecycle history, or the unit they chose" on crm.customer_lifecycle_history
    for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
