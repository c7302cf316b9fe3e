-- Existing against new customers per month read from a kept summary (issue "[3/7] Hot paths at the
-- limit": at 1,000,000 customers report.existing_vs_new_monthly grouped all 2.7M monthly rollup rows,
-- 0.9-1.4 s whole, and the first page of reports.existing_vs_new a year of them, ~0.5 s).
--   crm.existing_month_summary: per unit, month (UTC) and class (existing or new, the monthly
--     rollup's `existing`, 0053), the customers with a sale in the month (rollup rows with orders > 0),
--     their revenue and cost, as delta rows (sum them): every statement that changes the monthly rollup
--     (crm.customer_month_summary) adds what it changed (its statement triggers,
--     SQL/repeatable/23_existing_months.sql); the scheduled job folds them into one row per key
--     (crm.compact_sales_rollups).
set local role crm_owner;

create sequence crm.existing_month_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.existing_month_summary (
    tenant_id uuid    not null,
    id        bigint  not null default crm.opaque_id(nextval('crm.existing_month_summary_id_seq')),
    month     date    not null,
    existing  boolean not null,
    customers int     not null default 0,
    revenue   numeric not null default 0,
    cost      numeric not null default 0,
    primary key (tenant_id, id)
);
alter sequence crm.existing_month_summary_id_seq owned by crm.existing_month_summary.id;
create index existing_month_summary_month on crm.existing_month_summary (tenant_id, month, existing);
comment on table crm.existing_month_summary is 'Per unit, month (UTC) and class (existing or new: crm.customer_month_summary.existing), the customers with a sale in the month and their revenue and cost, as delta rows (sum them): added by the monthly rollup''s statement triggers (crm.existing_month_statement), folded by crm.compact_sales_rollups; read by report.existing_vs_new_monthly and reports.existing_vs_new.';

grant select, insert on crm.existing_month_summary to crm_unit;
grant usage on sequence crm.existing_month_summary_id_seq to crm_unit;
grant select on crm.existing_month_summary to crm_reporter;
select crm.add_unit_policies('crm.existing_month_summary', 'existing month summary');
create policy "unit users fold their own existing month summary" on crm.existing_month_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));
grant delete on crm.existing_month_summary to crm_unit;

-- The existing monthly rollup rows, with the force lifted for this transaction (no policy is crm_owner's).
alter table crm.customer_month_summary no force row level security;
alter table crm.existing_month_summary no force row level security;
insert into crm.existing_month_summary (tenant_id, month, existing, customers, revenue, cost)
select s.tenant_id, s.month, s.existing, count(*), sum(s.revenue), sum(s.cost)
  from crm.customer_month_summary s where s.orders > 0
 group by 1, 2, 3;
alter table crm.customer_month_summary force row level security;
alter table crm.existing_month_summary force row level security;
