-- The writes' cheaper paths keep every summary what its rows say: a quote accepted adds its order
-- to the customer's RFM summary and channel months in place (crm.rollup_order +1; before a
-- customer's first purchase day, on a day in between, for a new customer, with no contact, with the
-- last contact in the month before), a cancellation recomputes them; the yearly and first-sale
-- statement triggers skip the empty half of an upsert (a new month and a month again); a contact
-- with a later sale recomputes, one without adds in place (one statement after the lock). Each
-- check compares the kept rows with a computation from the orders, lines and contacts.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f5', 'write-keep', 'Write keep');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f5', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Ann'), (crm.current_tenant(), 'Ben'), (crm.current_tenant(), 'Cid');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);

create function pg_temp.who(p_name text) returns bigint language sql as $$ select id from crm.customer where name = p_name $$;
create function pg_temp.order_at(p_who text, p_at text, p_qty int, p_status text) returns bigint language sql as $$
    select crm.create_order(pg_temp.who(p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', p_qty)), p_status, p_at::timestamptz)
$$;
create function pg_temp.contact(p_who text, p_channel text, p_at text, p_cost numeric) returns json language sql as $$
    select crm.log_interaction(jsonb_build_object('customer_id', pg_temp.who(p_who)::text, 'channel', p_channel,
                                                  'direction', 'outbound', 'cost', p_cost, 'occurred_at', p_at))
$$;
-- Every kept row against what the base rows say (a count of differing rows, either way):
-- the RFM summary, the per-customer channel months, the unit's channel deltas summed, the monthly
-- and yearly customer rollups and the first sales.
create function pg_temp.differences() returns bigint language sql as $$
    with sale_days as (
        select o.customer_id, (o.ordered_at at time zone 'UTC')::date as day, sum(l.quantity * l.unit_price) as value
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where crm.is_sale(o.status) group by 1, 2),
    rfm as (
        select customer_id, min(day) as first_day, max(day) as last_day, count(*)::int as days, sum(value) as revenue,
               (array_agg(value order by day))[1] as first_revenue
          from sale_days group by 1),
    kept_rfm as (select customer_id, first_day, last_day, days, revenue, first_revenue from crm.customer_rfm_summary),
    touches as (
        select i.customer_id, i.channel, date_trunc('month', i.occurred_at at time zone 'UTC')::date as month,
               1 as contacts, i.cost, 0 as conversions, 0::numeric as gross_margin
          from crm.interaction i
        union all
        select o.customer_id, (select i.channel from crm.interaction i
                                where i.customer_id = o.customer_id
                                  and i.occurred_at between o.ordered_at - interval '30 days' and o.ordered_at
                                order by i.occurred_at desc limit 1),
               date_trunc('month', o.ordered_at at time zone 'UTC')::date, 0, 0, 1,
               (select coalesce(sum(ol.quantity * (ol.unit_price - ol.unit_cost)), 0) from crm.order_line ol where ol.order_id = o.id)
          from crm.sales_order o where crm.is_sale(o.status)),
    channel_months as (
        select customer_id, channel, month, sum(contacts)::int as contacts, sum(cost) as cost, sum(conversions)::int as conversions,
               sum(gross_margin) as gross_margin
          from touches where channel is not null group by 1, 2, 3),
    kept_channel_months as (
        select customer_id, channel, month, contacts, cost, conversions, gross_margin from crm.customer_channel_month),
    unit_channel as (
        select month, channel, sum(contacts)::bigint as contacts, sum(cost) as cost, count(*) filter (where contacts > 0) as reached,
               sum(conversions)::bigint as conversions, sum(gross_margin) as gross_margin
          from channel_months group by 1, 2),
    kept_unit_channel as (
        select month, channel, sum(contacts)::bigint, sum(cost), sum(customers_reached)::bigint, sum(conversions)::bigint, sum(gross_margin)
          from crm.channel_month_summary group by 1, 2
        having sum(contacts) <> 0 or sum(cost) <> 0 or sum(customers_reached) <> 0 or sum(conversions) <> 0 or sum(gross_margin) <> 0),
    months as (
        select o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date as month,
               sum(l.quantity * l.unit_price) as revenue, sum(l.quantity * l.unit_cost) as cost,
               count(distinct o.id)::int as orders, sum(l.quantity) as units
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where crm.is_sale(o.status) group by 1, 2),
    kept_months as (
        select customer_id, month, revenue, cost, orders, units from crm.customer_month_summary
         where orders <> 0 or revenue <> 0),
    years as (
        select customer_id, date_part('year', month)::int as year, sum(revenue) as revenue, sum(orders)::int as orders
          from crm.customer_month_summary group by 1, 2 having sum(orders) <> 0),
    kept_years as (select customer_id, year, revenue, orders from crm.customer_year_summary where orders <> 0 or revenue <> 0),
    first_sales as (select customer_id, min(month) as first_month from months group by 1),
    kept_first_sales as (select customer_id, first_month from crm.customer_first_sale)
    select (select count(*) from ((select * from rfm except all select * from kept_rfm)
                                  union all (select * from kept_rfm except all select * from rfm)) x)
         + (select count(*) from ((select * from channel_months except all select * from kept_channel_months)
                                  union all (select * from kept_channel_months except all select * from channel_months)) x)
         + (select count(*) from ((select * from unit_channel except all select * from kept_unit_channel)
                                  union all (select * from kept_unit_channel except all select * from unit_channel)) x)
         + (select count(*) from ((select * from months except all select * from kept_months)
                                  union all (select * from kept_months except all select * from months)) x)
         + (select count(*) from ((select * from years except all select * from kept_years)
                                  union all (select * from kept_years except all select * from years)) x)
         + (select count(*) from ((select * from first_sales except all select * from kept_first_sales)
                                  union all (select * from kept_first_sales except all select * from first_sales)) x)
$$;

-- Ann: a phone call on March 2 (2.00), a sale of 2 on March 10 (margin 12).
select pg_temp.contact('Ann', 'phone', '2026-03-02T10:00:00Z', 2.00);
select pg_temp.order_at('Ann', '2026-03-10 10:00+00', 2, 'confirmed');
-- Her quote of March 5 (before her first purchase day) and of March 7 (a day in between), accepted.
select pg_temp.order_at('Ann', '2026-03-05 10:00+00', 1, 'quoted') as ann_q5 \gset
select pg_temp.order_at('Ann', '2026-03-07 10:00+00', 3, 'quoted') as ann_q7 \gset
select crm.accept_quote(:ann_q5);
select is((select (first_day, last_day, days, revenue::numeric(12,2), first_revenue::numeric(12,2))::text
             from crm.customer_rfm_summary where customer_id = pg_temp.who('Ann')),
          '(2026-03-05,2026-03-10,2,30.00,10.00)', 'a quote accepted before Ann''s first purchase day: her first day, in place');
select crm.accept_quote(:ann_q7);
select is((select (days, revenue::numeric(12,2), first_revenue::numeric(12,2))::text from crm.customer_rfm_summary
            where customer_id = pg_temp.who('Ann'))
          || (select (contacts, conversions, gross_margin::numeric(12,2))::text from crm.customer_channel_month
               where customer_id = pg_temp.who('Ann') and channel = 'phone' and month = '2026-03-01'),
          '(3,60.00,10.00)(1,3,36.00)', 'and one on a day in between: 3 days, 60; three phone conversions, margin 12 + 6 + 18');

-- Ben: an email on March 25 (0.10), a quote of 1 on April 15 accepted: a conversion in April, a
-- month without a contact of his; his first sale (a new month row: the yearly rollup's insert half).
select pg_temp.contact('Ben', 'email', '2026-03-25T10:00:00Z', 0.10);
select pg_temp.order_at('Ben', '2026-04-15 10:00+00', 1, 'quoted') as ben_q \gset
select crm.accept_quote(:ben_q);
select is((select string_agg((channel, month, contacts, conversions, gross_margin::numeric(12,2))::text, ' ' order by month)
             from crm.customer_channel_month where customer_id = pg_temp.who('Ben')),
          '(email,2026-03-01,1,0,0.00) (email,2026-04-01,0,1,6.00)', 'Ben''s accepted quote: an email conversion in April, no contact there');
select is((select (first_month, (select (revenue, orders)::text from crm.customer_year_summary y
                                   where y.customer_id = f.customer_id and y.year = 2026))::text
             from crm.customer_first_sale f where f.customer_id = pg_temp.who('Ben')),
          '(2026-04-01,"(10.00,1)")', 'his first sale in April, in his year');

-- Cid: two quotes in May without any contact, accepted (the second updates his May row: the
-- yearly rollup's update half).
select pg_temp.order_at('Cid', '2026-05-03 10:00+00', 1, 'quoted') as cid_q1 \gset
select pg_temp.order_at('Cid', '2026-05-04 10:00+00', 2, 'quoted') as cid_q2 \gset
select crm.accept_quote(:cid_q1);
select crm.accept_quote(:cid_q2);
select is((select (revenue, orders, units)::text from crm.customer_year_summary where customer_id = pg_temp.who('Cid'))
          || (select count(*) from crm.customer_channel_month where customer_id = pg_temp.who('Cid')),
          '(30.00,2,3.000)0', 'Cid''s two accepted quotes: 30 in two orders in his year, no channel month');
select is(pg_temp.differences(), 0::bigint, 'after accepted quotes: every summary is what the rows say');

-- Ann's accepted quote of March 7 is cancelled (recomputed): back to 2 days, 2 phone conversions.
select crm.set_order_status(:ann_q7, 'cancelled');
select is((select (days, revenue::numeric(12,2))::text from crm.customer_rfm_summary where customer_id = pg_temp.who('Ann'))
          || (select (conversions, gross_margin::numeric(12,2))::text from crm.customer_channel_month
               where customer_id = pg_temp.who('Ann') and channel = 'phone' and month = '2026-03-01')
          || pg_temp.differences(),
          '(2,30.00)(2,18.00)0', 'a cancelled quote leaves the summaries');

-- Contacts: Cid's visit on May 1 (before his sales: they become visit conversions, recomputed)
-- and on May 20 (after them: added in place); Ann's phone call again in March (the same row).
select pg_temp.contact('Cid', 'visit', '2026-05-01T10:00:00Z', 5.00);
select pg_temp.contact('Cid', 'visit', '2026-05-20T10:00:00Z', 5.00);
select pg_temp.contact('Ann', 'phone', '2026-03-28T10:00:00Z', 2.00);
select is((select (contacts, cost, conversions, gross_margin::numeric(12,2))::text from crm.customer_channel_month
            where customer_id = pg_temp.who('Cid') and channel = 'visit')
          || (select (contacts, cost)::text from crm.customer_channel_month
               where customer_id = pg_temp.who('Ann') and channel = 'phone' and month = '2026-03-01'),
          '(2,10.00,2,18.00)(2,4.00)', 'a contact before sales takes them; after them and in a month again, added');
select is(pg_temp.differences(), 0::bigint, 'after contacts before and after sales: every summary is what the rows say');

select * from finish();
rollback;
