-- Baseline: products (the unit's catalogue with price and cost, so margin, not volume, can steer
-- sales) and orders with the price and cost of the day, their status history, invoices and
-- payments. Profit-tier thresholds live in crm.tenant.settings->'product_tiers' (margin rate
-- floors, default {"A": 0.40, "B": 0.20}); commission rates per tier in crm.commission_rate.
-- Sales are orders in status confirmed, shipped or delivered; the sales rollups (0008) follow
-- them. The functions of this area live in SQL/repeatable/22_orders_api.sql and 23_rollup_triggers.sql.
set local role crm_owner;

create sequence crm.product_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.product (
    tenant_id       uuid          not null references crm.tenant (id),
    id              bigint        not null default crm.opaque_id(nextval('crm.product_id_seq')),
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
    -- catalog.search matches fragments of it through crm.search_catalog_keys (as crm_search).
    search_text     text          generated always as (lower(sku || ' ' || name)) stored,
    primary key (tenant_id, id),
    unique (tenant_id, sku)
);
alter sequence crm.product_id_seq owned by crm.product.id;
comment on table crm.product is 'A unit''s product with its list price and unit cost.';

create table crm.commission_rate (
    tenant_id uuid         not null references crm.tenant (id),
    tier      text         not null check (tier in ('A', 'B', 'C')),
    rate      numeric(5,4) not null check (rate between 0 and 1),
    primary key (tenant_id, tier)
);

create index product_name_trgm on crm.product using gin (name gin_trgm_ops);
create index product_group on crm.product (tenant_id, product_group);
create index product_search_trgm on crm.product using gin (search_text gin_trgm_ops);
-- The partners' catalog pages by product id across units.
create index product_catalog_order on crm.product (id);

create sequence crm.sales_order_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.sales_order (
    tenant_id       uuid        not null references crm.tenant (id),
    id              bigint      not null default crm.opaque_id(nextval('crm.sales_order_id_seq')),
    customer_id     bigint      not null,
    staff_id        bigint,
    campaign_id     bigint,                 -- a campaign of the unit (foreign key in 0006)
    partner_id      uuid        references crm.partner (id),
    status          text        not null default 'confirmed'
        check (status in ('quoted', 'confirmed', 'shipped', 'delivered', 'cancelled', 'returned')),
    ordered_at      timestamptz not null default now(),
    note            text,
    idempotency_key text,
    version         int         not null default 1,
    created_at      timestamptz not null default now(),
    lead_id         bigint,                 -- the lead it came from (foreign key in 0006)
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, staff_id) references crm.staff (tenant_id, id),
    unique (tenant_id, idempotency_key)
);
alter sequence crm.sales_order_id_seq owned by crm.sales_order.id;

create table crm.order_line (
    tenant_id  uuid          not null,
    order_id   bigint        not null,
    line_no    int           not null,
    product_id bigint        not null,
    quantity   numeric(12,3) not null check (quantity > 0),
    unit_price numeric(12,2) not null check (unit_price >= 0),
    unit_cost  numeric(12,2) not null check (unit_cost >= 0),
    primary key (tenant_id, order_id, line_no),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);

create sequence crm.order_status_history_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.order_status_history (
    tenant_id  uuid        not null,
    id         bigint      not null default crm.opaque_id(nextval('crm.order_status_history_id_seq')),
    order_id   bigint      not null,
    status     text        not null,
    at         timestamptz not null default now(),
    by_principal uuid,
    primary key (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id)
);
alter sequence crm.order_status_history_id_seq owned by crm.order_status_history.id;

create sequence crm.invoice_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.invoice (
    tenant_id   uuid          not null,
    id          bigint        not null default crm.opaque_id(nextval('crm.invoice_id_seq')),
    order_id    bigint        not null,
    customer_id bigint        not null,
    amount      numeric(14,2) not null,          -- negative for a credit note (returns)
    issued_at   timestamptz   not null default now(),
    due_at      timestamptz,
    primary key (tenant_id, id),
    foreign key (tenant_id, order_id) references crm.sales_order (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
alter sequence crm.invoice_id_seq owned by crm.invoice.id;

create sequence crm.payment_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.payment (
    tenant_id       uuid          not null,
    id              bigint        not null default crm.opaque_id(nextval('crm.payment_id_seq')),
    customer_id     bigint        not null,
    invoice_id      bigint,
    amount          numeric(14,2) not null check (amount <> 0),
    paid_at         timestamptz   not null default now(),
    method          text,
    idempotency_key text,
    primary key (tenant_id, id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id),
    foreign key (tenant_id, invoice_id) references crm.invoice (tenant_id, id),
    unique (tenant_id, idempotency_key)
);
alter sequence crm.payment_id_seq owned by crm.payment.id;

create index sales_order_customer on crm.sales_order (tenant_id, customer_id, ordered_at desc);
create index sales_order_open on crm.sales_order (tenant_id, customer_id) where status in ('quoted', 'confirmed', 'shipped');
create index sales_order_campaign on crm.sales_order (tenant_id, campaign_id) where campaign_id is not null;
-- Ids reveal nothing, so "newest first" orders by time with the id as the tie-breaker.
create index sales_order_newest on crm.sales_order (tenant_id, ordered_at desc, id desc);
create index order_line_product on crm.order_line (tenant_id, product_id);
create index invoice_customer on crm.invoice (tenant_id, customer_id);
create index payment_customer on crm.payment (tenant_id, customer_id);

grant select, insert, update on crm.product, crm.commission_rate to crm_unit;
grant select, insert, update (status, version, note, customer_id, lead_id, partner_id) on crm.sales_order to crm_unit;
grant select, insert on crm.order_line, crm.order_status_history, crm.invoice, crm.payment to crm_unit;
-- customers.merge moves invoices and payments to the kept customer.
grant update (customer_id) on crm.invoice, crm.payment to crm_unit;
grant usage on sequence crm.product_id_seq, crm.sales_order_id_seq, crm.order_status_history_id_seq,
    crm.invoice_id_seq, crm.payment_id_seq to crm_unit;
grant select on crm.product, crm.commission_rate, crm.sales_order, crm.order_line, crm.order_status_history,
    crm.invoice, crm.payment to crm_reporter;
grant select (tenant_id, id, search_text, product_group, active) on crm.product to crm_search;

select crm.add_unit_policies('crm.sales_order', 'orders', true);
select crm.add_unit_policies('crm.order_line', 'order lines');
select crm.add_unit_policies('crm.order_status_history', 'order history');
select crm.add_unit_policies('crm.invoice', 'invoices', true);
select crm.add_unit_policies('crm.payment', 'payments', true);

-- The standard policies of product and commission_rate, and the shared reads of orders and their
-- lines: 0009_baseline_unit_policies.sql.
alter table crm.product enable row level security;
alter table crm.product force row level security;
alter table crm.commission_rate enable row level security;
alter table crm.commission_rate force row level security;
