-- Complaints and quality (issue 19; seeds 003 and 004, "the reliability and repair cost report"):
-- service cases per category, product and month; SLA breaches and the times to first response and
-- to resolution per agent; repair cost per product against units sold and margin. Cases are a few
-- per customer at most, so the views read crm.service_case directly (index service_case_opened,
-- 0041); sales come from the product rollup crm.product_month_summary, never from order lines.
-- Each reports.* method is one call of a *_json function below (security invoker: the caller's
-- policies decide what it sees, as in the views).
set local role crm_owner;

-- A case breaches its SLA when it was resolved after its due time, or is still unresolved past it.
-- A case closed without a resolution time has no known breach (null).
create or replace function crm.case_breached(c crm.service_case) returns boolean
    language sql stable
    return coalesce(c.resolved_at, case when c.status not in ('resolved', 'closed') then now() end) > c.sla_due_at;
comment on function crm.case_breached(crm.service_case) is
    'Whether a service case missed its SLA: resolved after sla_due_at, or unresolved and past it now; null for a case closed without a resolution time.';

create or replace view report.case_quality with (security_invoker = true) as
select t.slug as tenant,
       date_trunc('month', c.opened_at at time zone 'UTC')::date as month,
       c.category,
       c.product_id,
       p.name as product_name,
       count(*) as cases,
       count(*) filter (where c.status not in ('resolved', 'closed')) as open_cases,
       count(*) filter (where crm.case_breached(c)) as sla_breaches,
       count(c.repair_cost) as repaired_cases,
       coalesce(sum(c.repair_cost), 0)::numeric(14,2) as repair_cost
  from crm.service_case c
  join crm.tenant t on t.id = c.tenant_id
  left join crm.product p on p.tenant_id = c.tenant_id and p.id = c.product_id
 group by t.slug, c.tenant_id, 2, c.category, c.product_id, p.name;

comment on view report.case_quality is 'Service cases (complaints, quality problems, replacements, refunds, questions) per month opened, category and product: how many, how many still open, SLA breaches and the repair cost recorded on them.';
comment on column report.case_quality.tenant is 'The business unit (slug).';
comment on column report.case_quality.month is 'First day of the month (UTC) the cases were opened.';
comment on column report.case_quality.category is 'complaint, quality, replacement, refund or question.';
comment on column report.case_quality.product_id is 'The product the cases are about (null: none named).';
comment on column report.case_quality.product_name is 'The product''s name.';
comment on column report.case_quality.cases is 'Cases opened.';
comment on column report.case_quality.open_cases is 'Of those, cases not yet resolved or closed.';
comment on column report.case_quality.sla_breaches is 'Cases resolved after their SLA due time, or unresolved and past it now.';
comment on column report.case_quality.repaired_cases is 'Cases with a repair cost recorded.';
comment on column report.case_quality.repair_cost is 'Sum of the repair costs recorded on the cases.';

create or replace view report.agent_service with (security_invoker = true) as
select t.slug as tenant,
       date_trunc('month', c.opened_at at time zone 'UTC')::date as month,
       c.assigned_to as agent_id,
       s.name as agent_name,
       count(*) as cases,
       count(c.first_response_at) as responded,
       count(c.resolved_at) as resolved,
       count(*) filter (where crm.case_breached(c)) as sla_breaches,
       round(count(*) filter (where crm.case_breached(c))::numeric / count(*), 4) as breach_rate,
       round(avg(extract(epoch from c.first_response_at - c.opened_at) / 60), 1) as average_minutes_to_first_response,
       round(avg(extract(epoch from c.resolved_at - c.opened_at) / 60), 1) as average_minutes_to_resolution,
       round((percentile_cont(0.5) within group (order by extract(epoch from c.resolved_at - c.opened_at) / 60))::numeric, 1)
           as median_minutes_to_resolution
  from crm.service_case c
  join crm.tenant t on t.id = c.tenant_id
  left join crm.staff s on s.tenant_id = c.tenant_id and s.id = c.assigned_to
 group by t.slug, c.tenant_id, 2, c.assigned_to, s.name;

