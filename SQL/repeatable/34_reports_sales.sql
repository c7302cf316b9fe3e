-- Sales reports of issue 19: basket affinity (seed 002, "beer and diapers"), existing versus new
-- customers and the value of referrals (seed 000, secret 1), adoption of the system per role
-- (seed 000, the 96% figure) and the sales forecast (seed 002). Each reads a rollup or a small
-- table, never the order lines at request time:
--   * basket affinity: crm.basket_pair / _product / _summary, refreshed daily by the scheduled job
--     (crm.refresh_basket_pairs, the one statement here that reads order lines);
--   * existing versus new, referrals: crm.customer_month_summary and crm.customer_year_summary;
--   * adoption: crm.api_key_week (written at login) and the unit's keys;
--   * forecast: open quotes and partner deals, and crm.sales_day_summary.
-- Each reports.* method is one call of a *_json function below (security invoker).
set local role crm_owner;

---------------------------------------------------------------------------------------------------
-- Basket affinity
---------------------------------------------------------------------------------------------------

-- Recounts the caller's unit's product pairs over the sales orders of the last 365 days (UTC):
-- orders per product, orders per pair kept when at least `basket_min_orders` (setting, default 2)
-- orders hold both. Runs at most once per `basket_refresh_hours` (setting, default 20) unless
-- p_force; the scheduled job calls it every pass. Returns the number of pairs kept, or null when
-- the last refresh is recent enough. A product counts once per order however many lines name it.
create or replace function crm.refresh_basket_pairs(p_force boolean default false) returns int
    language plpgsql set work_mem = '256MB' as $$
declare
    v_tenant uuid := crm.current_tenant();
    s jsonb := (select t.settings from crm.tenant t where t.id = v_tenant);
    v_min int := greatest(coalesce((s->>'basket_min_orders')::int, 2), 1);
    v_to date := (now() at time zone 'UTC')::date;
    v_from date := v_to - 365;
    n int;
begin
    if v_tenant is null then
        raise exception 'no business unit set' using errcode = 'CR403';
    end if;
    if not p_force and exists (select 1 from crm.basket_summary b where b.tenant_id = v_tenant
                                  and b.refreshed_at > now() - make_interval(hours => coalesce((s->>'basket_refresh_hours')::int, 20))) then
        return null;
    end if;
    delete from crm.basket_pair where tenant_id = v_tenant;
    delete from crm.basket_product where tenant_id = v_tenant;
    insert into crm.basket_pair (tenant_id, product_a, product_b, orders)
    select v_tenant, x.a, x.b, count(*)
      from (select distinct a.order_id, a.product_id as a, b.product_id as b
              from crm.sales_order o
              join crm.order_line a on a.tenant_id = o.tenant_id and a.order_id = o.id
              join crm.order_line b on b.tenant_id = o.tenant_id and b.order_id = o.id and b.product_id > a.product_id
             where o.tenant_id = v_tenant and crm.is_sale(o.status)
               and o.ordered_at >= v_from::timestamp at time zone 'UTC') x
     group by x.a, x.b
    having count(*) >= v_min;
    get diagnostics n = row_count;
    insert into crm.basket_product (tenant_id, product_id, orders)
    select v_tenant, l.product_id, count(distinct l.order_id)
      from crm.sales_order o
      join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = v_tenant and crm.is_sale(o.status) and o.ordered_at >= v_from::timestamp at time zone 'UTC'
     group by l.product_id;
    insert into crm.basket_summary as b (tenant_id, window_from, window_to, orders, refreshed_at)
    select v_tenant, v_from, v_to, count(*), now()
      from crm.sales_order o
     where o.tenant_id = v_tenant and crm.is_sale(o.status) and o.ordered_at >= v_from::timestamp at time zone 'UTC'
       and exists (select 1 from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id)
    on conflict (tenant_id) do update
       set window_from = excluded.window_from, window_to = excluded.window_to, orders = excluded.orders,
           refreshed_at = excluded.refreshed_at;
    return n;
