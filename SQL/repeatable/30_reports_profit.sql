-- Profit contribution per customer, from the sales rollup (crm.customer_month_summary, kept by
-- triggers), so a unit with millions of order lines reads thousands of rollup rows, not the lines.
set local role crm_owner;

-- The unit's margin of the month (the share's denominator) is summed from the daily rollup (the
-- same sales and sums, a few thousand rows a month instead of one per customer), and the view has
-- no window. The month before is kept on the rollup row (previous_gross_margin, null when the
-- customer has no row for it; 0059, kept by 23_rollup_triggers.sql), with the row's margin, margin
-- rate and change (generated columns, the formulas this view had): no join of the rollup to
-- itself (2.7M x 2.7M rows at 1,000,000 customers, spilled to disk), and only the share, which
-- moves with every order of the unit, is computed per row: a numeric division, ~0.4 us a row, most
-- of a read of the whole view. A unit without margin in the month has no share: its margin is
-- null there (nullif), and no row compares it with 0 again.
create or replace view report.customer_profit_monthly with (security_invoker = true) as
select t.slug as tenant,
       s.customer_id,
       s.month,
       s.revenue,
       s.cost,
       s.gross_margin,
       s.margin_rate,
       round(s.gross_margin / u.gross_margin, 6) as share_of_unit_margin,
       coalesce(s.previous_gross_margin, 0) as previous_gross_margin,
       s.gross_margin_change
  from crm.customer_month_summary s
  join crm.tenant t on t.id = s.tenant_id
  left join (select d.tenant_id, date_trunc('month', d.day)::date as month, nullif(sum(d.revenue - d.cost), 0) as gross_margin
               from crm.sales_day_summary d group by 1, 2) u on u.tenant_id = s.tenant_id and u.month = s.month;

comment on view report.customer_profit_monthly is 'Profit contribution of each customer per month: revenue, cost and gross margin of sales (confirmed, shipped, delivered orders), its share of the unit''s margin that month, and the change against the previous month.';
comment on column report.customer_profit_monthly.tenant is 'The business unit (slug).';
comment on column report.customer_profit_monthly.customer_id is 'The customer.';
comment on column report.customer_profit_monthly.month is 'First day of the month (UTC).';
comment on column report.customer_profit_monthly.revenue is 'Sum of quantity x unit price of the month''s sales.';
comment on column report.customer_profit_monthly.cost is 'Sum of quantity x unit cost at the time of each order.';
comment on column report.customer_profit_monthly.gross_margin is 'Revenue minus cost: the profit contribution.';
comment on column report.customer_profit_monthly.margin_rate is 'Gross margin divided by revenue.';
comment on column report.customer_profit_monthly.share_of_unit_margin is 'This customer''s gross margin divided by the unit''s gross margin of the month.';
comment on column report.customer_profit_monthly.previous_gross_margin is 'The customer''s gross margin of the month before (0 when none).';
comment on column report.customer_profit_monthly.gross_margin_change is 'Gross margin minus the month before''s.';

