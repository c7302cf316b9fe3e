-- Data at scale for benchmarks (`crm seed`): customers, products, staff, orders with lines and
-- contacts for one unit, generated inside PostgreSQL with generate_series. The same arguments
-- give the same customers, products and staff; orders, lines and contacts are drawn from ids,
-- which are a keyed permutation since 0033, so the same in kind and amount but not row for row.
-- Superuser only (execute is revoked from everyone else):
-- the order batches run with session_replication_role = replica, which skips the per-row
-- rollup triggers, and crm.rebuild_sales_rollups then builds the rollups in one pass.
set local role crm_owner;

-- A stable pseudo-random integer in [0, n) from a seed number and a salt. Seeds are ids too,
-- which since 0033 lie in [2^48, 2^49): the seed is folded below 9e12 first so that the product
-- cannot overflow (same picks as before for smaller seeds), and abs() works on bigint so that a
-- hash of -2^31 cannot overflow either.
create or replace function crm.seed_pick(p_seed bigint, p_salt int, p_n int) returns int
    language sql immutable parallel safe
    return (abs(hashint8((p_seed % 9000000000000) * 1000003 + p_salt)::bigint) % p_n);

create or replace function crm.seed_catalog(p_tenant uuid, p_products int, p_staff int) returns void language sql as $$
    insert into crm.product (tenant_id, sku, name, description, product_group, list_price, unit_cost, surplus, warranty_months, support_contact)
    select p_tenant, 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, 'Seeded product ' || g,
           'group-' || (g % 12), 10 + crm.seed_pick(g, 1, 490),
           round((10 + crm.seed_pick(g, 1, 490)) * (0.30 + crm.seed_pick(g, 2, 66) / 100.0), 2),
           g % 25 = 0, 12 + 12 * (g % 3), 'support+' || (g % 7) || '@example.com'
      from generate_series(1, p_products) g
    on conflict (tenant_id, sku) do nothing;
    insert into crm.staff (tenant_id, name, email, team, region)
    select p_tenant, 'Seller ' || g, 'seller' || g || '@example.com', 'team-' || (g % 4), 'region-' || (g % 5)
      from generate_series(1, p_staff) g
     where not exists (select 1 from crm.staff s where s.tenant_id = p_tenant and s.email = 'seller' || g || '@example.com');
$$;

-- Customers p_from .. p_from + p_count - 1 (numbered within the unit): unique emails and phones,
-- consent, segments and lifecycle stages spread, created over the last three years. Their ids
-- go to pg_temp.seed_batch (emptied at commit) for crm.seed_orders: ids say nothing about the
-- order of creation (0033), so a batch is no longer a range of ids.
create or replace function crm.seed_customers(p_tenant uuid, p_from bigint, p_count int) returns int language plpgsql as $$
declare
    n int;
begin
    create temp table if not exists seed_batch (id bigint primary key) on commit delete rows;
    with ins as (
        insert into crm.customer (tenant_id, name, emails, phones, segment, consent, lifecycle_stage, created_at)
        select p_tenant, 'Customer ' || g,
               array['customer' || g || '@example.com'],
               array['+4930' || lpad(g::text, 9, '0')],
               (array['private', 'business', 'premium'])[1 + crm.seed_pick(g, 3, 3)],
               jsonb_build_object('phone', crm.seed_pick(g, 4, 10) < 6, 'email', crm.seed_pick(g, 5, 10) < 8),
               (array['prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed'])[1 + crm.seed_pick(g, 6, 6)],
               now() - make_interval(days => 1 + crm.seed_pick(g, 7, 1095))
          from generate_series(p_from, p_from + p_count - 1) g
        returning id)
    insert into pg_temp.seed_batch select id from ins;
    get diagnostics n = row_count;
    analyze pg_temp.seed_batch;
    return n;
end $$;

