-- The kept channel summaries (crm.customer_channel_month and crm.channel_month_summary, 0054) stay
-- what the contacts and sales say through every path that changes them: contacts logged, orders
-- made, a contact logged after the sale it precedes (back-dated), a cancellation, a quote
-- confirmed, an import of orders and of contacts in one statement each, a merge, and the fold of
-- the delta rows; report.channel_effectiveness gives what its former text computed from the base
-- rows (every contact, and the last contact within 30 days before each sale).
begin;
select plan(11);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f4', 'chan-keep', 'Channel keep');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f4', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Ann'), (crm.current_tenant(), 'Ben'), (crm.current_tenant(), 'Cid');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);

-- The report as computed from the base rows (the view's text before 0054).
create function pg_temp.from_base() returns table (tenant text, channel text, month date, contacts bigint, customers_reached bigint,
    cost numeric, cost_per_contact numeric, conversions bigint, gross_margin numeric, conversion_rate numeric) language sql as $$
    with contacts as (
        select i.tenant_id, i.channel, date_trunc('month', i.occurred_at at time zone 'UTC')::date as month,
               count(*) as contacts, sum(i.cost) as cost, count(distinct i.customer_id) as customers_reached
          from crm.interaction i where i.tenant_id = crm.current_tenant() group by 1, 2, 3),
    conversions as (
        select o.tenant_id, last.channel, date_trunc('month', o.ordered_at at time zone 'UTC')::date as month,
               count(*) as conversions, sum(l.margin) as gross_margin
          from crm.sales_order o
          join lateral (select sum(ol.quantity * (ol.unit_price - ol.unit_cost)) as margin from crm.order_line ol
                         where ol.tenant_id = o.tenant_id and ol.order_id = o.id) l on true
          join lateral (select i.channel from crm.interaction i
                         where i.tenant_id = o.tenant_id and i.customer_id = o.customer_id
                           and i.occurred_at between o.ordered_at - interval '30 days' and o.ordered_at
                         order by i.occurred_at desc limit 1) last on true
         where o.tenant_id = crm.current_tenant() and crm.is_sale(o.status)
         group by 1, 2, 3)
    select t.slug, c.channel, c.month, c.contacts, c.customers_reached, c.cost::numeric(14,2),
           round(c.cost / nullif(c.contacts, 0), 2), coalesce(v.conversions, 0), coalesce(v.gross_margin, 0)::numeric(16,2),
           round(coalesce(v.conversions, 0)::numeric / nullif(c.contacts, 0), 4)
      from contacts c join crm.tenant t on t.id = c.tenant_id
      left join conversions v on v.tenant_id = c.tenant_id and v.channel = c.channel and v.month = c.month
$$;
-- Rows of the report that differ from the base rows' figures, either way, plus per-customer rows
-- that differ from the customer's contacts and conversions.
create function pg_temp.differences() returns bigint language sql as $$
    select (select count(*) from ((select * from pg_temp.from_base() except all select * from report.channel_effectiveness)
                                  union all
                                  (select * from report.channel_effectiveness except all select * from pg_temp.from_base())) x)
         + (select count(*) from (
               (select customer_id, channel, month, contacts, cost, conversions, gross_margin from crm.customer_channel_month
                except all
                select x.customer_id, x.channel, x.month, sum(x.contacts)::int, sum(x.cost), sum(x.conversions)::int, sum(x.gross_margin)
                  from (select i.customer_id, i.channel, date_trunc('month', i.occurred_at at time zone 'UTC')::date as month,
                               1 as contacts, i.cost, 0 as conversions, 0::numeric as gross_margin
                          from crm.interaction i
                        union all
                        select o.customer_id, (select i.channel from crm.interaction i
                                                where i.customer_id = o.customer_id
                                                  and i.occurred_at between o.ordered_at - interval '30 days' and o.ordered_at
                                                order by i.occurred_at desc limit 1),
                               date_trunc('month', o.ordered_at at time zone 'UTC')::date, 0, 0, 1,
                               (select coalesce(sum(ol.quantity * (ol.unit_price - ol.unit_cost)), 0) from crm.order_line ol
                                 where ol.order_id = o.id)
                          from crm.sales_order o where crm.is_sale(o.status)) x
                 where x.channel is not null
                 group by 1, 2, 3)) y)
$$;
create function pg_temp.buy(p_who text, p_at text, p_qty int, p_status text default 'confirmed') returns bigint language sql as $$
    select crm.create_order((select id from crm.customer where name = p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', p_qty)),
        p_status, p_at::timestamptz)
$$;
create function pg_temp.contact(p_who text, p_channel text, p_at text, p_cost numeric) returns void language sql as $$
    insert into crm.interaction (tenant_id, customer_id, channel, direction, cost, occurred_at)
    values (crm.current_tenant(), (select id from crm.customer where name = p_who), p_channel, 'outbound', p_cost, p_at::timestamptz)
$$;

-- March: Ann by phone (2.00) on the 2nd and Ben by phone (1.00) on the 3rd; Ann buys 2 on the
-- 10th (phone, margin 12), Ben buys 1 on the 20th (phone, margin 6); Cid buys without a contact.
select pg_temp.contact('Ann', 'phone', '2026-03-02 10:00+00', 2.00);
select crm.log_interaction(jsonb_build_object('customer_id', (select id from crm.customer where name = 'Ben')::text,
                                              'channel', 'phone', 'direction', 'inbound', 'cost', 1.00, 'occurred_at', '2026-03-03T10:00:00Z'));
select pg_temp.buy('Ann', '2026-03-10 10:00+00', 2);
select pg_temp.buy('Ben', '2026-03-20 10:00+00', 1) as ben_sale \gset
select pg_temp.buy('Cid', '2026-03-21 10:00+00', 5);
select is((select (contacts, customers_reached, cost, conversions, gross_margin)::text from report.channel_effectiveness
            where channel = 'phone' and month = '2026-03-01'), '(2,2,3.00,2,18.00)',
          'phone in March: 2 contacts of 2 customers costing 3.00, Ann''s and Ben''s sales (margin 12 + 6)');

-- A contact logged after the sale it precedes: Ann's email of March 8 makes her sale of the 10th an email conversion.
select pg_temp.contact('Ann', 'email', '2026-03-08 09:00+00', 0.10);
select is((select (channel, conversions, gross_margin)::text from report.channel_effectiveness where month = '2026-03-01' and conversions > 0
            order by channel limit 1), '(email,1,12.00)', 'a back-dated email takes Ann''s sale from the phone');
select is(pg_temp.differences(), 0::bigint, 'after contacts and sales: the summaries are what the base rows say');

-- Ben's sale is cancelled; a quote of Ann's in April, after her April contact, is confirmed.
select crm.set_order_status(:ben_sale, 'cancelled');
select pg_temp.contact('Ann', 'visit', '2026-04-01 10:00+00', 5.00);
select pg_temp.buy('Ann', '2026-04-02 10:00+00', 3, 'quoted') as ann_quote \gset
select is((select conversions from report.channel_effectiveness where channel = 'visit'), 0::bigint, 'a quote converts nobody');
select crm.set_order_status(:ann_quote, 'confirmed');
select is((select (conversions, gross_margin)::text from report.channel_effectiveness where channel = 'phone' and month = '2026-03-01')
          || (select (conversions, gross_margin)::text from report.channel_effectiveness where channel = 'visit'),
          '(0,0.00)(1,18.00)', 'Ben''s cancelled sale leaves the phone; Ann''s confirmed quote is a visit conversion');

-- An import: two orders in one statement, their lines in another; contacts of two customers in one.
insert into crm.interaction (tenant_id, customer_id, channel, direction, cost, occurred_at)
select crm.current_tenant(), c.id, 'mail', 'outbound', 0.50, '2026-04-05 10:00+00' from crm.customer c where c.name in ('Ben', 'Cid');
insert into crm.sales_order (tenant_id, customer_id, status, ordered_at)
select crm.current_tenant(), c.id, 'delivered', '2026-04-06 10:00+00' from crm.customer c where c.name in ('Ben', 'Cid');
insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
select o.tenant_id, o.id, 1, (select id from crm.product), 1, 10.00, 4.00 from crm.sales_order o where o.ordered_at = '2026-04-06 10:00+00';
select is((select (contacts, customers_reached, conversions, gross_margin)::text from report.channel_effectiveness where channel = 'mail'),
          '(2,2,2,12.00)', 'imported contacts and orders: 2 mail contacts, 2 conversions');

-- A second line of one of those orders, in a statement of its own: its margin joins the order's
-- channel, and the order still counts once.
insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
select o.tenant_id, o.id, 2, (select id from crm.product), 2, 10.00, 4.00
  from crm.sales_order o where o.ordered_at = '2026-04-06 10:00+00' and o.customer_id = (select id from crm.customer where name = 'Ben');
select is((select (conversions, gross_margin)::text from report.channel_effectiveness where channel = 'mail') || pg_temp.differences(),
          '(2,24.00)0', 'a line added to a sale later: 12 more margin, no more conversions');

-- Cid: a phone call on March 30 and a sale on April 3 (a phone conversion in April, a month
-- without a phone contact of his), then a phone call on April 9, after his sale (added in place).
select pg_temp.contact('Cid', 'phone', '2026-03-30 10:00+00', 1.00);
select pg_temp.buy('Cid', '2026-04-03 10:00+00', 1);
select pg_temp.contact('Cid', 'phone', '2026-04-09 10:00+00', 1.00);
select is((select (contacts, customers_reached, conversions)::text from report.channel_effectiveness where channel = 'phone' and month = '2026-04-01')
          || pg_temp.differences(), '(1,1,1)0', 'a contact after the sale it could not precede, in a month with a conversion: one customer reached');

-- Cid merges into Ben: both had the April mail; Cid's March sale has no contact, his April one stays mail.
select crm.merge_customers((select id from crm.customer where name = 'Ben'), (select id from crm.customer where name = 'Cid'));
select is((select (contacts, customers_reached, conversions)::text from report.channel_effectiveness where channel = 'mail'),
          '(2,1,2)', 'after the merge: the two mail contacts reached one customer');
select is(pg_temp.differences(), 0::bigint, 'after a cancellation, a confirmed quote, an import and a merge: the summaries are what the base rows say');

-- The fold of the delta rows keeps every figure.
select crm.compact_sales_rollups();
select is(pg_temp.differences() + (select count(*) from (select month, channel from crm.channel_month_summary group by 1, 2 having count(*) > 1) x),
          0::bigint, 'folded into one row per month and channel, with the same figures');

select * from finish();
rollback;