comment on view report.agent_service is 'Service per agent (the staff member a case is assigned to) and month opened: cases, responded, resolved, SLA breaches and the times to first response and to resolution.';
comment on column report.agent_service.tenant is 'The business unit (slug).';
comment on column report.agent_service.month is 'First day of the month (UTC) the cases were opened.';
comment on column report.agent_service.agent_id is 'The staff member the cases are assigned to (null: unassigned).';
comment on column report.agent_service.agent_name is 'The staff member''s name.';
comment on column report.agent_service.cases is 'Cases opened.';
comment on column report.agent_service.responded is 'Cases with a first response (any change after opening).';
comment on column report.agent_service.resolved is 'Cases resolved.';
comment on column report.agent_service.sla_breaches is 'Cases resolved after their SLA due time, or unresolved and past it now.';
comment on column report.agent_service.breach_rate is 'SLA breaches divided by cases.';
comment on column report.agent_service.average_minutes_to_first_response is 'Mean minutes from opening to the first response, over the cases responded to.';
comment on column report.agent_service.average_minutes_to_resolution is 'Mean minutes from opening to resolution, over the cases resolved.';
comment on column report.agent_service.median_minutes_to_resolution is 'Median minutes from opening to resolution, over the cases resolved.';

-- Repair cost per product and year (of opening the case) against the year's sales of the product
-- (units, revenue, margin from the product rollup). A product with sales and no case, or cases and
-- no sales, has a row as well.
create or replace view report.product_repair_cost with (security_invoker = true) as
with cases as (
    select c.tenant_id, c.product_id, extract(year from c.opened_at at time zone 'UTC')::int as year,
           count(*) as cases,
           count(*) filter (where c.category in ('complaint', 'quality')) as complaints,
           count(c.repair_cost) as repaired_cases,
           coalesce(sum(c.repair_cost), 0) as repair_cost
      from crm.service_case c
     where c.product_id is not null
     group by 1, 2, 3),
sales as (
    select m.tenant_id, m.product_id, extract(year from m.month)::int as year,
           sum(m.units) as units, sum(m.revenue) as revenue, sum(m.revenue - m.cost) as gross_margin
      from crm.product_month_summary m
     group by 1, 2, 3)
select t.slug as tenant,
       coalesce(c.year, s.year) as year,
       coalesce(c.product_id, s.product_id) as product_id,
       p.name as product_name,
       coalesce(c.cases, 0) as cases,
       coalesce(c.complaints, 0) as complaints,
       coalesce(c.repaired_cases, 0) as repaired_cases,
       coalesce(c.repair_cost, 0)::numeric(14,2) as repair_cost,
       coalesce(s.units, 0)::numeric(16,3) as units_sold,
       coalesce(s.revenue, 0)::numeric(16,2) as revenue,
       coalesce(s.gross_margin, 0)::numeric(16,2) as gross_margin,
       round(coalesce(c.cases, 0) / nullif(s.units, 0), 6) as cases_per_unit,
       round(coalesce(c.repair_cost, 0) / nullif(s.units, 0), 4) as repair_cost_per_unit,
       (coalesce(s.gross_margin, 0) - coalesce(c.repair_cost, 0))::numeric(16,2) as gross_margin_after_repairs,
       round(coalesce(c.repair_cost, 0) / nullif(s.gross_margin, 0), 4) as repair_cost_share_of_margin
  from cases c
  full join sales s on s.tenant_id = c.tenant_id and s.product_id = c.product_id and s.year = c.year
  join crm.tenant t on t.id = coalesce(c.tenant_id, s.tenant_id)
  join crm.product p on p.tenant_id = coalesce(c.tenant_id, s.tenant_id) and p.id = coalesce(c.product_id, s.product_id);

