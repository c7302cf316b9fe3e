-- What the quality, basket, customer-base, adoption and forecast reports read (issue 19) that
-- nothing recorded yet:
--   * crm.service_case.repair_cost: what repairing the product of a case cost (cases.open / update);
--   * crm.customer.referred_by: the customer of the same unit who referred this one
--     (customers.create / update);
--   * crm.api_key_week: one row per API key and week in which it logged in, written by
--     crm.authenticate (at most one write per key and week, never per request);
--   * crm.customer_first_sale: each customer's first month with a sale, kept from the monthly rollup
--     by a statement trigger (SQL/repeatable/23_rollup_triggers.sql) and backfilled here, so the
--     existing-versus-new report joins one row per customer instead of probing each customer's
--     earlier months;
--   * crm.basket_summary, crm.basket_product, crm.basket_pair: the product pairs bought in the same
--     order, counted over the last year by crm.refresh_basket_pairs (the scheduled job, daily), so
--     the basket-affinity report reads a few thousand rows instead of self-joining order lines.
-- Stage probabilities for the sales forecast are settings (crm.tenant.settings ->
-- 'forecast_probability'), with defaults in SQL/repeatable/34_reports_sales.sql: no table.
-- Every new table is a unit table: tenant_id leads its key, row-level security enabled and forced,
-- the standard policies of crm.add_unit_policies (unit users read and add their own unit's rows,
-- reporters every unit or the chosen one; viewers follow crm_unit's read policies through
-- 98_viewer_privileges.sql).
set local role crm_owner;

-- Repair cost of a case: an amount, never negative. Readable by unit users like the rest of the
-- case (crm_unit has table-wide SELECT on crm.service_case); partners have no privilege on cases.
alter table crm.service_case add column repair_cost numeric(12,2) check (repair_cost >= 0);
comment on column crm.service_case.repair_cost is 'What repairing or replacing the product of this case cost the unit (null: none recorded).';
-- The quality reports group a unit's cases by month opened.
create index service_case_opened on crm.service_case (tenant_id, opened_at);

-- The sales forecast reads the recent open quotes (orders in status quoted) of a unit.
create index sales_order_quoted on crm.sales_order (tenant_id, ordered_at) where status = 'quoted';

-- Who referred a customer: a customer of the same unit (the composite key makes another unit's
-- customer impossible). Adding a nullable column rewrites nothing; the key is checked on the
-- existing rows (all null) at once.
alter table crm.customer add column referred_by bigint;
alter table crm.customer add constraint customer_referred_by_fkey
    foreign key (tenant_id, referred_by) references crm.customer (tenant_id, id);
alter table crm.customer add constraint customer_not_referred_by_itself check (referred_by <> id);
comment on column crm.customer.referred_by is 'The customer of the same unit who referred this one (null: none recorded).';
create index customer_referred_by on crm.customer (tenant_id, referred_by) where referred_by is not null;