-- Orders for the customers crm.seed_customers added in this transaction (pg_temp.seed_batch;
-- p_first_id and p_last_id are no longer used, see there, and stay for crm seed's call): about p_lines lines per
-- customer (1-6 orders of 1-5 lines; days spread over the last two years; mostly delivered), two
-- contacts each, and a service case for one customer in ten.
-- Superuser session with session_replication_role = replica (see above).
create or replace function crm.seed_orders(p_tenant uuid, p_first_id bigint, p_last_id bigint, p_lines int) returns bigint
    language plpgsql as $$
declare
    products bigint[] := array(select id from crm.product where tenant_id = p_tenant order by id);
    staff bigint[] := array(select id from crm.staff where tenant_id = p_tenant order by id);
    v_lines bigint;
begin
    if current_setting('session_replication_role') <> 'replica' then
        raise exception 'crm.seed_orders runs with session_replication_role = replica (superuser)' using errcode = '55000';
    end if;
    with o as (
        insert into crm.sales_order (tenant_id, customer_id, staff_id, status, ordered_at, idempotency_key)
        select p_tenant, c.id, staff[1 + crm.seed_pick(c.id * 10 + k, 8, cardinality(staff))],
               case crm.seed_pick(c.id * 10 + k, 9, 20) when 0 then 'cancelled' when 1 then 'returned' when 2 then 'quoted'
                                                        when 3 then 'confirmed' when 4 then 'shipped' else 'delivered' end,
               now() - make_interval(days => crm.seed_pick(c.id * 10 + k, 10, 730), secs => crm.seed_pick(c.id * 10 + k, 11, 86400)),
               null
          from crm.customer c
          cross join lateral generate_series(1, greatest(1, round(p_lines / 3.0 * (0.4 + crm.seed_pick(c.id, 12, 13) / 10.0))::int)) k
         where c.tenant_id = p_tenant and c.id in (select b.id from pg_temp.seed_batch b)
        returning tenant_id, id),
    l as (
        insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
        select o.tenant_id, o.id, g.no, p.id, 1 + crm.seed_pick(o.id * 8 + g.no, 13, 4), p.list_price, p.unit_cost
          from o cross join lateral generate_series(1, 1 + crm.seed_pick(o.id, 14, 5)) g(no)
          join crm.product p on p.tenant_id = o.tenant_id and p.id = products[1 + crm.seed_pick(o.id * 8 + g.no, 15, cardinality(products))]
        returning 1)
    select count(*) into v_lines from l;
    insert into crm.interaction (tenant_id, customer_id, channel, direction, staff_id, outcome, cost, occurred_at)
    select p_tenant, c.id, (array['phone', 'email', 'web', 'store', 'call_centre', 'mail'])[1 + crm.seed_pick(c.id * 4 + k, 16, 6)],
           case when crm.seed_pick(c.id * 4 + k, 17, 2) = 0 then 'inbound' else 'outbound' end,
           staff[1 + crm.seed_pick(c.id * 4 + k, 18, cardinality(staff))], 'seeded',
           (array[4.50, 0.10, 0.05, 12.00, 3.20, 0.80])[1 + crm.seed_pick(c.id * 4 + k, 16, 6)],
           now() - make_interval(days => crm.seed_pick(c.id * 4 + k, 19, 730))
      from crm.customer c cross join generate_series(1, 2) k
     where c.tenant_id = p_tenant and c.id in (select b.id from pg_temp.seed_batch b);
    -- Service cases: one customer in ten opened one; most are resolved within their SLA.
    insert into crm.service_case (tenant_id, customer_id, category, priority, status, subject, assigned_to,
                                  opened_at, sla_due_at, first_response_at, resolved_at)
    select p_tenant, c.id, x.category, x.priority, x.status, 'Seeded ' || x.category, staff[1 + crm.seed_pick(c.id, 22, cardinality(staff))],
           x.opened_at, x.opened_at + interval '48 hours', x.opened_at + make_interval(mins => 5 + crm.seed_pick(c.id, 23, 600)),
           case when x.status in ('resolved', 'closed') then x.opened_at + make_interval(hours => 1 + crm.seed_pick(c.id, 24, 72)) end
      from crm.customer c
      cross join lateral (select (array['complaint', 'quality', 'replacement', 'refund', 'question'])[1 + crm.seed_pick(c.id, 20, 5)] as category,
                                 (array['low', 'normal', 'normal', 'high', 'urgent'])[1 + crm.seed_pick(c.id, 21, 5)] as priority,
                                 (array['open', 'in_progress', 'resolved', 'closed', 'closed'])[1 + crm.seed_pick(c.id, 25, 5)] as status,
                                 now() - make_interval(days => crm.seed_pick(c.id, 26, 730)) as opened_at) x
     where c.tenant_id = p_tenant and c.id in (select b.id from pg_temp.seed_batch b) and crm.seed_pick(c.id, 27, 10) = 0;
    return v_lines;
end $$;

-- Rebuilds every sales rollup of a unit from its orders (after a seed, or to repair a rollup).
-- Superuser only: it reads and rewrites the unit's rows whatever the policies.
create or replace function crm.rebuild_sales_rollups(p_tenant uuid) returns void language sql as $$
    delete from crm.customer_year_summary where tenant_id = p_tenant;
    delete from crm.customer_month_summary where tenant_id = p_tenant;
    delete from crm.product_month_summary where tenant_id = p_tenant;
    delete from crm.sales_day_summary where tenant_id = p_tenant;
    delete from crm.customer_rfm_summary where tenant_id = p_tenant;
    delete from crm.customer_channel_month where tenant_id = p_tenant;
    delete from crm.channel_month_summary where tenant_id = p_tenant;
    -- The channel summaries (0054) in one pass over the unit (crm.refresh_channel_months, per
    -- customer, would take minutes at a million customers), by the same rule (crm.channel_touches).
    insert into crm.customer_channel_month (tenant_id, customer_id, channel, month, contacts, cost, conversions, gross_margin)
    select p_tenant, x.customer_id, x.channel, x.month, sum(x.contacts), sum(x.cost), sum(x.conversions), sum(x.gross_margin)
      from crm.channel_touches x where x.tenant_id = p_tenant
     group by 1, 2, 3, 4;
    insert into crm.channel_month_summary (tenant_id, month, channel, contacts, cost, customers_reached, conversions, gross_margin)
    select tenant_id, month, channel, sum(contacts), sum(cost), count(*) filter (where contacts > 0), sum(conversions), sum(gross_margin)
      from crm.customer_channel_month where tenant_id = p_tenant group by 1, 2, 3;
    insert into crm.customer_rfm_summary (tenant_id, customer_id, first_day, last_day, days, revenue, first_revenue)
    select v.tenant_id, v.customer_id, v.first_day, v.last_day, v.days, v.revenue, v.first_revenue
      from crm.customer_rfm_from_orders v where v.tenant_id = p_tenant;
    -- With each row the month before's margin (previous_gross_margin, 0059): the triggers keep it
    -- when they run, and a seed (triggers off) has it from here.
    insert into crm.customer_month_summary (tenant_id, customer_id, month, revenue, cost, orders, units, previous_gross_margin)
    select m.tenant_id, m.customer_id, m.month, m.revenue, m.cost, m.orders, m.units,
           case when lag(m.month) over w = (m.month - interval '1 month')::date then lag(m.revenue - m.cost) over w end
      from (select o.tenant_id, o.customer_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date as month,
                   sum(l.quantity * l.unit_price)::numeric(16,2) as revenue, sum(l.quantity * l.unit_cost)::numeric(16,2) as cost,
                   count(distinct o.id) as orders, sum(l.quantity) as units
              from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
             where o.tenant_id = p_tenant and crm.is_sale(o.status)
             group by 1, 2, 3) m
    window w as (partition by m.tenant_id, m.customer_id order by m.month);
    -- The month rows' triggers fill the year rollup and the first sales unless triggers are off (a
    -- seed): then here.
    insert into crm.customer_year_summary (tenant_id, customer_id, year, revenue, cost, orders, units, previous_gross_margin)
    select y.tenant_id, y.customer_id, y.year, y.revenue, y.cost, y.orders, y.units,
           case when lag(y.year) over w = y.year - 1 then lag(y.revenue - y.cost) over w end
      from (select tenant_id, customer_id, date_part('year', month)::int as year, sum(revenue) as revenue, sum(cost) as cost,
                   sum(orders) as orders, sum(units) as units
              from crm.customer_month_summary where tenant_id = p_tenant and current_setting('session_replication_role') = 'replica'
             group by 1, 2, 3) y
    window w as (partition by y.tenant_id, y.customer_id order by y.year);
    delete from crm.customer_first_sale where tenant_id = p_tenant and current_setting('session_replication_role') = 'replica';
    insert into crm.customer_first_sale (tenant_id, customer_id, first_month)
    select tenant_id, customer_id, min(month)
      from crm.customer_month_summary where tenant_id = p_tenant and orders > 0 and current_setting('session_replication_role') = 'replica'
     group by 1, 2;
    update crm.customer_year_summary y set existing = true
      from crm.customer_first_sale f
     where y.tenant_id = p_tenant and f.tenant_id = y.tenant_id and f.customer_id = y.customer_id
       and f.first_month < make_date(y.year, 1, 1) and current_setting('session_replication_role') = 'replica';
    update crm.customer_month_summary s set existing = true
      from crm.customer_first_sale f
     where s.tenant_id = p_tenant and f.tenant_id = s.tenant_id and f.customer_id = s.customer_id
       and f.first_month < (s.month - interval '12 months')::date and current_setting('session_replication_role') = 'replica';
    -- The existing-against-new summaries (0058, 0061) from the final monthly and yearly rows, one
    -- row per month or year and class (what the rows' triggers added, if they ran, replaced).
    delete from crm.existing_month_summary where tenant_id = p_tenant;
    insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
    select tenant_id, month, existing, count(*), sum(revenue), sum(cost)
      from crm.customer_month_summary where tenant_id = p_tenant and orders > 0
     group by 1, 2, 3;
    delete from crm.existing_year_summary where tenant_id = p_tenant;
    insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
    select tenant_id, year, existing, count(*), sum(revenue), sum(cost)
      from crm.customer_year_summary where tenant_id = p_tenant and orders > 0
     group by 1, 2, 3;
    insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
    select o.tenant_id, date_trunc('month', o.ordered_at at time zone 'UTC')::date, l.product_id, o.staff_id,
           sum(l.quantity), sum(l.quantity * l.unit_price), sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and crm.is_sale(o.status)
     group by 1, 2, 3, 4;
    insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
    select o.tenant_id, (o.ordered_at at time zone 'UTC')::date, o.staff_id, o.campaign_id, o.partner_id,
           count(distinct o.id), sum(l.quantity), sum(l.quantity * l.unit_price), sum(l.quantity * l.unit_cost)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = p_tenant and crm.is_sale(o.status)
     group by 1, 2, 3, 4, 5;
    -- The customer value summary (0060, 38_customer_value_summary.sql): its triggers were off too.
    select crm.rebuild_customer_value(p_tenant);
$$;

revoke execute on function crm.seed_catalog(uuid, int, int), crm.seed_customers(uuid, bigint, int),
    crm.seed_orders(uuid, bigint, bigint, int), crm.rebuild_sales_rollups(uuid) from public;
