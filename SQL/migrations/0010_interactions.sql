-- Every contact with a customer (with what it cost and any prices quoted) and the call centre's
-- inbound call records.
set local role crm_owner;

create table crm.interaction (
    tenant_id       uuid          not null,
    id              bigint        generated always as identity,
    customer_id     bigint        not null,
    channel         text          not null check (channel in ('phone', 'email', 'web', 'store', 'call_centre', 'mail', 'partner', 'visit')),
    direction       text          not null check (direction in ('inbound', 'outbound')),
    staff_id        bigint,
    outcome         text,
    summary         text,
    cost            numeric(10,2) not null default 0 check (cost >= 0),
    occurred_at     timestamptz   not null default now(),
    campaign_id     bigint,
    idempotency_key text,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id),
    unique (tenant_id, idempotency_key)
);

-- A price quoted during a contact: the next lookup shows the last one per product.
create table crm.quoted_price (
    tenant_id      uuid          not null,
    id             bigint        generated always as identity,
    interaction_id bigint        not null,
    customer_id    bigint        not null,
    product_id     bigint        not null,
    price          numeric(12,2) not null check (price >= 0),
    quoted_at      timestamptz   not null default now(),
    primary key (tenant_id, id),
    foreign key (tenant_id, interaction_id) references crm.interaction (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

create table crm.call_record (
    tenant_id        uuid        not null,
    id               bigint      generated always as identity,
    customer_id      bigint,
    phone            text,
    answered_by      bigint,
    wait_seconds     int         not null default 0 check (wait_seconds >= 0),
    abandoned        boolean     not null default false,
    reason           text        not null check (reason in ('question', 'complaint', 'quality', 'replacement', 'refund', 'order', 'other')),
    started_at       timestamptz not null default now(),
    duration_seconds int         not null default 0 check (duration_seconds >= 0),
    interaction_id   bigint,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, answered_by) references crm.staff (tenant_id, id),
    foreign key (tenant_id, interaction_id) references crm.interaction (tenant_id, id)
);

create index interaction_customer on crm.interaction (tenant_id, customer_id, occurred_at desc);
create index interaction_channel on crm.interaction (tenant_id, channel, occurred_at);
create index quoted_price_last on crm.quoted_price (tenant_id, customer_id, product_id, quoted_at desc);
create index call_record_day on crm.call_record (tenant_id, started_at);

alter table crm.interaction enable row level security;
alter table crm.interaction force row level security;
alter table crm.quoted_price enable row level security;
alter table crm.quoted_price force row level security;
alter table crm.call_record enable row level security;
alter table crm.call_record force row level security;

grant select, insert on crm.interaction, crm.quoted_price, crm.call_record to crm_unit;
-- customers.merge moves contacts to the kept customer.
grant update (customer_id) on crm.interaction, crm.quoted_price, crm.call_record to crm_unit;
grant select on crm.interaction, crm.quoted_price, crm.call_record to crm_reporter;

do $$
declare
    t record;
begin
    for t in select * from (values ('interaction', 'contacts'), ('quoted_price', 'quotes'), ('call_record', 'call records')) as v(tab, label) loop
        execute format('create policy %I on crm.%I for select to crm_unit using (tenant_id = (select crm.current_tenant()))',
                       'unit users see their own ' || t.label, t.tab);
        execute format('create policy %I on crm.%I for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                       'unit users record ' || t.label || ' of their own unit', t.tab);
        execute format('create policy %I on crm.%I for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                       'with check (tenant_id = (select crm.current_tenant()))', 'unit users move their own ' || t.label, t.tab);
        execute format('create policy %I on crm.%I for select to crm_reporter '
                       'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                       'reporters see every unit''s ' || t.label || ', or the unit they chose', t.tab);
    end loop;
end $$;

create policy "unit users see the contacts of customers shared with them" on crm.interaction for select to crm_unit
    using (crm.is_shared_customer(tenant_id, customer_id));
