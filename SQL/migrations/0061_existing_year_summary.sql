-- Existing against new customers per year from a kept summary (issue "[3/7] Hot paths at the
-- limit"): at 1,000,000 customers report.existing_vs_new_yearly grouped all 1.7M yearly rollup rows
-- (0.8-1.1 s) for its three rows. As crm.existing_month_summary (0058) does for months:
--   crm.existing_year_summary: per unit, calendar year and class (existing or new, the yearly
--     rollup's `existing`, 0052), the customers with a sale in the year (rollup rows with
--     orders > 0), their revenue and cost, as delta rows (sum them): every statement that changes
--     the yearly rollup (crm.customer_year_summary) adds what it changed (its statement triggers,
--     SQL/repeatable/23_existing_years.sql); folded into one row per key by crm.fold_rollup_deltas.
set local role crm_owner;

create sequence crm.existing_year_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.existing_year_summary (
    tenant_id uuid    not null,
    id        bigint  not null default crm.opaque_id(nextval('crm.existing_year_summary_id_seq')),
    year      int     not null,
    existing  boolean not null,
    customers int     not null default 0,
    revenue   numeric not null default 0,
    cost      numeric not null default 0,
    primary key (tenant_id, id)
);
alter sequence crm.existing_year_summary_id_seq owned by crm.existing_year_summary.id;
create index existing_year_summary_year on crm.existing_year_summary (tenant_id, year, existing);
comment on table crm.existing_year_summary is 'Per unit, calendar year and class (existing or new: crm.customer_year_summary.existing), the customers with a sale in the year and their revenue and cost, as delta rows (sum them): added by the yearly rollup''s statement triggers (crm.existing_year_statement), folded by crm.fold_rollup_deltas; read by report.existing_vs_new_yearly.';

grant select, insert, delete on crm.existing_year_summary to crm_unit;
grant usage on sequence crm.existing_year_summary_id_seq to crm_unit;
grant select on crm.existing_year_summary to crm_reporter;
select crm.add_unit_policies('crm.existing_year_summary', 'existing year summary');
create policy "unit users fold their own existing year summary" on crm.existing_year_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

-- The existing yearly rollup rows, with the force lifted for this transaction (no policy is crm_owner's).
alter table crm.customer_year_summary no force row level security;
alter table crm.existing_year_summary no force row level security;
insert into crm.existing_year_summary (tenant_id, year, existing, customers, revenue, cost)
select y.tenant_id, y.year, y.existing, count(*), sum(y.revenue), sum(y.cost)
  from crm.customer_year_summary y where y.orders > 0
 group by 1, 2, 3;
alter table crm.customer_year_summary force row level security;
alter table crm.existing_year_summary force row level security;
