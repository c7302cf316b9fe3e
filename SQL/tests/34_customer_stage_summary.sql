-- The kept lifecycle and capture summary (crm.customer_stage_summary, 0058) stays what the
-- customers say through every path that writes them: customers made, a stage and the contact
-- details changed, an import (COPY into the staging table, crm.import_customers), a merge, an
-- erasure, a delete, and the fold of the delta rows; report.lifecycle_funnel and report.data_capture
-- give what their former texts computed from every customer, to the character.
begin;
select plan(11);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f6', 'stage-keep', 'Stage keep');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f6', true), set_config('crm.app_role', 'manager', true);

-- The reports as computed from the customers (the texts before 0058).
create function pg_temp.from_customers() returns setof text language sql as $$
    select ('funnel', t.slug, s.stage, s.position, coalesce(n.customers, 0),
            round(coalesce(n.customers, 0)::numeric / nullif(sum(n.customers) over (partition by t.slug), 0), 4))::text
      from crm.tenant t
      cross join (values ('prospect', 1), ('acquired', 2), ('active', 3), ('retained', 4), ('loyal', 5), ('lapsed', 6)) as s(stage, position)
      left join (select c.tenant_id, c.lifecycle_stage, count(*) as customers from crm.customer c
                  where c.merged_into is null group by 1, 2) n on n.tenant_id = t.id and n.lifecycle_stage = s.stage
    union all
    select ('capture', t.slug, count(*),
            round(count(*) filter (where crm.customer_capture_phase(c) >= 1)::numeric / count(*), 4),
            round(count(*) filter (where crm.customer_capture_phase(c) >= 2)::numeric / count(*), 4),
            round(count(*) filter (where crm.customer_capture_phase(c) >= 3)::numeric / count(*), 4))::text
      from crm.customer c join crm.tenant t on t.id = c.tenant_id
     where c.merged_into is null
     group by t.slug
$$;
create function pg_temp.from_reports() returns setof text language sql as $$
    select ('funnel', r.tenant, r.stage, r.position, r.customers, r.share)::text from report.lifecycle_funnel r
    union all
    select ('capture', r.tenant, r.customers, r.phase_1_rate, r.phase_2_rate, r.phase_3_rate)::text from report.data_capture r
$$;
create function pg_temp.differences() returns bigint language sql as $$
    select count(*) from ((select * from pg_temp.from_customers() except all select * from pg_temp.from_reports())
                          union all
                          (select * from pg_temp.from_reports() except all select * from pg_temp.from_customers())) x
$$;
create function pg_temp.id_of(p_name text) returns bigint language sql as $$ select id from crm.customer where name = p_name $$;

-- No customer yet: six stages of none, no capture row.
select is((select string_agg(customers::text || coalesce(share::text, '-'), ',' order by position) from report.lifecycle_funnel),
          '0-,0-,0-,0-,0-,0-', 'no customer: every stage empty, no share');
select is(pg_temp.differences(), 0::bigint, 'no customer: the reports are what the customers say');

-- Ann (phase 3, loyal), Bo (phase 1, active), Cy (phase 0, active).
select crm.create_customer('{"name": "Ann", "emails": ["ann@s.example"], "phones": ["030 1000001"], "address": {"city": "Berlin"}, "preferences": {"seat": "aisle"}, "lifecycle_stage": "loyal"}');
select crm.create_customer('{"name": "Bo", "emails": ["bo@s.example"], "lifecycle_stage": "active"}');
select crm.create_customer('{"name": "Cy", "phones": ["030 1000003"], "lifecycle_stage": "active"}');
select is((select (customers, phase_1_rate, phase_2_rate, phase_3_rate)::text from report.data_capture), '(3,0.6667,0.3333,0.3333)',
          'three customers: two with an email, one with everything');
select is((select (customers, share)::text from report.lifecycle_funnel where stage = 'active'), '(2,0.6667)', 'two of three active');

-- Bo moves to retained and gives his phone and address (phase 2).
select crm.update_customer(pg_temp.id_of('Bo'), null, '{"lifecycle_stage": "retained", "phones": ["030 1000002"], "address": {"city": "Hamburg"}}');
select is((select (phase_2_rate)::text from report.data_capture) || (select customers from report.lifecycle_funnel where stage = 'retained'),
          '0.66671', 'Bo retained, in phase 2');
select is(pg_temp.differences(), 0::bigint, 'after customers made and changed: the reports are what the customers say');

-- An import: Dee (new, phase 1, acquired) and a row of Ann's email (linked to her, no new customer).
create temp table import_stage (line int primary key, name text, email text, phone text, company text, branch text, segment text,
    street text, city text, postcode text, country text, lifecycle_stage text, reason text, linked boolean not null default false);
copy import_stage (line, name, email, lifecycle_stage) from stdin;
2	Dee	dee@s.example	acquired
3	Ann Again	ann@s.example	\N
\.
select crm.import_customers();
select is((select customers from report.lifecycle_funnel where stage = 'acquired') || '/' || (select customers from report.data_capture),
          '1/4', 'imported: Dee acquired, four customers');

-- Cy merges into Bo; Dee is erased (her email and name go: phase 0).
select crm.merge_customers(pg_temp.id_of('Bo'), pg_temp.id_of('Cy'));
select crm.erase_customer(pg_temp.id_of('Dee'), true);
select is((select (customers, phase_1_rate)::text from report.data_capture), '(3,0.6667)', 'after a merge and an erasure: three customers, two with an email');
select is(pg_temp.differences(), 0::bigint, 'after an import, a merge and an erasure: the reports are what the customers say');

-- A customer deleted (the superuser: no unit may), then the fold keeps every figure.
reset role;
insert into crm.customer (tenant_id, name, lifecycle_stage) values ('00000000-0000-0000-0000-0000000000f6', 'Eve', 'lapsed');
delete from crm.customer where tenant_id = '00000000-0000-0000-0000-0000000000f6' and name = 'Eve';
set local role crm_unit;
select is(pg_temp.differences(), 0::bigint, 'after an insert and a delete: the reports are what the customers say');
select crm.compact_sales_rollups();
select is(pg_temp.differences() + (select count(*) from (select 1 from crm.customer_stage_summary group by lifecycle_stage, capture_phase having count(*) > 1) x),
          0::bigint, 'folded into one row per stage and phase, with the same figures');

select * from finish();
rollback;
