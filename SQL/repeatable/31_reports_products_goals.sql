-- Product profitability and commissions by product tier; goals against what was achieved.
-- These read the product and daily sales rollups (crm.product_month_summary, crm.sales_day_summary).
set local role crm_owner;

-- A product's profit tier under a unit's settings (product_tiers.A / .B: margin-rate floors,
-- default 0.40 and 0.20). Takes the settings instead of reading them, so a report computes it
-- for thousands of rows cheaply, and a reporter sees each unit's tiers by that unit's settings.
create or replace function crm.product_tier_of(p_settings jsonb, p_list_price numeric, p_unit_cost numeric) returns text
    language sql immutable parallel safe
    return case
        when p_list_price <= 0 then 'C'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((p_settings #>> '{product_tiers,A}')::numeric, 0.40) then 'A'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((p_settings #>> '{product_tiers,B}')::numeric, 0.20) then 'B'
        else 'C' end;
grant execute on function crm.product_tier_of(jsonb, numeric, numeric) to crm_unit, crm_reporter;

create or replace view report.product_profitability with (security_invoker = true) as
select t.slug as tenant,
       p.id as product_id,
       p.sku,
       p.name,
       coalesce(s.units, 0) as units_sold,
       coalesce(s.revenue, 0)::numeric(16,2) as revenue,
       coalesce(s.cost, 0)::numeric(16,2) as cost,
       coalesce(s.revenue - s.cost, 0)::numeric(16,2) as gross_margin,
       case when s.revenue > 0 then round((s.revenue - s.cost) / s.revenue, 4) end as margin_rate,
       crm.product_tier_of(t.settings, p.list_price, p.unit_cost) as profit_tier
  from crm.product p
  join crm.tenant t on t.id = p.tenant_id
  left join lateral (select sum(m.units) as units, sum(m.revenue) as revenue, sum(m.cost) as cost
                       from crm.product_month_summary m where m.tenant_id = p.tenant_id and m.product_id = p.id) s on true;

comment on view report.product_profitability is 'Each product''s sales (confirmed, shipped, delivered orders): units, revenue, cost and gross margin at the prices and costs of the day, and its profit tier from today''s list price and cost (thresholds product_tiers.A/.B in the unit''s settings, default margin rates 0.40/0.20).';
comment on column report.product_profitability.tenant is 'The business unit (slug).';
comment on column report.product_profitability.product_id is 'The product.';
comment on column report.product_profitability.sku is 'The product''s SKU.';
comment on column report.product_profitability.name is 'The product''s name.';
comment on column report.product_profitability.units_sold is 'Units sold.';
comment on column report.product_profitability.revenue is 'Sum of quantity x unit price.';
comment on column report.product_profitability.cost is 'Sum of quantity x unit cost at the time of each order.';
comment on column report.product_profitability.gross_margin is 'Revenue minus cost.';
comment on column report.product_profitability.margin_rate is 'Gross margin divided by revenue.';
comment on column report.product_profitability.profit_tier is 'A, B or C by the product''s current margin rate.';

create or replace view report.staff_commission with (security_invoker = true) as
with sold as (
    select m.tenant_id, m.staff_id, m.month, m.product_id, sum(m.revenue) as revenue, sum(m.revenue - m.cost) as gross_margin
      from crm.product_month_summary m
     where m.staff_id is not null
     group by m.tenant_id, m.staff_id, m.month, m.product_id),
tiered as (
    select s.*, t.slug, crm.product_tier_of(t.settings, p.list_price, p.unit_cost) as product_tier
      from sold s
      join crm.tenant t on t.id = s.tenant_id
      join crm.product p on p.tenant_id = s.tenant_id and p.id = s.product_id)
select x.slug as tenant,
       x.staff_id,
       x.month,
       x.product_tier,
       sum(x.revenue)::numeric(16,2) as revenue,
       sum(x.gross_margin)::numeric(16,2) as gross_margin,
       coalesce(r.rate, 0) as commission_rate,
       round(sum(x.revenue) * coalesce(r.rate, 0), 2) as commission
  from tiered x
  left join crm.commission_rate r on r.tenant_id = x.tenant_id and r.tier = x.product_tier
 group by x.slug, x.staff_id, x.month, x.product_tier, r.rate;

comment on view report.staff_commission is 'Commission per staff member, month and product tier: revenue sold times the tier''s rate (crm.commission_rate), so selling profitable products pays more.';
comment on column report.staff_commission.tenant is 'The business unit (slug).';
comment on column report.staff_commission.staff_id is 'The staff member who sold.';
comment on column report.staff_commission.month is 'First day of the month of the orders (UTC).';
comment on column report.staff_commission.product_tier is 'The products'' profit tier.';
comment on column report.staff_commission.revenue is 'Revenue sold in that tier.';
comment on column report.staff_commission.gross_margin is 'Gross margin sold in that tier.';
comment on column report.staff_commission.commission_rate is 'The unit''s commission rate for the tier (0 when unset).';
comment on column report.staff_commission.commission is 'Revenue times rate.';

-- What each goal metric measures (period: period_start to period_end inclusive, days in UTC; a
-- sale is an order confirmed, shipped or delivered, crm.is_sale; for a staff member's or a team's
-- goal the sales and contacts are theirs):
--   revenue, gross_margin, orders  sum over the period's sales (crm.sales_day_summary)
--   margin_rate      gross margin / revenue of the period's sales, 4 decimals (null without revenue)
--   new_customers    customers created in the period
--   contacts         contacts (crm.interaction, any channel and direction) in the period
--   nps              net promoter score of the survey answers of the period: % of scores 9-10
--                    minus % of scores 0-6, -100 to 100, 2 decimals (null without answers)
--   churn_rate       of the customers with a sale in the previous period (as long as this one,
--                    ending the day before period_start), the share with no sale in this period,
--                    4 decimals (null when the previous period had no buyer)
--   retention_rate   of the same customers, the share with a sale in this period (1 - churn_rate)
-- nps, churn_rate and retention_rate are the unit's (goals.set refuses them for a staff member or
-- team). Attainment is actual / target, except for churn_rate, where less is better: target /
-- actual (1 when nobody churned).
create or replace view report.goal_progress with (security_invoker = true) as
select t.slug as tenant,
       g.id as goal_id,
       g.metric,
       g.period_start,
       g.period_end,
       g.staff_id,
       g.team,
       g.target,
       a.actual,
       case when g.metric = 'churn_rate' then case when a.actual = 0 then 1 when a.actual > 0 then round(g.target / a.actual, 4) end
            when g.target <> 0 then round(a.actual / g.target, 4) end as attainment
  from crm.goal g
  join crm.tenant t on t.id = g.tenant_id
  cross join lateral (
      select (g.period_start::timestamp at time zone 'UTC') as from_at,
             ((g.period_end + 1)::timestamp at time zone 'UTC') as to_at,
             ((g.period_start - (g.period_end - g.period_start + 1))::timestamp at time zone 'UTC') as previous_from_at) p
  cross join lateral (
      select case g.metric
          when 'new_customers' then (select count(*) from crm.customer c where c.tenant_id = g.tenant_id
                                      and c.created_at >= g.period_start and c.created_at < g.period_end + 1)::numeric
          when 'contacts' then (select count(*) from crm.interaction i
                                  left join crm.staff s on s.tenant_id = i.tenant_id and s.id = i.staff_id
                                 where i.tenant_id = g.tenant_id and i.occurred_at >= p.from_at and i.occurred_at < p.to_at
                                   and (g.staff_id is null or i.staff_id = g.staff_id)
                                   and (g.team is null or s.team = g.team))::numeric
          when 'nps' then (select round(100.0 * (count(*) filter (where r.score >= 9) - count(*) filter (where r.score <= 6)) / nullif(count(*), 0), 2)
                             from crm.survey_response r
                            where r.tenant_id = g.tenant_id and r.responded_at >= p.from_at and r.responded_at < p.to_at)
          when 'churn_rate' then (select round(count(*) filter (where not b.again)::numeric / nullif(count(*), 0), 4) from (
                                    select exists (select 1 from crm.sales_order n
                                                    where n.tenant_id = g.tenant_id and n.customer_id = o.customer_id and crm.is_sale(n.status)
                                                      and n.ordered_at >= p.from_at and n.ordered_at < p.to_at) as again
                                      from crm.sales_order o
                                     where o.tenant_id = g.tenant_id and crm.is_sale(o.status)
                                       and o.ordered_at >= p.previous_from_at and o.ordered_at < p.from_at
                                     group by o.customer_id) b)
          when 'retention_rate' then (select round(count(*) filter (where b.again)::numeric / nullif(count(*), 0), 4) from (
                                    select exists (select 1 from crm.sales_order n
                                                    where n.tenant_id = g.tenant_id and n.customer_id = o.customer_id and crm.is_sale(n.status)
                                                      and n.ordered_at >= p.from_at and n.ordered_at < p.to_at) as again
                                      from crm.sales_order o
                                     where o.tenant_id = g.tenant_id and crm.is_sale(o.status)
                                       and o.ordered_at >= p.previous_from_at and o.ordered_at < p.from_at
                                     group by o.customer_id) b)
          else (select case g.metric
                           when 'margin_rate' then round(sum(d.revenue - d.cost) / nullif(sum(d.revenue), 0), 4)
                           else coalesce(case g.metric
                                             when 'revenue' then sum(d.revenue)
                                             when 'gross_margin' then sum(d.revenue - d.cost)
                                             when 'orders' then sum(d.orders) end, 0)::numeric(16,2) end
                  from crm.sales_day_summary d
                  left join crm.staff s on s.tenant_id = d.tenant_id and s.id = d.staff_id
                 where d.tenant_id = g.tenant_id
                   and d.day between g.period_start and g.period_end
                   and (g.staff_id is null or d.staff_id = g.staff_id)
                   and (g.team is null or s.team = g.team))
          end as actual) a;

comment on view report.goal_progress is 'Every goal against what was achieved in its period, for the unit, a team or a staff member: revenue, gross margin, orders and margin rate from sales, new customers, contacts, NPS from survey answers, churn and retention rates against the previous period of the same length (SQL/repeatable/31_reports_products_goals.sql defines each).';
comment on column report.goal_progress.tenant is 'The business unit (slug).';
comment on column report.goal_progress.goal_id is 'The goal.';
comment on column report.goal_progress.metric is 'revenue, gross_margin, orders (sums of the period''s sales); margin_rate (gross margin / revenue, 0-1); new_customers (created in the period); contacts (interactions in the period); nps (% of survey scores 9-10 minus % of scores 0-6, -100 to 100); churn_rate (share of the previous period''s buyers with no sale in this period, 0-1); retention_rate (share of them with a sale in this period, 0-1).';
comment on column report.goal_progress.period_start is 'First day of the goal''s period.';
comment on column report.goal_progress.period_end is 'Last day of the goal''s period (inclusive).';
comment on column report.goal_progress.staff_id is 'The staff member the goal is for (a sales quota), or null.';
comment on column report.goal_progress.team is 'The team the goal is for, or null.';
comment on column report.goal_progress.target is 'The target (rates as fractions: 0.25 for 25%; nps in points).';
comment on column report.goal_progress.actual is 'What was achieved so far (null for a rate with nothing to measure: no revenue, no survey answer, no buyer in the previous period).';
comment on column report.goal_progress.attainment is 'Actual divided by target; for churn_rate, where less is better, target divided by actual (1 when nobody churned).';

create or replace view report.sales_vs_quota with (security_invoker = true) as
select tenant, staff_id, period_start, period_end, target as quota, actual as revenue, attainment
  from report.goal_progress
 where metric = 'revenue' and staff_id is not null;

comment on view report.sales_vs_quota is 'Sales against quota per staff member and period: the revenue goals set for one staff member.';
comment on column report.sales_vs_quota.tenant is 'The business unit (slug).';
comment on column report.sales_vs_quota.staff_id is 'The staff member.';
comment on column report.sales_vs_quota.period_start is 'First day of the quota period.';
comment on column report.sales_vs_quota.period_end is 'Last day of the quota period.';
comment on column report.sales_vs_quota.quota is 'The revenue target.';
comment on column report.sales_vs_quota.revenue is 'Revenue sold in the period.';
comment on column report.sales_vs_quota.attainment is 'Revenue divided by quota.';

grant select on report.product_profitability, report.staff_commission, report.goal_progress, report.sales_vs_quota
    to crm_unit, crm_reporter;
