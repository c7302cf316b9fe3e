-- Existing or new, kept on the yearly rollup (issue 16: report.existing_vs_new_yearly joined 1.7M
-- yearly rows with 1M first sales at 1,000,000 customers, a hash spilled to disk: 2.3 s). A yearly
-- row says whether its customer's first sale (crm.customer_first_sale) came before the year; the
-- rollup triggers keep it (SQL/repeatable/23_rollup_triggers.sql): set when the row is made, and
-- for every row of a customer whose first sale moves earlier.
set local role crm_owner;

alter table crm.customer_year_summary add column existing boolean not null default false;
comment on column crm.customer_year_summary.existing is
    'The customer''s first sale (crm.customer_first_sale) came before this calendar year: an existing customer in it; kept by the rollup triggers.';

-- Existing rows, with the force lifted for this transaction (no policy is crm_owner's).
alter table crm.customer_year_summary no force row level security;
alter table crm.customer_first_sale no force row level security;
update crm.customer_year_summary y set existing = true
  from crm.customer_first_sale f
 where f.tenant_id = y.tenant_id and f.customer_id = y.customer_id and f.first_month < make_date(y.year, 1, 1);
alter table crm.customer_year_summary force row level security;
alter table crm.customer_first_sale force row level security;
