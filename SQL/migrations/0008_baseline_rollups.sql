-- Baseline: the sales rollups, kept by the order triggers (SQL/repeatable/23_rollup_triggers.sql)
-- so that profit, product, commission, goal, campaign and partner reports read rollup rows instead
-- of order lines. Sales are orders in status confirmed, shipped or delivered; a status change moves
-- an order's lines in or out.
--   crm.customer_month_summary: per customer and month, an upsert (its rows are per customer, so
--     concurrent sales seldom meet);
--   crm.customer_year_summary: per customer and year, kept from the monthly one, so the yearly
--     profit report and the customer tiers read one row per customer; gross_margin is stored so
--     that an index hands the report its customers best first;
--   crm.product_month_summary: per month, product and selling staff member;
--   crm.sales_day_summary: per day, staff member, campaign and partner.
-- The last two take a delta row per sale (an upsert made every order without a staff member,
-- campaign or partner queue on one row's lock); every reader sums over rows, and the scheduled job
-- (crm.compact_sales_rollups) folds each day's and month's deltas back into one row per key.
-- Dimensions that may be absent are null; the primary key is a row number.
set local role crm_owner;

create table crm.customer_month_summary (
    tenant_id   uuid          not null,
    customer_id bigint        not null,
    month       date          not null,
    revenue     numeric(16,2) not null default 0,
    cost        numeric(16,2) not null default 0,
    orders      int           not null default 0,
    units       numeric(16,3) not null default 0,
    primary key (tenant_id, customer_id, month),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
create index customer_month_summary_month on crm.customer_month_summary (tenant_id, month);

create table crm.customer_year_summary (
    tenant_id    uuid          not null,
    customer_id  bigint        not null,
    year         int           not null,
    revenue      numeric(16,2) not null default 0,
    cost         numeric(16,2) not null default 0,
    orders       int           not null default 0,
    units        numeric(16,3) not null default 0,
    gross_margin numeric       generated always as (revenue - cost) stored,
    primary key (tenant_id, customer_id, year),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
create index customer_year_summary_rank on crm.customer_year_summary (tenant_id, year, gross_margin desc, customer_id desc);
comment on table crm.customer_year_summary is 'Sales per customer and calendar year (UTC), kept from crm.customer_month_summary by a trigger.';

create sequence crm.product_month_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.product_month_summary (
    tenant_id  uuid          not null,
    id         bigint        not null default crm.opaque_id(nextval('crm.product_month_summary_id_seq')),
    month      date          not null,
    product_id bigint        not null,
    staff_id   bigint,
    units      numeric(16,3) not null default 0,
    revenue    numeric(16,2) not null default 0,
    cost       numeric(16,2) not null default 0,
    primary key (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);
alter sequence crm.product_month_summary_id_seq owned by crm.product_month_summary.id;
create index product_month_summary_product on crm.product_month_summary (tenant_id, product_id);
create index product_month_summary_month on crm.product_month_summary (tenant_id, month);
comment on table crm.product_month_summary is 'Sales per month (UTC), product and selling staff member, kept by the order triggers.';

create sequence crm.sales_day_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.sales_day_summary (
    tenant_id   uuid          not null,
    id          bigint        not null default crm.opaque_id(nextval('crm.sales_day_summary_id_seq')),
    day         date          not null,
    staff_id    bigint,
    campaign_id bigint,
    partner_id  uuid,
    orders      int           not null default 0,
    units       numeric(16,3) not null default 0,
    revenue     numeric(16,2) not null default 0,
    cost        numeric(16,2) not null default 0,
    primary key (tenant_id, id)
);
alter sequence crm.sales_day_summary_id_seq owned by crm.sales_day_summary.id;
create index sales_day_summary_staff on crm.sales_day_summary (tenant_id, staff_id, day) where staff_id is not null;
create index sales_day_summary_campaign on crm.sales_day_summary (tenant_id, campaign_id, day) where campaign_id is not null;
create index sales_day_summary_partner on crm.sales_day_summary (tenant_id, partner_id, day) where partner_id is not null;
create index sales_day_summary_day on crm.sales_day_summary (tenant_id, day);
comment on table crm.sales_day_summary is 'Sales per day (UTC), staff member, campaign and partner, kept by the order triggers.';

grant select, insert, update on crm.customer_month_summary, crm.customer_year_summary to crm_unit;
grant select, insert, update, delete on crm.product_month_summary, crm.sales_day_summary to crm_unit;
grant usage on sequence crm.product_month_summary_id_seq, crm.sales_day_summary_id_seq to crm_unit;
grant select on crm.customer_month_summary, crm.customer_year_summary, crm.product_month_summary,
    crm.sales_day_summary to crm_reporter;
-- Partners read the sales credited to them (their scorecard), without cost.
grant select (tenant_id, id, day, partner_id, orders, units, revenue) on crm.sales_day_summary to crm_partner;

select crm.add_unit_policies('crm.customer_month_summary', 'sales rollup', true);
select crm.add_unit_policies('crm.customer_year_summary', 'yearly sales rollup', true);
select crm.add_unit_policies('crm.product_month_summary', 'product sales rollup', true);
select crm.add_unit_policies('crm.sales_day_summary', 'daily sales rollup', true);
create policy "partners see the sales credited to them by units that grant them" on crm.sales_day_summary
    for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