-- First month with a sale per customer. Written by the rollup's insert trigger as whoever writes
-- orders (crm_unit): unit users add and move back their own unit's rows. A later cancellation does
-- not move it forward (the month stays the first with a sale recorded).
create table crm.customer_first_sale (
    tenant_id   uuid   not null,
    customer_id bigint not null,
    first_month date   not null,
    primary key (tenant_id, customer_id),
    foreign key (tenant_id, customer_id) references crm.customer (tenant_id, id)
);
comment on table crm.customer_first_sale is 'Each customer''s first month (UTC) with a sale in crm.customer_month_summary, kept by its insert trigger.';
select crm.add_unit_policies('crm.customer_first_sale', 'first sales', true);
grant select, insert, update on crm.customer_first_sale to crm_unit;
grant select on crm.customer_first_sale to crm_reporter;
-- The backfill reads and writes with the force lifted for this transaction only: row-level
-- security is forced on the owner too and no policy is crm_owner's, so it would see no rollup rows
-- (as 0016's contact backfill did; see 0020).
alter table crm.customer_month_summary no force row level security;
alter table crm.customer_first_sale no force row level security;
insert into crm.customer_first_sale (tenant_id, customer_id, first_month)
select s.tenant_id, s.customer_id, min(s.month) from crm.customer_month_summary s where s.orders > 0 group by 1, 2;
alter table crm.customer_month_summary force row level security;
alter table crm.customer_first_sale force row level security;

-- API key use per week (Monday, UTC), for the adoption report. The login function (a security
-- definer owned by crm_owner, no unit set) records it; it needs a policy of its own because row-level
-- security is forced on the owner too. It inserts and reads nothing else.
create table crm.api_key_week (
    tenant_id     uuid        not null references crm.tenant (id),
    week          date        not null,
    key_id        uuid        not null references crm.api_key (id),
    principal_id  uuid        not null references crm.principal (id),
    app_role      text        not null,
    first_used_at timestamptz not null default now(),
    primary key (tenant_id, week, key_id)
);
comment on table crm.api_key_week is 'One row per unit API key and week (Monday, UTC) in which the key logged in, written once a week at the most by crm.authenticate.';
select crm.add_unit_policies('crm.api_key_week', 'key use');
create policy "the login function records key use" on crm.api_key_week for insert to crm_owner with check (true);
grant select on crm.api_key_week to crm_unit, crm_reporter;

-- Basket pairs: counts over the sales orders of a window (the last 365 days at the refresh), per
-- unit. crm.basket_summary holds the window and the number of orders with at least one line;
-- crm.basket_product the orders per product; crm.basket_pair the orders holding both products of a
-- pair (product_a < product_b), kept when at least basket_min_orders (setting, default 2) orders do.
-- Written by crm.refresh_basket_pairs under the unit's role (the scheduled job): replaced as a
-- whole, so unit users may delete their own unit's rows.
create table crm.basket_summary (
    tenant_id    uuid        not null references crm.tenant (id),
    window_from  date        not null,
    window_to    date        not null,
    orders       bigint      not null,
    refreshed_at timestamptz not null default now(),
    primary key (tenant_id)
);
create table crm.basket_product (
    tenant_id  uuid   not null,
    product_id bigint not null,
    orders     bigint not null,
    primary key (tenant_id, product_id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);
create table crm.basket_pair (
    tenant_id uuid   not null,
    product_a bigint not null,
    product_b bigint not null,
    orders    bigint not null,
    primary key (tenant_id, product_a, product_b),
    foreign key (tenant_id, product_a) references crm.product (tenant_id, id),
    foreign key (tenant_id, product_b) references crm.product (tenant_id, id),
    check (product_a < product_b)
);
create index basket_pair_orders on crm.basket_pair (tenant_id, orders desc);
comment on table crm.basket_summary is 'Per unit: the window of the basket counts and its number of sales orders; refreshed daily by crm.refresh_basket_pairs.';
comment on table crm.basket_product is 'Sales orders per product in the basket window.';
comment on table crm.basket_pair is 'Sales orders holding both products of a pair (product_a < product_b) in the basket window.';
select crm.add_unit_policies('crm.basket_summary', 'basket summary', true);
select crm.add_unit_policies('crm.basket_product', 'basket products');
select crm.add_unit_policies('crm.basket_pair', 'basket pairs');
grant select, insert, update, delete on crm.basket_summary to crm_unit;
grant select, insert, delete on crm.basket_product, crm.basket_pair to crm_unit;
grant select on crm.basket_summary, crm.basket_product, crm.basket_pair to crm_reporter;
create policy "unit users replace their own basket summary" on crm.basket_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users replace their own basket products" on crm.basket_product for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users replace their own basket pairs" on crm.basket_pair for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

-- crm.authenticate records a key's first use in a week (SQL/repeatable/10_foundation.sql).