end $$;
comment on function crm.refresh_basket_pairs(boolean) is
    'Recounts the unit''s basket pairs (crm.basket_pair, _product, _summary) over the last 365 days'' sales orders; at most once per basket_refresh_hours (default 20) unless forced. Returns the pairs kept, or null when skipped.';

create or replace view report.basket_affinity with (security_invoker = true) as
select t.slug as tenant,
       p.product_a,
       pa.name as product_a_name,
       p.product_b,
       pb.name as product_b_name,
       p.orders as orders_together,
       a.orders as orders_with_a,
       b.orders as orders_with_b,
       s.orders as orders_total,
       round(p.orders::numeric / s.orders, 6) as support,
       round(p.orders::numeric / a.orders, 4) as confidence_a_to_b,
       round(p.orders::numeric / b.orders, 4) as confidence_b_to_a,
       round(p.orders::numeric * s.orders / (a.orders * b.orders), 4) as lift,
       s.window_from,
       s.window_to,
       s.refreshed_at
  from crm.basket_pair p
  join crm.basket_summary s on s.tenant_id = p.tenant_id
  join crm.basket_product a on a.tenant_id = p.tenant_id and a.product_id = p.product_a
  join crm.basket_product b on b.tenant_id = p.tenant_id and b.product_id = p.product_b
  join crm.tenant t on t.id = p.tenant_id
  join crm.product pa on pa.tenant_id = p.tenant_id and pa.id = p.product_a
  join crm.product pb on pb.tenant_id = p.tenant_id and pb.id = p.product_b;

comment on view report.basket_affinity is 'Products bought together (in the same sales order) over the basket window (the last 365 days at the last refresh; the scheduled job refreshes daily): support, confidence in both directions and lift of each pair held by at least basket_min_orders orders.';
comment on column report.basket_affinity.tenant is 'The business unit (slug).';
comment on column report.basket_affinity.product_a is 'One product of the pair (the lower id).';
comment on column report.basket_affinity.product_a_name is 'Its name.';
comment on column report.basket_affinity.product_b is 'The other product of the pair (the higher id).';
comment on column report.basket_affinity.product_b_name is 'Its name.';
comment on column report.basket_affinity.orders_together is 'Sales orders holding both products.';
comment on column report.basket_affinity.orders_with_a is 'Sales orders holding product A.';
comment on column report.basket_affinity.orders_with_b is 'Sales orders holding product B.';
comment on column report.basket_affinity.orders_total is 'Sales orders in the window.';
comment on column report.basket_affinity.support is 'orders_together / orders_total: how common the pair is.';
comment on column report.basket_affinity.confidence_a_to_b is 'orders_together / orders_with_a: of the orders with A, the share that also hold B.';
comment on column report.basket_affinity.confidence_b_to_a is 'orders_together / orders_with_b: of the orders with B, the share that also hold A.';
comment on column report.basket_affinity.lift is 'support / (share of orders with A x share with B): above 1, bought together more often than chance.';
comment on column report.basket_affinity.window_from is 'First day of the window (UTC).';
comment on column report.basket_affinity.window_to is 'Day of the refresh (UTC): the window ends there.';
comment on column report.basket_affinity.refreshed_at is 'When the counts were refreshed.';

-- reports.basket_affinity: pairs with support at least p_min_support (default: the unit's
-- basket_min_support setting, else 0.001), highest lift first.
create or replace function report.basket_affinity_json(p_min_support numeric, p_limit int) returns json
    language sql stable security invoker as $$
    select json_build_object(
        'min_support', m.v,
        'window_from', (select s.window_from from crm.basket_summary s where s.tenant_id = (select crm.current_tenant())),
        'window_to', (select s.window_to from crm.basket_summary s where s.tenant_id = (select crm.current_tenant())),
        'refreshed_at', (select s.refreshed_at from crm.basket_summary s where s.tenant_id = (select crm.current_tenant())),
        'orders_total', (select s.orders from crm.basket_summary s where s.tenant_id = (select crm.current_tenant())),
        'pairs', (select coalesce(json_agg(x.j order by x.lift desc, x.orders_together desc, x.product_a, x.product_b), '[]')
                    from (select to_jsonb(r) - 'window_from' - 'window_to' - 'refreshed_at' - 'orders_total' - 'tenant'
                                 || jsonb_build_object('product_a', r.product_a::text, 'product_b', r.product_b::text) as j,
                                 r.lift, r.orders_together, r.product_a, r.product_b
                            from report.basket_affinity r
                           where r.support >= m.v
                           order by r.lift desc, r.orders_together desc, r.product_a, r.product_b
                           limit least(greatest(coalesce(p_limit, 100), 1), 1000)) x))
      from (select coalesce(p_min_support,
                            (select (t.settings->>'basket_min_support')::numeric from crm.tenant t where t.id = (select crm.current_tenant())),
                            0.001) as v) m
