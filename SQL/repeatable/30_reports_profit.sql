-- Profit contribution per customer, from the sales rollup (crm.customer_month_summary, kept by
-- triggers), so a unit with millions of order lines reads thousands of rollup rows, not the lines.
set local role crm_owner;

create or replace view report.customer_profit_monthly with (security_invoker = true) as
select t.slug as tenant,
       s.customer_id,
       s.month,
       s.revenue,
       s.cost,
       s.revenue - s.cost as gross_margin,
       case when s.revenue <> 0 then round((s.revenue - s.cost) / s.revenue, 4) end as margin_rate,
       case when sum(s.revenue - s.cost) over w <> 0
            then round((s.revenue - s.cost) / sum(s.revenue - s.cost) over w, 6) end as share_of_unit_margin,
       coalesce(p.revenue - p.cost, 0) as previous_gross_margin,
       (s.revenue - s.cost) - coalesce(p.revenue - p.cost, 0) as gross_margin_change
  from crm.customer_month_summary s
  join crm.tenant t on t.id = s.tenant_id
  left join crm.customer_month_summary p
         on p.tenant_id = s.tenant_id and p.customer_id = s.customer_id and p.month = (s.month - interval '1 month')::date
window w as (partition by s.tenant_id, s.month);

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

create or replace view report.customer_profit_yearly with (security_invoker = true) as
with y as (
    select s.tenant_id, s.customer_id, extract(year from s.month)::int as year,
           sum(s.revenue) as revenue, sum(s.cost) as cost, sum(s.orders)::int as orders
      from crm.customer_month_summary s
     group by s.tenant_id, s.customer_id, extract(year from s.month))
select t.slug as tenant,
       y.customer_id,
       y.year,
       y.orders,
       y.revenue,
       y.cost,
       y.revenue - y.cost as gross_margin,
       case when y.revenue <> 0 then round((y.revenue - y.cost) / y.revenue, 4) end as margin_rate,
       case when sum(y.revenue - y.cost) over w <> 0
            then round((y.revenue - y.cost) / sum(y.revenue - y.cost) over w, 6) end as share_of_unit_margin,
       coalesce(p.revenue - p.cost, 0) as previous_gross_margin,
       (y.revenue - y.cost) - coalesce(p.revenue - p.cost, 0) as gross_margin_change
  from y
  join crm.tenant t on t.id = y.tenant_id
  left join y p on p.tenant_id = y.tenant_id and p.customer_id = y.customer_id and p.year = y.year - 1
window w as (partition by y.tenant_id, y.year);

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
create or replace view report.customer_tier with (security_invoker = true) as
with ranked as (
    select y.tenant, y.customer_id, y.year as basis_year, y.gross_margin,
           sum(y.gross_margin) over (partition by y.tenant, y.year order by y.gross_margin desc, y.customer_id
                                     rows between unbounded preceding and 1 preceding) as margin_before,
           sum(y.gross_margin) over (partition by y.tenant, y.year) as unit_margin
      from report.customer_profit_yearly y),
tiered as (
    select r.*, t.settings,
           case when r.gross_margin <= 0 or r.unit_margin <= 0 then 'D'
                when coalesce(r.margin_before, 0) / r.unit_margin < coalesce((t.settings #>> '{customer_tiers,A}')::numeric, 0.5) then 'A'
                when coalesce(r.margin_before, 0) / r.unit_margin < coalesce((t.settings #>> '{customer_tiers,B}')::numeric, 0.8) then 'B'
                else 'C' end as tier
      from ranked r join crm.tenant t on t.slug = r.tenant)
select tenant, customer_id, basis_year + 1 as year, basis_year, gross_margin as basis_gross_margin,
       round(coalesce(margin_before, 0) / nullif(unit_margin, 0), 6) as share_before,
       tier,
       lag(tier) over (partition by tenant, customer_id order by basis_year) as previous_tier
  from tiered;

comment on view report.customer_tier is 'Customer tiers for a year by the previous year''s profit contribution (gross margin), with thresholds from the unit''s settings (customer_tiers.A, .B: cumulative shares of the unit''s margin), and the tier the customer had the year before.';
comment on column report.customer_tier.tenant is 'The business unit (slug).';
comment on column report.customer_tier.customer_id is 'The customer.';
comment on column report.customer_tier.year is 'The year the tier applies to.';
comment on column report.customer_tier.basis_year is 'The year whose gross margin decides the tier (year - 1).';
comment on column report.customer_tier.basis_gross_margin is 'The customer''s gross margin in the basis year.';
comment on column report.customer_tier.share_before is 'Share of the unit''s margin earned by customers ranked above this one.';
comment on column report.customer_tier.tier is 'A, B, C by cumulative margin share; D without positive margin.';
comment on column report.customer_tier.previous_tier is 'The tier the customer had the year before (null when none).';

grant select on report.customer_profit_monthly, report.customer_profit_yearly, report.customer_tier to crm_unit, crm_reporter;
