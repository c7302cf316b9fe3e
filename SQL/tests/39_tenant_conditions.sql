-- The caller's unit in a statement's own conditions is `(select crm.current_tenant())`, an init
-- plan, never the bare call: beside a policy with an OR (shared customers: customers, orders,
-- contacts, cases and 40 more tables), a condition with a function that is not leakproof may not
-- be used before the policy, so `tenant_id = crm.current_tenant() and id = $1` became a walk of
-- the whole primary key, every unit's rows, filtered (71-145 ms for one customer at 1,000,000
-- customers; 0.1 ms as an init plan, which is an index condition). A catalog walk over every
-- function and view the server and DBAs call, and the plan itself for one such statement.
begin;
select plan(4);

select is(array(select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where n.nspname in ('crm', 'api', 'report') and p.prokind = 'f'
                   and p.prosrc ~ '[^:](=|<>) *crm\.current_tenant\(\)'
                 order by 1),
          '{}'::text[], 'no function compares with the bare crm.current_tenant() (assignments to a variable are fine)');

select is(array(select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname in ('crm', 'api', 'report') and c.relkind in ('v', 'm')
                   and pg_get_viewdef(c.oid) ~ '(=|<>) *crm\.current_tenant\(\)'
                 order by 1),
          '{}'::text[], 'no view compares with the bare crm.current_tenant()');

-- The plan: one unit's customer by id, as the unit's role, reaches the primary key with the unit
-- as an index condition (not only the id).
insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000039a1', 'cond-a', 'A');
insert into crm.customer (tenant_id, name) select '00000000-0000-0000-0000-0000000039a1', 'Cond ' || g from generate_series(1, 50) g;
analyze crm.customer;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000039a1', true), set_config('role', 'crm_unit', true);
set local enable_seqscan = off;
create temporary table plan_text (line text) on commit drop;
do $$
declare r record;
begin
    for r in execute 'explain select * from crm.customer c where c.tenant_id = (select crm.current_tenant()) and c.id = 1' loop
        insert into plan_text values (r."QUERY PLAN");
    end loop;
end $$;
select ok(exists (select 1 from plan_text where line ~ 'Index Cond: \(\(tenant_id = \$[0-9]+\) AND \(id = 1\)\)'),
          'the unit as an init plan is an index condition beside the id');
delete from plan_text;
do $$
declare r record;
begin
    for r in execute 'explain select * from crm.customer c where c.tenant_id = crm.current_tenant() and c.id = 1' loop
        insert into plan_text values (r."QUERY PLAN");
    end loop;
end $$;
select ok(not exists (select 1 from plan_text where line ~ 'Index Cond: \(\(tenant_id'),
          'the bare call is not (why the first two tests hold the code to the init plan)');

select * from finish();
rollback;
