-- Existing or new, kept on the monthly rollup too (issue 16: report.existing_vs_new_monthly joined
-- 2.7M monthly rows with 1M first sales at 1,000,000 customers, a hash spilled to disk: 1.1-3 s).
-- A monthly row says whether its customer's first sale (crm.customer_first_sale) came more than 12
-- months before the month (before its first day a year earlier); the first sales' trigger keeps it
-- for the monthly rows a statement adds and for every row of a customer whose first sale moves
-- (SQL/repeatable/23_rollup_triggers.sql).
set local role crm_owner;

alter table crm.customer_month_summary add column existing boolean not null default false;
comment on column crm.customer_month_summary.existing is
    'The customer''s first sale (crm.customer_first_sale) came more than 12 months before this month: an existing customer in it; kept by the rollup triggers.';

-- Existing rows, with the force lifted for this transaction (no policy is crm_owner's), and the
-- table's triggers off (the yearly rollup's, where the repeatable files made them already): the
-- amounts do not change.
alter table crm.customer_month_summary disable trigger user;
alter table crm.customer_month_summary no force row level security;
alter table crm.customer_first_sale no force row level security;
update crm.customer_month_summary s set existing = true
  from crm.customer_first_sale f
 where f.tenant_id = s.tenant_id and f.customer_id = s.customer_id and f.first_month < (s.month - interval '12 months')::date;
alter table crm.customer_month_summary force row level security;
alter table crm.customer_first_sale force row level security;
alter table crm.customer_month_summary enable trigger user;
