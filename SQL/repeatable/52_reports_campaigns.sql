-- Campaign results: what a campaign cost, what its leads became, and what it sold (from the
-- daily sales rollup), with the return on investment computed on gross margin, not revenue.
set local role crm_owner;

create or replace view report.campaign_results with (security_invoker = true) as
select t.slug as tenant,
       c.id as campaign_id,
       c.name,
       c.status,
       c.starts_on,
       c.ends_on,
       c.budget,
       coalesce(k.cost, 0)::numeric(14,2) as cost,
       coalesce(l.leads, 0) as leads,
       coalesce(l.contacted, 0) as contacted_leads,
       coalesce(l.qualified, 0) as qualified_leads,
       coalesce(l.converted, 0) as conversions,
       coalesce(s.orders, 0) as orders,
       coalesce(s.units, 0) as units_sold,
       coalesce(s.revenue, 0)::numeric(16,2) as revenue,
       coalesce(s.revenue - s.cost, 0)::numeric(16,2) as gross_margin,
       case when l.leads > 0 then round((l.qualified + l.converted)::numeric / l.leads, 4) end as response_rate,
       case when coalesce(k.cost, 0) > 0 then round((coalesce(s.revenue - s.cost, 0) - k.cost) / k.cost, 4) end as roi
  from crm.campaign c
  join crm.tenant t on t.id = c.tenant_id
  left join lateral (select sum(x.amount) as cost from crm.campaign_cost x
                      where x.tenant_id = c.tenant_id and x.campaign_id = c.id) k on true
  left join lateral (select count(*) as leads,
                            count(*) filter (where x.status in ('contacted', 'qualified', 'converted')) as contacted,
                            count(*) filter (where x.status = 'qualified') as qualified,
                            count(*) filter (where x.status = 'converted') as converted
                       from crm.lead x where x.tenant_id = c.tenant_id and x.campaign_id = c.id) l on true
  left join lateral (select sum(d.orders) as orders, sum(d.units) as units, sum(d.revenue) as revenue, sum(d.cost) as cost
                       from crm.sales_day_summary d where d.tenant_id = c.tenant_id and d.campaign_id = c.id) s on true;

comment on view report.campaign_results is 'Per campaign: its cost (the ledger), leads and what became of them, the sales attributed to it (orders with its campaign_id that are confirmed, shipped or delivered), and the return on investment on gross margin: (gross margin - cost) / cost.';
comment on column report.campaign_results.tenant is 'The business unit (slug).';
comment on column report.campaign_results.campaign_id is 'The campaign.';
comment on column report.campaign_results.name is 'The campaign''s name.';
comment on column report.campaign_results.status is 'draft, pending_approval, approved, active or closed.';
comment on column report.campaign_results.starts_on is 'First day of the campaign.';
comment on column report.campaign_results.ends_on is 'Last day of the campaign.';
comment on column report.campaign_results.budget is 'The approved (or planned) budget.';
comment on column report.campaign_results.cost is 'Sum of the campaign''s cost ledger (lists, printing, postage, ads, staff, ...).';
comment on column report.campaign_results.leads is 'Leads of the campaign.';
comment on column report.campaign_results.contacted_leads is 'Leads contacted, qualified or converted.';
comment on column report.campaign_results.qualified_leads is 'Leads qualified and not (yet) converted.';
comment on column report.campaign_results.conversions is 'Leads converted into customers.';
comment on column report.campaign_results.orders is 'Sales orders attributed to the campaign.';
comment on column report.campaign_results.units_sold is 'Units in those orders.';
comment on column report.campaign_results.revenue is 'Revenue of those orders.';
comment on column report.campaign_results.gross_margin is 'Revenue minus the cost of the goods at the time of each order.';
comment on column report.campaign_results.response_rate is 'Leads that responded (qualified or converted) divided by leads.';
comment on column report.campaign_results.roi is 'Return on investment on margin: (gross margin - cost) / cost; null without costs.';

create or replace view report.campaign_weekly with (security_invoker = true) as
select t.slug as tenant,
       d.campaign_id,
       date_trunc('week', d.day)::date as week,
       sum(d.orders)::int as orders,
       sum(d.units) as units_sold,
       sum(d.revenue)::numeric(16,2) as revenue,
       sum(d.revenue - d.cost)::numeric(16,2) as gross_margin
  from crm.sales_day_summary d
  join crm.tenant t on t.id = d.tenant_id
 where d.campaign_id is not null
 group by t.slug, d.campaign_id, date_trunc('week', d.day);

comment on view report.campaign_weekly is 'Sales attributed to each campaign per ISO week, so the timeline shows its peaks.';
comment on column report.campaign_weekly.tenant is 'The business unit (slug).';
comment on column report.campaign_weekly.campaign_id is 'The campaign.';
comment on column report.campaign_weekly.week is 'Monday of the week (UTC).';
comment on column report.campaign_weekly.orders is 'Orders in the week.';
comment on column report.campaign_weekly.units_sold is 'Units sold in the week.';
comment on column report.campaign_weekly.revenue is 'Revenue in the week.';
comment on column report.campaign_weekly.gross_margin is 'Gross margin in the week.';

grant select on report.campaign_results, report.campaign_weekly to crm_unit, crm_reporter;