comment on view report.product_repair_cost is 'The reliability and repair cost report: per product and year, service cases about the product and the repair cost recorded on them, against the units sold, revenue and gross margin of the year (from crm.product_month_summary).';
comment on column report.product_repair_cost.tenant is 'The business unit (slug).';
comment on column report.product_repair_cost.year is 'Calendar year (UTC) of opening the cases and of the sales.';
comment on column report.product_repair_cost.product_id is 'The product.';
comment on column report.product_repair_cost.product_name is 'The product''s name.';
comment on column report.product_repair_cost.cases is 'Service cases about the product opened in the year.';
comment on column report.product_repair_cost.complaints is 'Of those, complaints and quality problems.';
comment on column report.product_repair_cost.repaired_cases is 'Cases with a repair cost recorded.';
comment on column report.product_repair_cost.repair_cost is 'Sum of the repair costs recorded on the year''s cases.';
comment on column report.product_repair_cost.units_sold is 'Units of the product sold in the year (confirmed, shipped, delivered orders).';
comment on column report.product_repair_cost.revenue is 'Revenue of those sales.';
comment on column report.product_repair_cost.gross_margin is 'Revenue minus cost of those sales.';
comment on column report.product_repair_cost.cases_per_unit is 'Cases divided by units sold (null when none sold).';
comment on column report.product_repair_cost.repair_cost_per_unit is 'Repair cost divided by units sold (null when none sold).';
comment on column report.product_repair_cost.gross_margin_after_repairs is 'Gross margin minus repair cost.';
comment on column report.product_repair_cost.repair_cost_share_of_margin is 'Repair cost divided by gross margin (null when the margin is 0).';

grant select on report.case_quality, report.agent_service, report.product_repair_cost to crm_unit, crm_reporter;
grant execute on function crm.case_breached(crm.service_case) to crm_unit, crm_viewer, crm_reporter;

-- The methods' statements. p_month: first day of a month (default: the current month, UTC);
-- p_year: default the current year; p_limit: at most this many rows (1-1000, default 100).
create or replace function report.complaints_json(p_month date, p_limit int) returns json
    language sql stable security invoker as $$
    select coalesce(json_agg(x.j order by x.cases desc, x.category, x.product_id), '[]')
      from (select to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text) as j, r.cases, r.category, r.product_id
              from report.case_quality r
             where r.month = coalesce(p_month, date_trunc('month', now() at time zone 'UTC')::date)
             order by r.cases desc, r.category, r.product_id
             limit least(greatest(coalesce(p_limit, 100), 1), 1000)) x
$$;
comment on function report.complaints_json(date, int) is 'reports.complaints: report.case_quality for one month (default the current one), most cases first.';

create or replace function report.agent_service_json(p_month date, p_limit int) returns json
    language sql stable security invoker as $$
    select coalesce(json_agg(x.j order by x.cases desc, x.agent_id), '[]')
      from (select to_jsonb(r) || jsonb_build_object('agent_id', r.agent_id::text) as j, r.cases, r.agent_id
              from report.agent_service r
             where r.month = coalesce(p_month, date_trunc('month', now() at time zone 'UTC')::date)
             order by r.cases desc, r.agent_id
             limit least(greatest(coalesce(p_limit, 100), 1), 1000)) x
$$;
comment on function report.agent_service_json(date, int) is 'reports.agent_service: report.agent_service for one month (default the current one), most cases first.';

create or replace function report.repair_costs_json(p_year int, p_limit int) returns json
    language sql stable security invoker as $$
    select coalesce(json_agg(x.j order by x.repair_cost desc, x.cases desc, x.product_id), '[]')
      from (select to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text) as j, r.repair_cost, r.cases, r.product_id
              from report.product_repair_cost r
             where r.year = coalesce(p_year, extract(year from now() at time zone 'UTC')::int)
             order by r.repair_cost desc, r.cases desc, r.product_id
             limit least(greatest(coalesce(p_limit, 100), 1), 1000)) x
$$;
comment on function report.repair_costs_json(int, int) is 'reports.repair_costs: report.product_repair_cost for one year (default the current one), highest repair cost first.';

grant execute on function report.complaints_json(date, int), report.agent_service_json(date, int), report.repair_costs_json(int, int)
    to crm_unit, crm_viewer, crm_reporter;