$$;
comment on function report.basket_affinity_json(numeric, int) is 'reports.basket_affinity: the pairs of report.basket_affinity with at least the minimum support, highest lift first, with the window they were counted over.';

---------------------------------------------------------------------------------------------------
-- Existing versus new customers, referrals
---------------------------------------------------------------------------------------------------

-- A customer is an existing customer in a month when they had a sale before the first day of the
-- same month a year earlier (first sale more than 12 months before the month); otherwise new.
-- Read from the monthly rollup alone: its `existing` (0053) is kept from each customer's first month
-- with a sale (crm.customer_first_sale) by the rollup triggers.
-- Rollup rows left at zero by a cancellation or a merge (orders = 0) are not sales.
create or replace view report.customer_month_status with (security_invoker = true) as
select t.slug as tenant,
       s.customer_id,
       s.month,
       s.existing,
       s.orders,
       s.revenue,
       s.revenue - s.cost as gross_margin
  from crm.customer_month_summary s
  join crm.tenant t on t.id = s.tenant_id
 where s.orders > 0;

comment on view report.customer_month_status is 'Each customer''s sales per month, marked existing (a sale before the first day of the same month a year earlier) or new.';
comment on column report.customer_month_status.tenant is 'The business unit (slug).';
comment on column report.customer_month_status.customer_id is 'The customer.';
comment on column report.customer_month_status.month is 'First day of the month (UTC).';
comment on column report.customer_month_status.existing is 'True when the customer had a sale more than 12 months before the month (before its first day a year earlier).';
comment on column report.customer_month_status.orders is 'Sales orders of the month.';
comment on column report.customer_month_status.revenue is 'Revenue of the month''s sales.';
comment on column report.customer_month_status.gross_margin is 'Revenue minus cost: the profit contribution.';

-- Read from the kept summary crm.existing_month_summary (0058, 23_existing_months.sql): a few delta
-- rows per month and class instead of every customer's monthly row (0.9-1.4 s at 1M customers). A
-- class whose customers all went (cancelled, merged) counts as none, as it did.
create or replace view report.existing_vs_new_monthly with (security_invoker = true) as
with c as (
    select s.tenant_id, s.month, s.existing, sum(s.customers) as customers, sum(s.revenue) as revenue,
           sum(s.revenue - s.cost) as gross_margin
      from crm.existing_month_summary s
     group by 1, 2, 3
    having sum(s.customers) > 0)
select t.slug as tenant,
       c.month,
       coalesce(sum(c.customers) filter (where c.existing), 0)::bigint as existing_customers,
       coalesce(sum(c.revenue) filter (where c.existing), 0) as existing_revenue,
       coalesce(sum(c.gross_margin) filter (where c.existing), 0) as existing_gross_margin,
       coalesce(sum(c.customers) filter (where not c.existing), 0)::bigint as new_customers,
       coalesce(sum(c.revenue) filter (where not c.existing), 0) as new_revenue,
       coalesce(sum(c.gross_margin) filter (where not c.existing), 0) as new_gross_margin,
       round(sum(c.gross_margin) filter (where c.existing) / nullif(sum(c.gross_margin), 0), 4) as existing_share_of_margin
  from c join crm.tenant t on t.id = c.tenant_id
 group by t.slug, c.month;

