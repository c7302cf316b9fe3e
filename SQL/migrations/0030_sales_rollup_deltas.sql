-- The daily and product-month sales rollups were upserted by every sale: all of a day's orders
-- without a staff member, campaign or partner updated one row, so concurrent orders queued on its
-- lock until each commit was flushed (orders.create: 163 requests/s on 2 cores with fsync on,
-- most of the time spent waiting for that row). Now a sale appends a delta row; every reader
-- already sums over rows. The scheduled job (and crm.compact_sales_rollups()) folds each day's
-- and month's deltas back into one row per key, so the tables stay as small as before.
-- crm.customer_month_summary stays an upsert: its rows are per customer, so sales do not meet.
set local role crm_owner;

drop index crm.sales_day_summary_key;
create index sales_day_summary_day on crm.sales_day_summary (tenant_id, day);
drop index crm.product_month_summary_key;
create index product_month_summary_month on crm.product_month_summary (tenant_id, month);

grant delete on crm.product_month_summary, crm.sales_day_summary to crm_unit;
create policy "unit users fold their own product rollup" on crm.product_month_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
create policy "unit users fold their own daily rollup" on crm.sales_day_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

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

    insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
    select o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, l.product_id, o.staff_id,
           p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.ordered_at, l.product_id, o.staff_id;

    insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
    select o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
           p_sign, p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and o.id = p_order
     group by o.tenant_id, o.ordered_at, o.staff_id, o.campaign_id, o.partner_id;
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
    insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
    values (o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, new.product_id, o.staff_id,
            new.quantity, new.quantity * new.unit_price, new.quantity * new.unit_cost);
    insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
    values (o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
            case when new.line_no = 1 then 1 else 0 end, new.quantity, new.quantity * new.unit_price, new.quantity * new.unit_cost);
    return null;
end $$;