-- The unit's margin of the year from the daily rollup, as the monthly view's (summing every
-- customer's yearly row took 0.4-3.9 s at 1M customers); the year before kept on the row, as there.
create or replace view report.customer_profit_yearly with (security_invoker = true) as
select t.slug as tenant,
       y.customer_id,
       y.year,
       y.orders,
       y.revenue::numeric as revenue,
       y.cost::numeric as cost,
       y.gross_margin,
       y.margin_rate,
       round(y.gross_margin / u.gross_margin, 6) as share_of_unit_margin,
       coalesce(y.previous_gross_margin, 0) as previous_gross_margin,
       y.gross_margin_change
  from crm.customer_year_summary y
  join crm.tenant t on t.id = y.tenant_id
  left join (select d.tenant_id, extract(year from d.day)::int as year, nullif(sum(d.revenue - d.cost), 0) as gross_margin
               from crm.sales_day_summary d group by 1, 2) u on u.tenant_id = y.tenant_id and u.year = y.year;

comment on view report.customer_profit_yearly is 'Profit contribution of each customer per calendar year, its share of the unit''s margin, and the change against the year before.';
comment on column report.customer_profit_yearly.tenant is 'The business unit (slug).';
comment on column report.customer_profit_yearly.customer_id is 'The customer.';
comment on column report.customer_profit_yearly.year is 'Calendar year (UTC).';
comment on column report.customer_profit_yearly.orders is 'Number of sales orders.';
comment on column report.customer_profit_yearly.revenue is 'Sum of quantity x unit price of the year''s sales.';
comment on column report.customer_profit_yearly.cost is 'Sum of quantity x unit cost at the time of each order.';
comment on column report.customer_profit_yearly.gross_margin is 'Revenue minus cost: the profit contribution.';
comment on column report.customer_profit_yearly.margin_rate is 'Gross margin divided by revenue.';
comment on column report.customer_profit_yearly.share_of_unit_margin is 'This customer''s gross margin divided by the unit''s gross margin of the year.';
comment on column report.customer_profit_yearly.previous_gross_margin is 'The customer''s gross margin of the year before (0 when none).';
comment on column report.customer_profit_yearly.gross_margin_change is 'Gross margin minus the year before''s.';

-- Tiers by the previous year's profit contribution, not by volume: customers ranked by gross
-- margin; those making up the first `customer_tiers.A` share of the unit's margin (default 0.5)
-- are tier A, up to `customer_tiers.B` (default 0.8) tier B, the rest C; no margin at all is D.
-- Ties rank the higher customer id first. One basis year at a time: the yearly rollup's index
-- hands the customers over best first, so the running sum needs no sort.
create or replace function report.customer_tier_ranking(p_basis_year int)
    returns table (tenant_id uuid, customer_id bigint, gross_margin numeric, share_before numeric, tier text)
    language sql stable security invoker as $$
    with ranked as (
        select y.tenant_id, y.customer_id, y.gross_margin,
               coalesce(sum(y.gross_margin) over (partition by y.tenant_id order by y.gross_margin desc, y.customer_id desc
                                                  rows between unbounded preceding and 1 preceding), 0) as margin_before,
               sum(y.gross_margin) over (partition by y.tenant_id) as unit_margin
          from crm.customer_year_summary y
         where y.year = p_basis_year)
    select r.tenant_id, r.customer_id, r.gross_margin::numeric,
           round(r.margin_before / nullif(r.unit_margin, 0), 6),
           case when r.gross_margin <= 0 or r.unit_margin <= 0 then 'D'
                when r.margin_before / r.unit_margin < coalesce((t.settings #>> '{customer_tiers,A}')::numeric, 0.5) then 'A'
                when r.margin_before / r.unit_margin < coalesce((t.settings #>> '{customer_tiers,B}')::numeric, 0.8) then 'B'
                else 'C' end
      from ranked r join crm.tenant t on t.id = r.tenant_id
$$;
comment on function report.customer_tier_ranking(int) is 'Every customer with sales in a year, ranked by that year''s gross margin, with the share of the unit''s margin earned above it and the tier it earns for the following year.';

create or replace function report.customer_tiers(p_year int)
    returns table (tenant text, customer_id bigint, year int, basis_year int, basis_gross_margin numeric,
                   share_before numeric, tier text, previous_tier text)
    language sql stable security invoker as $$
    select t.slug, c.customer_id, p_year, p_year - 1, c.gross_margin, c.share_before, c.tier, p.tier
      from report.customer_tier_ranking(p_year - 1) c
      join crm.tenant t on t.id = c.tenant_id
      left join report.customer_tier_ranking(p_year - 2) p on p.tenant_id = c.tenant_id and p.customer_id = c.customer_id
$$;
comment on function report.customer_tiers(int) is 'Customer tiers for one year (by the year before''s gross margin), with the tier of the year before; what report.customer_tier shows for that year.';

-- The report reads the snapshot the scheduled job keeps (crm.refresh_customer_tiers); the live
-- ranking is report.customer_tiers(year).
create or replace view report.customer_tier with (security_invoker = true) as
select t.slug as tenant, s.customer_id, s.year, s.year - 1 as basis_year, s.basis_gross_margin, s.share_before,
       s.tier, s.previous_tier, s.refreshed_at
  from crm.customer_tier_snapshot s
  join crm.tenant t on t.id = s.tenant_id;

comment on view report.customer_tier is 'Customer tiers for a year by the previous year''s profit contribution (gross margin), with thresholds from the unit''s settings (customer_tiers.A, .B: cumulative shares of the unit''s margin), and the tier the customer had the year before. Read from the snapshot crm.refresh_customer_tiers keeps (hourly by the server; refreshed_at says when a row last changed); report.customer_tiers(year) computes the same live.';
comment on column report.customer_tier.refreshed_at is 'When this row''s figures were last written by a refresh.';
comment on column report.customer_tier.tenant is 'The business unit (slug).';
comment on column report.customer_tier.customer_id is 'The customer.';
comment on column report.customer_tier.year is 'The year the tier applies to.';
comment on column report.customer_tier.basis_year is 'The year whose gross margin decides the tier (year - 1).';
comment on column report.customer_tier.basis_gross_margin is 'The customer''s gross margin in the basis year.';
comment on column report.customer_tier.share_before is 'Share of the unit''s margin earned by customers ranked above this one.';
comment on column report.customer_tier.tier is 'A, B, C by cumulative margin share; D without positive margin.';
comment on column report.customer_tier.previous_tier is 'The tier the customer had the year before (null when none).';

grant select on report.customer_profit_monthly, report.customer_profit_yearly, report.customer_tier to crm_unit, crm_reporter;
grant execute on function report.customer_tier_ranking(int), report.customer_tiers(int) to crm_unit, crm_reporter;
