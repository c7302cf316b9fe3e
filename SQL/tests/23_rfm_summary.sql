-- The kept RFM summary (crm.customer_rfm_summary, 0051) stays what the orders say through every
-- path that changes sales: an order after the last purchase day, before the first, on a day in
-- between, on the first or last day again, a cancellation, a quoted order confirmed, a merge; and
-- report.rfm gives the same as the computation from the order lines, by day and week, as of
-- today and of a day inside the purchase history.
begin;
select plan(10);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f3', 'rfm-keep', 'RFM keep');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f3', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Ann'), (crm.current_tenant(), 'Ben'), (crm.current_tenant(), 'Cid');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);

-- What the summary must hold, computed from the orders.
create function pg_temp.expected() returns setof crm.customer_rfm_summary language sql as $$
    select d.tenant_id, d.customer_id, min(d.day), max(d.day), count(*)::int, sum(d.value), (array_agg(d.value order by d.day))[1]
      from (select o.tenant_id, o.customer_id, (o.ordered_at at time zone 'UTC')::date as day, sum(l.quantity * l.unit_price) as value
              from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
             where o.tenant_id = crm.current_tenant() and crm.is_sale(o.status)
             group by 1, 2, 3) d
     group by 1, 2
$$;
create function pg_temp.differences() returns bigint language sql as $$
    select count(*) from ((select * from pg_temp.expected() except all
                           select * from crm.customer_rfm_summary where tenant_id = crm.current_tenant())
                          union all
                          (select * from crm.customer_rfm_summary where tenant_id = crm.current_tenant() except all
                           select * from pg_temp.expected())) x
$$;
create function pg_temp.buy(p_who text, p_day date, p_qty int, p_status text default 'confirmed') returns bigint language sql as $$
    select crm.create_order((select id from crm.customer where name = p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', p_qty)),
        p_status, p_day::timestamptz + interval '10 hours')
$$;

-- Ann: Jan 10 (20), then Jan 20 after her last day (30), Jan 20 again (10), Jan 5 before her first (40).
select pg_temp.buy('Ann', '2026-01-10', 2);
select pg_temp.buy('Ann', '2026-01-20', 3);
select pg_temp.buy('Ann', '2026-01-20', 1);
select pg_temp.buy('Ann', '2026-01-05', 4) as ann_jan5 \gset
select is((select (first_day, last_day, days, revenue::numeric(12,2), first_revenue::numeric(12,2))::text from crm.customer_rfm_summary
            where customer_id = (select id from crm.customer where name = 'Ann')),
          '(2026-01-05,2026-01-20,3,100.00,40.00)', 'Ann after, on and before her purchase days: kept from the row alone');
-- A day in between (Jan 15, new) and one in between that was a purchase day already (Jan 10).
select pg_temp.buy('Ann', '2026-01-15', 5);
select pg_temp.buy('Ann', '2026-01-10', 1);
select is((select (days, revenue::numeric(12,2))::text from crm.customer_rfm_summary where customer_id = (select id from crm.customer where name = 'Ann')),
          '(4,160.00)', 'Ann: Jan 15 is a new purchase day, Jan 10 is not');
-- Cancelling the Jan 5 order moves her first day to Jan 10 (30 that day).
select crm.set_order_status(:ann_jan5, 'cancelled');
select is((select (first_day, days, revenue::numeric(12,2), first_revenue::numeric(12,2))::text from crm.customer_rfm_summary
            where customer_id = (select id from crm.customer where name = 'Ann')),
          '(2026-01-10,3,120.00,30.00)', 'Ann after a cancellation: recomputed from her orders');

-- Ben: a quoted order counts only when confirmed; a customer whose only sale is cancelled has no row.
select pg_temp.buy('Ben', '2026-01-03', 2, 'quoted') as ben_quote \gset
select is((select count(*)::int from crm.customer_rfm_summary where customer_id = (select id from crm.customer where name = 'Ben')), 0,
          'Ben: a quote is no purchase');
select crm.set_order_status(:ben_quote, 'confirmed');
select is((select (first_day, days, revenue::numeric(12,2))::text from crm.customer_rfm_summary where customer_id = (select id from crm.customer where name = 'Ben')),
          '(2026-01-03,1,20.00)', 'Ben: the confirmed quote is his first purchase');

-- Cid merges into Ann: his Jan 12 and Jan 20 purchases become hers.
select pg_temp.buy('Cid', '2026-01-12', 6);
select pg_temp.buy('Cid', '2026-01-20', 2);
select crm.merge_customers((select id from crm.customer where name = 'Ann'), (select id from crm.customer where name = 'Cid'));
select is((select (days, revenue::numeric(12,2))::text from crm.customer_rfm_summary where customer_id = (select id from crm.customer where name = 'Ann')),
          '(4,200.00)', 'Ann after the merge: Jan 12 is a new purchase day, Jan 20 is not');

select is(pg_temp.differences(), 0::bigint, 'every summary row is what the orders say');
-- (After the cancellation and the merge, the rollups' existing flags (0052, 0053) still follow the first sales.)
select is((select count(*)::int from crm.customer_month_summary s join crm.customer_first_sale f
            on f.tenant_id = s.tenant_id and f.customer_id = s.customer_id
           where s.tenant_id = crm.current_tenant() and s.existing is distinct from crm.is_existing_in_month(f.first_month, s.month)), 0,
          'monthly existing flags agree with the first sales after a cancellation and a merge');

-- report.rfm from the summary and from the orders agree, today, inside the history and by week.
create function pg_temp.rfm_from_lines(p_as_of date, p_period text)
    returns table (tenant text, customer_id bigint, frequency int, recency int, t int, monetary_value numeric) language sql as $$
    with tx as (
        select o.tenant_id, o.customer_id,
               case p_period when 'week' then (date_trunc('week', o.ordered_at at time zone 'UTC')::date - date '1970-01-05') / 7
                             else (o.ordered_at at time zone 'UTC')::date - date '1970-01-01' end as period_no,
               sum(l.quantity * l.unit_price) as value
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where crm.is_sale(o.status) and (o.ordered_at at time zone 'UTC')::date <= p_as_of
         group by 1, 2, 3),
    marked as (select tx.*, min(period_no) over (partition by tenant_id, customer_id) as first_period from tx)
    select t.slug, m.customer_id, (count(*) - 1)::int, (max(m.period_no) - min(m.period_no))::int,
           ((case p_period when 'week' then (date_trunc('week', p_as_of)::date - date '1970-01-05') / 7
                           else p_as_of - date '1970-01-01' end) - min(m.period_no))::int,
           coalesce(round(avg(m.value) filter (where m.period_no > m.first_period), 2), 0)
      from marked m join crm.tenant t on t.id = m.tenant_id
     group by t.slug, m.customer_id
$$;
select set_eq($$select * from report.rfm(current_date, 'day')$$, $$select * from pg_temp.rfm_from_lines(current_date, 'day')$$,
              'report.rfm as of today: the summary gives what the lines give');
select set_eq($$select * from report.rfm('2026-01-14', 'day') union all select * from report.rfm('2026-01-14', 'week')$$,
              $$select * from pg_temp.rfm_from_lines('2026-01-14', 'day') union all select * from pg_temp.rfm_from_lines('2026-01-14', 'week')$$,
              'report.rfm as of a day inside the history, and by week: from the orders, as before');

select * from finish();
rollback;