comment on view report.existing_vs_new_monthly is 'Profit contribution per month of existing customers (a sale more than 12 months before the month) against new ones.';
comment on column report.existing_vs_new_monthly.tenant is 'The business unit (slug).';
comment on column report.existing_vs_new_monthly.month is 'First day of the month (UTC).';
comment on column report.existing_vs_new_monthly.existing_customers is 'Existing customers who bought in the month.';
comment on column report.existing_vs_new_monthly.existing_revenue is 'Their revenue.';
comment on column report.existing_vs_new_monthly.existing_gross_margin is 'Their gross margin (profit contribution).';
comment on column report.existing_vs_new_monthly.new_customers is 'New customers who bought in the month.';
comment on column report.existing_vs_new_monthly.new_revenue is 'Their revenue.';
comment on column report.existing_vs_new_monthly.new_gross_margin is 'Their gross margin (profit contribution).';
comment on column report.existing_vs_new_monthly.existing_share_of_margin is 'Existing customers'' gross margin divided by the month''s.';

-- Read from the kept summary crm.existing_year_summary (0061, 23_existing_years.sql), as the
-- monthly view above: a few delta rows per year and class instead of every customer's yearly row
-- (0.8-1.1 s at 1M customers). A class whose customers all went counts as none, as it did.
create or replace view report.existing_vs_new_yearly with (security_invoker = true) as
with c as (
    select s.tenant_id, s.year, s.existing, sum(s.customers) as customers, sum(s.revenue) as revenue,
           sum(s.revenue - s.cost) as gross_margin
      from crm.existing_year_summary s
     group by 1, 2, 3
    having sum(s.customers) > 0)
select t.slug as tenant,
       c.year,
       coalesce(sum(c.customers) filter (where c.existing), 0)::bigint as existing_customers,
       coalesce(sum(c.revenue) filter (where c.existing), 0) as existing_revenue,
       coalesce(sum(c.gross_margin) filter (where c.existing), 0) as existing_gross_margin,
       coalesce(sum(c.customers) filter (where not c.existing), 0)::bigint as new_customers,
       coalesce(sum(c.revenue) filter (where not c.existing), 0) as new_revenue,
       coalesce(sum(c.gross_margin) filter (where not c.existing), 0) as new_gross_margin,
       round(sum(c.gross_margin) filter (where c.existing) / nullif(sum(c.gross_margin), 0), 4) as existing_share_of_margin
  from c join crm.tenant t on t.id = c.tenant_id
 group by t.slug, c.year;

comment on view report.existing_vs_new_yearly is 'Profit contribution per calendar year of existing customers (their first sale came before the year: they were customers last year or earlier) against new ones (first sale in the year). Each customer counted once a year (the yearly rollup''s rows, kept as crm.existing_year_summary).';
comment on column report.existing_vs_new_yearly.tenant is 'The business unit (slug).';
comment on column report.existing_vs_new_yearly.year is 'Calendar year (UTC).';
comment on column report.existing_vs_new_yearly.existing_customers is 'Customers who bought in the year and had bought before it.';
comment on column report.existing_vs_new_yearly.existing_revenue is 'Their revenue in the year.';
comment on column report.existing_vs_new_yearly.existing_gross_margin is 'Their gross margin (profit contribution) in the year.';
comment on column report.existing_vs_new_yearly.new_customers is 'Customers whose first sale was in the year.';
comment on column report.existing_vs_new_yearly.new_revenue is 'Their revenue in the year.';
comment on column report.existing_vs_new_yearly.new_gross_margin is 'Their gross margin (profit contribution) in the year.';
comment on column report.existing_vs_new_yearly.existing_share_of_margin is 'Existing customers'' gross margin divided by the year''s.';

