-- Two more sales rollups, kept by the same order triggers as the per-customer one, so that the
-- product, commission, goal, campaign and partner reports read rollup rows instead of order lines:
--   crm.product_month_summary: per month, product and selling staff member (product
--     profitability, commissions by product tier);
--   crm.sales_day_summary: per day, staff member, campaign and partner (goals over any period,
--     campaign results by week, partner credit).
-- Dimensions that may be absent (no staff member, campaign or partner) are null; the unique keys
-- treat nulls as equal, so each combination has one row (the primary key is a row number, since a
-- primary key cannot hold nulls).
set local role crm_owner;

create table crm.product_month_summary (
    tenant_id  uuid          not null,
    id         bigint        generated always as identity,
    month      date          not null,
    product_id bigint        not null,
    staff_id   bigint,
    units      numeric(16,3) not null default 0,
    revenue    numeric(16,2) not null default 0,
    cost       numeric(16,2) not null default 0,
    primary key (tenant_id, id),
    foreign key (tenant_id, product_id) references crm.product (tenant_id, id)
);
create unique index product_month_summary_key on crm.product_month_summary (tenant_id, month, product_id, staff_id) nulls not distinct;
create index product_month_summary_product on crm.product_month_summary (tenant_id, product_id);

create table crm.sales_day_summary (
    tenant_id   uuid          not null,
    id          bigint        generated always as identity,
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
create unique index sales_day_summary_key on crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id) nulls not distinct;
create index sales_day_summary_staff on crm.sales_day_summary (tenant_id, staff_id, day) where staff_id is not null;
create index sales_day_summary_campaign on crm.sales_day_summary (tenant_id, campaign_id, day) where campaign_id is not null;
create index sales_day_summary_partner on crm.sales_day_summary (tenant_id, partner_id, day) where partner_id is not null;

comment on table crm.product_month_summary is 'Sales per month (UTC), product and selling staff member, kept by the order triggers.';
comment on table crm.sales_day_summary is 'Sales per day (UTC), staff member, campaign and partner, kept by the order triggers.';

-- Adds (p_sign 1) or removes (-1) an order's lines to or from every sales rollup.
create or replace function crm.rollup_order(p_tenant uuid, p_order bigint, p_sign int) returns void language sql as $$
    insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units)
    select o.tenant_id, o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
           p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost), p_sign, p_sign * sum(l.quantity)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.customer_id, o.ordered_at
    on conflict (tenant_id, customer_id, month) do update
       set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
           orders = s.orders + excluded.orders, units = s.units + excluded.units;

    insert into crm.product_month_summary as s (tenant_id, month, product_id, staff_id, units, revenue, cost)
    select o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, l.product_id, o.staff_id,
           p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.ordered_at, l.product_id, o.staff_id
    on conflict (tenant_id, month, product_id, staff_id) do update
       set units = s.units + excluded.units, revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost;

    insert into crm.sales_day_summary as s (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
    select o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
           p_sign, p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.ordered_at, o.staff_id, o.campaign_id, o.partner_id
    on conflict (tenant_id, day, staff_id, campaign_id, partner_id) do update
       set orders = s.orders + excluded.orders, units = s.units + excluded.units,
           revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost;
$$;

-- A line added to an order that is already a sale goes into every rollup at once.
create or replace function crm.order_line_rollup() returns trigger language plpgsql as $$
declare
    o crm.sales_order;
begin
    select * into o from crm.sales_order where tenant_id = new.tenant_id and id = new.order_id;
    if not crm.is_sale(o.status) then
        return null;
    end if;
    insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units)
    values (o.tenant_id, o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
            new.quantity * new.unit_price, new.quantity * new.unit_cost, case when new.line_no = 1 then 1 else 0 end, new.quantity)
    on conflict (tenant_id, customer_id, month) do update
       set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
           orders = s.orders + excluded.orders, units = s.units + excluded.units;
    insert into crm.product_month_summary as s (tenant_id, month, product_id, staff_id, units, revenue, cost)
    values (o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, new.product_id, o.staff_id,
            new.quantity, new.quantity * new.unit_price, new.quantity * new.unit_cost)
    on conflict (tenant_id, month, product_id, staff_id) do update
       set units = s.units + excluded.units, revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost;
    insert into crm.sales_day_summary as s (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
    values (o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
            case when new.line_no = 1 then 1 else 0 end, new.quantity, new.quantity * new.unit_price, new.quantity * new.unit_cost)
    on conflict (tenant_id, day, staff_id, campaign_id, partner_id) do update
       set orders = s.orders + excluded.orders, units = s.units + excluded.units,
           revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost;
    return null;
end $$;

-- The rows so far (row-level security is forced on the owner too: lifted for this transaction).
alter table crm.sales_order no force row level security;
alter table crm.order_line no force row level security;
insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
select o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, l.product_id, o.staff_id,
       sum(l.quantity), sum(l.quantity * l.unit_price), sum(l.quantity * l.unit_cost)
  from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
 where crm.is_sale(o.status)
 group by 1, 2, 3, 4;
insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
select o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
       count(distinct o.id), sum(l.quantity), sum(l.quantity * l.unit_price), sum(l.quantity * l.unit_cost)
  from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
 where crm.is_sale(o.status)
 group by 1, 2, 3, 4, 5;
alter table crm.sales_order force row level security;
alter table crm.order_line force row level security;

grant select, insert, update on crm.product_month_summary, crm.sales_day_summary to crm_unit;
grant select on crm.product_month_summary, crm.sales_day_summary to crm_reporter;
select crm.add_unit_policies('crm.product_month_summary', 'product sales rollup', true);
select crm.add_unit_policies('crm.sales_day_summary', 'daily sales rollup', true);
