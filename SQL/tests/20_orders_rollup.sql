-- Orders through the SQL functions: lines keep the price and cost of the day, and the sales
-- rollup equals the raw lines after every kind of status change.
begin;
select plan(15);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000c1', 'roll-a', 'A'),
                                               ('00000000-0000-0000-0000-0000000000c2', 'roll-b', 'B');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000c1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Buyer');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'P1', 'High margin', 100.00, 20.00), (crm.current_tenant(), 'P2', 'Low margin', 50.00, 45.00);

-- Order 1: 2 x P1 at list (200 revenue, 40 cost); order 2: 3 x P2 at 48 (144 revenue, 135 cost); order 3 cancelled.
select crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 2)),
    'confirmed', '2026-03-05 10:00+00');
select crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 3, 'unit_price', 48)),
    'confirmed', '2026-03-20 10:00+00');
select crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 1)),
    'quoted', '2026-03-21 10:00+00');

update crm.product set list_price = 999, unit_cost = 1 where sku = 'P1';
select is((select sum(quantity * unit_price) from crm.order_line), 444.00::numeric,
    'lines keep the price of the day (200 + 144 + 100), whatever the product costs now');
select is((select revenue from crm.customer_month_summary where month = '2026-03-01'), 344.00::numeric,
    'the rollup counts confirmed orders only: 200 + 144');
select is((select cost from crm.customer_month_summary where month = '2026-03-01'), 175.00::numeric,
    'and their cost of the day: 40 + 135');
select is((select orders from crm.customer_month_summary where month = '2026-03-01'), 2, 'two orders');

select crm.set_order_status((select id from crm.sales_order where status = 'quoted'), 'confirmed');
select is((select revenue from crm.customer_month_summary), 444.00::numeric, 'confirming the quote adds its 100');
-- Ids say nothing about order (0033): the first order is the earliest one.
select crm.set_order_status((select id from crm.sales_order order by ordered_at, id limit 1), 'shipped');
select crm.set_order_status((select id from crm.sales_order order by ordered_at, id limit 1), 'returned');
select is((select revenue from crm.customer_month_summary), 244.00::numeric, 'a return takes its 200 out again');
select is((select (revenue, cost, orders, gross_margin)::text from crm.customer_year_summary where year = 2026), '(244.00,155.00,2,89.00)',
    'the yearly rollup follows: 144 + 100 revenue, 135 + 20 cost, two orders');
select is((select array_agg(row(product_id, units, revenue, cost)::text order by product_id) from
               (select product_id, sum(units) as units, sum(revenue) as revenue, sum(cost) as cost from crm.product_month_summary group by 1) m),
          (select array_agg(row(product_id, units, revenue, cost)::text order by product_id) from
               (select l.product_id, sum(l.quantity) as units, sum(l.quantity * l.unit_price)::numeric(16,2) as revenue,
                       sum(l.quantity * l.unit_cost)::numeric(16,2) as cost
                  from crm.order_line l join crm.sales_order o on o.id = l.order_id where crm.is_sale(o.status) group by 1) r),
          'the product rollup equals the lines of the sales, per product');
select is((select (sum(orders), sum(revenue))::text from crm.sales_day_summary), '(2,244.00)', 'the daily rollup counts the two sales and their 244');
-- Sales append delta rows; folding them leaves one row per key and every sum unchanged.
select ok((select count(*) from crm.product_month_summary) > (select count(distinct product_id) from crm.product_month_summary),
    'before folding, the product rollup holds delta rows');
select is(crm.compact_sales_rollups() > 0, true, 'folding removes rows');
select is((select count(*)::int from crm.product_month_summary), (select count(distinct product_id)::int from crm.product_month_summary),
    'one row per month and product after folding');
select is((select (sum(orders), sum(revenue), count(*) filter (where day = '2026-03-05'))::text from crm.sales_day_summary), '(2,244.00,1)',
    'the daily rollup still counts the two sales and their 244, one row for the day of the returned order');
select is(crm.customer_balance(crm.current_tenant(), (select id from crm.customer)), 0.00::numeric,
    'shipped then returned: invoiced 200, credited 200');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000c2', true);
select is((select count(*)::int from crm.sales_order) + (select count(*)::int from crm.customer_month_summary), 0,
    'another unit sees none of it');

select * from finish();
rollback;