-- reports.existing_vs_new: the months of one year (default the current one) and the year's total
-- (the sum of its months). From the kept summary crm.existing_month_summary (0058): the year's
-- delta rows, grouped by month and class (it read the year's rollup rows: ~0.5 s at 1M customers).
-- The year's distinct customer counts are report.existing_vs_new_yearly's (its own summary,
-- 0061): a customer buying in several months counts once a year.
create or replace function report.existing_vs_new_json(p_year int) returns json
    language sql stable security invoker as $$
    with y as (select coalesce(p_year, extract(year from now() at time zone 'UTC')::int) as year),
    g as (
        select s.month, s.existing, sum(s.customers) as customers, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
          from crm.existing_month_summary s join crm.tenant t on t.id = s.tenant_id, y
         where s.month >= make_date(y.year, 1, 1) and s.month < make_date(y.year + 1, 1, 1)
         group by s.month, s.existing
        having sum(s.customers) > 0),
    m as (
        select g.month,
               coalesce(sum(g.customers) filter (where g.existing), 0) as existing_customers,
               coalesce(sum(g.revenue) filter (where g.existing), 0) as existing_revenue,
               coalesce(sum(g.gross_margin) filter (where g.existing), 0) as existing_gross_margin,
               coalesce(sum(g.customers) filter (where not g.existing), 0) as new_customers,
               coalesce(sum(g.revenue) filter (where not g.existing), 0) as new_revenue,
               coalesce(sum(g.gross_margin) filter (where not g.existing), 0) as new_gross_margin,
               round(sum(g.gross_margin) filter (where g.existing) / nullif(sum(g.gross_margin), 0), 4) as existing_share_of_margin
          from g group by g.month)
    select json_build_object(
        'year', (select year from y),
        'months', (select coalesce(json_agg(m order by m.month), '[]') from m),
        'total', (select json_build_object(
                             'existing_revenue', coalesce(sum(g.revenue) filter (where g.existing), 0),
                             'existing_gross_margin', coalesce(sum(g.gross_margin) filter (where g.existing), 0),
                             'new_revenue', coalesce(sum(g.revenue) filter (where not g.existing), 0),
                             'new_gross_margin', coalesce(sum(g.gross_margin) filter (where not g.existing), 0),
                             'existing_share_of_margin',
                             round(sum(g.gross_margin) filter (where g.existing) / nullif(sum(g.gross_margin), 0), 4))
                    from g))
$$;
comment on function report.existing_vs_new_json(int) is 'reports.existing_vs_new: report.existing_vs_new_monthly for the months of one year, and their sum (each month''s sales classed as in that month; report.existing_vs_new_yearly classes a customer once for the whole year).';

-- Referred customers' value per referrer, from the yearly rollup (all years).
create or replace view report.referral_value with (security_invoker = true) as
select t.slug as tenant,
       r.id as referrer_id,
       r.name as referrer_name,
       count(*) as referred_customers,
       count(*) filter (where v.orders > 0) as referred_buyers,
       coalesce(sum(v.orders), 0) as referred_orders,
       coalesce(sum(v.revenue), 0)::numeric(16,2) as referred_revenue,
       coalesce(sum(v.gross_margin), 0)::numeric(16,2) as referred_gross_margin,
       coalesce((select sum(y.gross_margin) from crm.customer_year_summary y
                  where y.tenant_id = r.tenant_id and y.customer_id = r.id), 0)::numeric(16,2) as referrer_gross_margin
  from crm.customer c
  join crm.customer r on r.tenant_id = c.tenant_id and r.id = c.referred_by
  join crm.tenant t on t.id = c.tenant_id
  left join lateral (select sum(y.orders) as orders, sum(y.revenue) as revenue, sum(y.gross_margin) as gross_margin
                       from crm.customer_year_summary y
                      where y.tenant_id = c.tenant_id and y.customer_id = c.id) v on true
 where c.referred_by is not null and c.merged_into is null
 group by t.slug, r.tenant_id, r.id, r.name;

comment on view report.referral_value is 'Per referrer: the customers they referred (crm.customer.referred_by) and those customers'' value, orders, revenue and gross margin (profit contribution) over all years, beside the referrer''s own gross margin.';
comment on column report.referral_value.tenant is 'The business unit (slug).';
comment on column report.referral_value.referrer_id is 'The referring customer.';
comment on column report.referral_value.referrer_name is 'Their name.';
comment on column report.referral_value.referred_customers is 'Customers who name this customer as their referrer (merged ones not counted).';
comment on column report.referral_value.referred_buyers is 'Of those, the ones with at least one sale.';
comment on column report.referral_value.referred_orders is 'Sales orders of the referred customers.';
comment on column report.referral_value.referred_revenue is 'Revenue of the referred customers'' sales.';
comment on column report.referral_value.referred_gross_margin is 'Gross margin (profit contribution) of the referred customers'' sales.';
comment on column report.referral_value.referrer_gross_margin is 'The referrer''s own gross margin over all years.';

create or replace function report.referrals_json(p_limit int) returns json
    language sql stable security invoker as $$
    select coalesce(json_agg(x.j order by x.referred_gross_margin desc, x.referrer_id), '[]')
      from (select to_jsonb(r) || jsonb_build_object('referrer_id', r.referrer_id::text) as j, r.referred_gross_margin, r.referrer_id
              from report.referral_value r
             order by r.referred_gross_margin desc, r.referrer_id
             limit least(greatest(coalesce(p_limit, 100), 1), 1000)) x
$$;
comment on function report.referrals_json(int) is 'reports.referrals: report.referral_value, the referrers whose referred customers brought the most gross margin first.';

---------------------------------------------------------------------------------------------------
-- Adoption
---------------------------------------------------------------------------------------------------

-- The caller's unit's API keys (not their hashes or prefixes): who holds them, with which role, and
-- when they were live. crm.api_key and crm.principal are reference tables no request role reads;
-- this answers for the unit in crm.tenant_id / SET crm.tenant only, and nothing without one.
create or replace function crm.unit_api_keys()
    returns table (tenant_id uuid, key_id uuid, principal_id uuid, app_role text, created_at timestamptz, revoked_at timestamptz)
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return query
    select p.tenant_id, k.id, p.id, p.app_role, k.created_at,
           case when k.revoked_at is null then p.revoked_at when p.revoked_at is null then k.revoked_at
                else least(k.revoked_at, p.revoked_at) end
      from crm.api_key k join crm.principal p on p.id = k.principal_id
     where p.kind = 'unit' and p.tenant_id = (select crm.current_tenant());
end $$;
comment on function crm.unit_api_keys() is
    'The API keys of the caller''s unit (the one set by crm.tenant_id or SET crm.tenant): key, principal, role, created and revoked times; never the hash or prefix. Nothing when no unit is set.';

create or replace view report.adoption_weekly with (security_invoker = true) as
select t.slug as tenant,
       w.week,
       k.app_role as role,
       count(*) as keys,
       count(distinct k.principal_id) as users,
       count(u.key_id) as active_keys,
       count(distinct u.principal_id) as active_users,
       round(count(u.key_id)::numeric / count(*), 4) as active_key_share,
       round(count(distinct u.principal_id)::numeric / count(distinct k.principal_id), 4) as active_user_share
  from (select distinct x.tenant_id, x.week from crm.api_key_week x) w
  join crm.unit_api_keys() k on k.tenant_id = w.tenant_id
                            and k.created_at < (w.week + 7)::timestamp at time zone 'UTC'
                            and (k.revoked_at is null or k.revoked_at >= w.week::timestamp at time zone 'UTC')
  join crm.tenant t on t.id = w.tenant_id
  left join crm.api_key_week u on u.tenant_id = w.tenant_id and u.week = w.week and u.key_id = k.key_id
 group by t.slug, w.week, k.app_role;

comment on view report.adoption_weekly is 'Adoption per week and role: the unit''s API keys live in the week, and the keys (and people) that logged in that week, with their share. Key use is recorded at login, once per key and week (crm.api_key_week); weeks without any login have no row. Reporters see a unit after SET crm.tenant.';
comment on column report.adoption_weekly.tenant is 'The business unit (slug).';
comment on column report.adoption_weekly.week is 'Monday of the week (UTC).';
comment on column report.adoption_weekly.role is 'The app role of the keys'' principals (manager, director, agent, ...).';
comment on column report.adoption_weekly.keys is 'The unit''s keys of this role live during the week (created before its end, not revoked before its start).';
comment on column report.adoption_weekly.users is 'The principals (people) holding those keys.';
comment on column report.adoption_weekly.active_keys is 'Of those keys, the ones that logged in during the week.';
comment on column report.adoption_weekly.active_users is 'The principals with at least one active key.';
comment on column report.adoption_weekly.active_key_share is 'active_keys / keys.';
comment on column report.adoption_weekly.active_user_share is 'active_users / users.';

create or replace function report.adoption_json(p_weeks int) returns json
    language sql stable security invoker as $$
    select coalesce(json_agg(r order by r.week desc, r.role), '[]')
      from report.adoption_weekly r
     where r.week > (date_trunc('week', now() at time zone 'UTC')::date - 7 * least(greatest(coalesce(p_weeks, 12), 1), 104))
$$;
comment on function report.adoption_json(int) is 'reports.adoption: report.adoption_weekly for the last p_weeks weeks (default 12, the current week included), newest first.';

---------------------------------------------------------------------------------------------------
-- Sales forecast
---------------------------------------------------------------------------------------------------

-- The probability that an open item of a stage becomes a sale: the unit's setting
-- forecast_probability.<stage> when present, else the default: a quote 0.40 (an offer in the
-- customer's hands), a partner deal registered 0.10 (not yet approved by the unit), approved 0.50.
create or replace function crm.forecast_probability(p_settings jsonb, p_stage text) returns numeric
    language sql immutable
    return coalesce((p_settings #>> array['forecast_probability', p_stage])::numeric,
                    case p_stage when 'quote' then 0.40 when 'deal_registered' then 0.10 when 'deal_approved' then 0.50 end);
comment on function crm.forecast_probability(jsonb, text) is
    'Probability of an open stage becoming a sale: settings forecast_probability.<stage>, else quote 0.40, deal_registered 0.10, deal_approved 0.50.';

create or replace view report.sales_pipeline with (security_invoker = true) as
with items as (
    select o.tenant_id, 'quote'::text as stage, count(*) as items, coalesce(sum(v.value), 0) as value
      from crm.tenant t
      join crm.sales_order o on o.tenant_id = t.id
      cross join lateral (select sum(l.quantity * l.unit_price) as value from crm.order_line l
                           where l.tenant_id = o.tenant_id and l.order_id = o.id) v
     where o.status = 'quoted'
       and o.ordered_at >= now() - make_interval(days => coalesce((t.settings->>'forecast_quote_days')::int, 90))
       -- the earliest cutoff of the units the caller sees, once: a range for the quotes' index
       and o.ordered_at >= (select min(now() - make_interval(days => coalesce((x.settings->>'forecast_quote_days')::int, 90)))
                              from crm.tenant x)
     group by o.tenant_id
    union all
    select d.tenant_id, 'deal_' || d.status, count(*), coalesce(sum(v.value), 0)
      from crm.deal d
      cross join lateral (select sum(x.quantity * p.list_price) as value
                            from crm.deal_product x join crm.product p on p.tenant_id = x.tenant_id and p.id = x.product_id
                           where x.tenant_id = d.tenant_id and x.deal_id = d.id) v
     where d.status in ('registered', 'approved')
     group by d.tenant_id, d.status)
select t.slug as tenant,
       i.stage,
       i.items,
       i.value::numeric(16,2) as value,
       crm.forecast_probability(t.settings, i.stage) as probability,
       round(i.value * crm.forecast_probability(t.settings, i.stage), 2) as weighted_value
  from items i join crm.tenant t on t.id = i.tenant_id;

comment on view report.sales_pipeline is 'Open sales per stage weighted by its probability: quotes of the last forecast_quote_days (setting, default 90; older ones count as gone cold) at their quoted prices, and partner deals registered or approved (their products at list price). Probabilities from the unit''s forecast_probability setting, defaults quote 0.40, deal_registered 0.10, deal_approved 0.50.';
comment on column report.sales_pipeline.tenant is 'The business unit (slug).';
comment on column report.sales_pipeline.stage is 'quote, deal_registered or deal_approved.';
comment on column report.sales_pipeline.items is 'Open quotes (of the last forecast_quote_days, default 90) or deals in the stage.';
comment on column report.sales_pipeline.value is 'Their value: quantity x quoted price (quotes), quantity x list price (deals).';
comment on column report.sales_pipeline.probability is 'The probability of the stage becoming a sale.';
comment on column report.sales_pipeline.weighted_value is 'value x probability.';

-- Run rate: the last 12 full months' sales (crm.sales_day_summary) per month, carried forward
-- flat over the next 12 months. Months before the unit's first sale in the window do not dilute
-- it: the basis is the months from the first month with a sale to the last full month.
create or replace view report.sales_run_rate with (security_invoker = true) as
with b as (
    select s.tenant_id,
           min(date_trunc('month', s.day)::date) as first_month,
           sum(s.orders) as orders, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
      from crm.sales_day_summary s
     where s.day >= (date_trunc('month', now() at time zone 'UTC') - interval '12 months')::date
       and s.day < date_trunc('month', now() at time zone 'UTC')::date
     group by s.tenant_id),
m as (
    select b.*, (extract(year from age(date_trunc('month', now() at time zone 'UTC')::date, b.first_month)) * 12
                 + extract(month from age(date_trunc('month', now() at time zone 'UTC')::date, b.first_month)))::int as months
      from b)
select t.slug as tenant,
       (date_trunc('month', now() at time zone 'UTC') + make_interval(months => n))::date as month,
       m.first_month as basis_from,
       (date_trunc('month', now() at time zone 'UTC') - interval '1 day')::date as basis_to,
       m.months as basis_months,
       round(m.orders::numeric / m.months, 1) as forecast_orders,
       round(m.revenue / m.months, 2) as forecast_revenue,
       round(m.gross_margin / m.months, 2) as forecast_gross_margin
  from m
  join crm.tenant t on t.id = m.tenant_id
  cross join generate_series(1, 12) n
 where m.months > 0;

comment on view report.sales_run_rate is 'Run-rate forecast for each of the next 12 months: the monthly average of the last 12 full months'' sales (from the first month with a sale in that window, if later), from crm.sales_day_summary.';
comment on column report.sales_run_rate.tenant is 'The business unit (slug).';
comment on column report.sales_run_rate.month is 'First day of the forecast month (UTC).';
comment on column report.sales_run_rate.basis_from is 'First month of the basis (the first month with a sale among the last 12 full months).';
comment on column report.sales_run_rate.basis_to is 'Last day of the basis (the end of the last full month).';
comment on column report.sales_run_rate.basis_months is 'Number of months in the basis.';
comment on column report.sales_run_rate.forecast_orders is 'Sales orders per month in the basis.';
comment on column report.sales_run_rate.forecast_revenue is 'Revenue per month in the basis.';
comment on column report.sales_run_rate.forecast_gross_margin is 'Gross margin per month in the basis.';

create or replace function report.sales_forecast_json(p_months int) returns json
    language sql stable security invoker as $$
    with p as materialized (select * from report.sales_pipeline)
    select json_build_object(
        'pipeline', (select coalesce(json_agg(p order by p.stage), '[]') from p),
        'weighted_pipeline', (select coalesce(sum(p.weighted_value), 0) from p),
        'run_rate', (select coalesce(json_agg(r order by r.month), '[]') from report.sales_run_rate r
                      where r.month <= (date_trunc('month', now() at time zone 'UTC')
                                        + make_interval(months => least(greatest(coalesce(p_months, 6), 1), 12)))::date))
$$;
comment on function report.sales_forecast_json(int) is 'reports.sales_forecast: report.sales_pipeline, its weighted total, and report.sales_run_rate for the next p_months months (default 6, at most 12).';

grant select on report.basket_affinity, report.customer_month_status, report.existing_vs_new_monthly, report.existing_vs_new_yearly,
    report.referral_value, report.adoption_weekly, report.sales_pipeline, report.sales_run_rate to crm_unit, crm_reporter;
grant execute on function crm.refresh_basket_pairs(boolean) to crm_unit;
grant execute on function crm.unit_api_keys(), crm.forecast_probability(jsonb, text),
    report.basket_affinity_json(numeric, int), report.existing_vs_new_json(int), report.referrals_json(int),
    report.adoption_json(int), report.sales_forecast_json(int)
    to crm_unit, crm_viewer, crm_reporter;
