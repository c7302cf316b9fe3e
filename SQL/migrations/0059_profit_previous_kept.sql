-- The profit reports read their rows whole without a self-join (issue "[3/7] Hot paths at the
-- limit": at 1,000,000 customers report.customer_profit_monthly took 5.4 s over 2.7M monthly rows,
-- report.customer_profit_yearly 2.9 s over 1.7M yearly rows): the month (year) before was a hash
-- join of the rollup with itself, 2.7M x 2.7M rows that spilled to disk, and every row computed
-- its margin, margin rate and change again.
--   previous_gross_margin: the gross margin (revenue - cost) of the same customer's row of the month
--     (year) before, null when there is none (the reports show 0 then), kept by the rollups' triggers
--     (SQL/repeatable/23_rollup_triggers.sql): a new row reads its previous period once, and a
--     statement that changes a period's row writes it into the next period's row, if there is one.
--   gross_margin, margin_rate, gross_margin_change: generated from the row (the reports' formulas),
--     so a read computes only the share of the unit's margin (which moves with every order).
--   crm_rollup: the narrow role that reads, for the rollups' triggers, the rows of the periods next
--     to a row being written (SQL/repeatable/23_rollup_triggers.sql): read as the writer (crm_unit),
--     each of those lookups set up the shared-read policies' sub-selects (0049) again, ~40 us a
--     statement, more than the lookup itself, on every order. No superuser, owner or BYPASSRLS: its
--     one policy on each rollup lets it read the writer's unit's rows (not write them), only a margin's columns;
--     its functions name the rows by the key of the row being written, which the writer's own
--     policies admitted (as crm_contactindex's, 0003).
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_rollup') then
        create role crm_rollup nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
end $$;
-- crm_owner creates and replaces the functions and hands them to crm_rollup (as with crm_lookup).
grant crm_rollup to crm_owner;
alter default privileges for role crm_rollup revoke execute on functions from public;
grant usage on schema crm to crm_rollup;

set local role crm_owner;

alter table crm.customer_month_summary add column previous_gross_margin numeric;
alter table crm.customer_year_summary add column previous_gross_margin numeric;
comment on column crm.customer_month_summary.previous_gross_margin is
    'The gross margin (revenue - cost) of the customer''s row of the month before; null when there is no such row. Kept by the rollup triggers.';
comment on column crm.customer_year_summary.previous_gross_margin is
    'The gross margin (revenue - cost) of the customer''s row of the year before; null when there is no such row. Kept by the rollup triggers.';

-- Existing rows, with the force lifted for this transaction (no policy is crm_owner's) and the
-- tables' triggers off (the amounts do not change). Filled before the generated columns are
-- added: adding them rewrites each table once, without the old row versions this update leaves.
alter table crm.customer_month_summary disable trigger user;
alter table crm.customer_year_summary disable trigger user;
alter table crm.customer_month_summary no force row level security;
alter table crm.customer_year_summary no force row level security;
update crm.customer_month_summary s set previous_gross_margin = p.revenue - p.cost
  from crm.customer_month_summary p
 where p.tenant_id = s.tenant_id and p.customer_id = s.customer_id and p.month = (s.month - interval '1 month')::date;
update crm.customer_year_summary y set previous_gross_margin = p.revenue - p.cost
  from crm.customer_year_summary p
 where p.tenant_id = y.tenant_id and p.customer_id = y.customer_id and p.year = y.year - 1;
alter table crm.customer_month_summary force row level security;
alter table crm.customer_year_summary force row level security;
alter table crm.customer_month_summary enable trigger user;
alter table crm.customer_year_summary enable trigger user;

alter table crm.customer_month_summary
    add column gross_margin numeric generated always as (revenue - cost) stored,
    add column margin_rate numeric generated always as (case when revenue <> 0 then round((revenue - cost) / revenue, 4) end) stored,
    add column gross_margin_change numeric generated always as ((revenue - cost) - coalesce(previous_gross_margin, 0)) stored;
alter table crm.customer_year_summary
    add column margin_rate numeric generated always as (case when revenue <> 0 then round((revenue - cost) / revenue, 4) end) stored,
    add column gross_margin_change numeric generated always as ((revenue - cost) - coalesce(previous_gross_margin, 0)) stored;
comment on column crm.customer_month_summary.gross_margin is 'Revenue minus cost.';
comment on column crm.customer_month_summary.margin_rate is 'Gross margin divided by revenue, rounded to 4 places; null without revenue.';
comment on column crm.customer_month_summary.gross_margin_change is 'Gross margin minus the month before''s (0 when none).';
comment on column crm.customer_year_summary.margin_rate is 'Gross margin divided by revenue, rounded to 4 places; null without revenue.';
comment on column crm.customer_year_summary.gross_margin_change is 'Gross margin minus the year before''s (0 when none).';

grant select (tenant_id, customer_id, month, revenue, cost) on crm.customer_month_summary to crm_rollup;
grant select (tenant_id, customer_id, year, revenue, cost) on crm.customer_year_summary to crm_rollup;
-- Only the writer's unit: the functions take the unit as an argument and are executable by unit
-- users, so a policy of `true` would read any unit's margins for whoever calls them.
grant execute on function crm.current_tenant(), crm.tenant_of_slug_setting() to crm_rollup;
create policy "the rollup triggers read the periods next to a row written" on crm.customer_month_summary
    for select to crm_rollup using (tenant_id = (select crm.current_tenant()));
create policy "the rollup triggers read the periods next to a row written" on crm.customer_year_summary
    for select to crm_rollup using (tenant_id = (select crm.current_tenant()));
