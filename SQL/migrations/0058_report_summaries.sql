-- Reports read from kept summaries (issue "[3/7] Hot paths at the limit"), two of them here:
-- existing against new customers per month (at 1,000,000 customers report.existing_vs_new_monthly
-- grouped all 2.7M monthly rollup rows, 0.9-1.4 s whole, and the first page of
-- reports.existing_vs_new a year of them, ~0.5 s), and the lifecycle funnel and data capture rates
-- (reports.lifecycle_funnel counted every customer twice, ~0.45 s).
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

--   crm.customer_stage_summary: per unit, lifecycle stage and data capture phase
--     (crm.customer_capture_phase), the customers not merged into another, as delta rows (sum them):
--     every statement that writes crm.customer adds what it changed (its statement triggers,
--     SQL/repeatable/20_customer_stages.sql); folded by crm.compact_sales_rollups.
create sequence crm.customer_stage_summary_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.customer_stage_summary (
    tenant_id       uuid    not null,
    id              bigint  not null default crm.opaque_id(nextval('crm.customer_stage_summary_id_seq')),
    lifecycle_stage text    not null,
    capture_phase   int     not null,
    customers       int     not null default 0,
    primary key (tenant_id, id)
);
alter sequence crm.customer_stage_summary_id_seq owned by crm.customer_stage_summary.id;
comment on table crm.customer_stage_summary is 'Per unit, lifecycle stage and data capture phase, the customers not merged into another, as delta rows (sum them): added by crm.customer''s statement triggers (crm.customer_stage_statement), folded by crm.compact_sales_rollups; read by report.lifecycle_funnel and report.data_capture.';

grant select, insert, delete on crm.customer_stage_summary to crm_unit;
grant usage on sequence crm.customer_stage_summary_id_seq to crm_unit;
grant select on crm.customer_stage_summary to crm_reporter;
select crm.add_unit_policies('crm.customer_stage_summary', 'customer stage summary');
create policy "unit users fold their own customer stage summary" on crm.customer_stage_summary for delete to crm_unit
    using (tenant_id = (select crm.current_tenant()));

-- The capture phase as crm.customer_capture_phase (15_customer_sharing.sql) says it; that file is
-- applied after the migrations, so its rule is spelled out here once, for the fill.
alter table crm.customer no force row level security;
alter table crm.customer_stage_summary no force row level security;
insert into crm.customer_stage_summary (tenant_id, lifecycle_stage, capture_phase, customers)
select c.tenant_id, c.lifecycle_stage,
       case when cardinality(c.emails) = 0 then 0
            when c.address is null or cardinality(c.phones) = 0 then 1
            when c.preferences is null or c.preferences = '{}'::jsonb then 2
            else 3 end,
       count(*)
  from crm.customer c where c.merged_into is null
 group by 1, 2, 3;
alter table crm.customer force row level security;
alter table crm.customer_stage_summary force row level security;
