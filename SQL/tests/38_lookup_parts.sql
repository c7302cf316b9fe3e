-- customers.lookup's parts (crm.lookup_parts, 35_customer_merge_lookup.sql): one SQL function
-- inlined into each reader's statement. Read as crm_lookup without a unit (its policies name the
-- caller's): no read carries a gating filter comparing two names of the unit, and the 12 months'
-- bound is part of the rollup's index condition. Read with a unit (the shared reader's custom plan):
-- every read starts from the unit's index entries. And the 12 months by hand: this month and the
-- one 11 months ago count, the one 12 months ago does not.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000038a1', 'parts-a', 'Unit A');
insert into crm.customer (tenant_id, name, phones) values ('00000000-0000-0000-0000-0000000038a1', 'Ida', '{+4930380001}');
insert into crm.customer_month_summary (tenant_id, customer_id, month, revenue, cost, orders, units)
select c.tenant_id, c.id, m.month, m.revenue, 0, 1, 1
  from crm.customer c,
       (values (date_trunc('month', now())::date, 10.00), (date_trunc('month', now() - interval '11 months')::date, 5.00),
               (date_trunc('month', now() - interval '12 months')::date, 7.00)) m(month, revenue)
 where c.name = 'Ida';

create function pg_temp.plan(p_sql text) returns text language plpgsql as $$
declare
    r record;
    t text := '';
begin
    for r in execute 'explain (costs off) ' || p_sql loop
        t := t || r."QUERY PLAN" || E'\n';
    end loop;
    return t;
end $$;

-- (A nearly empty database would rather scan the tables; the plans asked about are the indexes'.)
set local enable_seqscan = off;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000038a1', true);
create function pg_temp.own_plan() returns text language sql as $f$
    select pg_temp.plan($$select v from (select k.customer_id from crm.customer_contact k
                                          where k.kind = 'phone' and k.value = '+4930380001' order by k.customer_id limit 1) k,
                                        lateral crm.lookup_parts(null, k.customer_id) v$$) $f$;
set local role crm_lookup;
select ok(pg_temp.own_plan() not like '%Function Scan%', 'the parts are inlined into the own-unit reader''s statement');
select ok(pg_temp.own_plan() not like '%One-Time Filter%', 'no read carries a gating filter (the unit named once, by the policy)');
-- (At 1,000,000 customers, compared as a timestamp it stayed a filter on every month of the customer.)
select ok(pg_temp.own_plan() ~ 'customer_month_summary[^\n]*\n[^\n]*Index Cond: [^\n]*month >= \(date_trunc[^\n]*\)::date\)',
          'the 12 months'' bound is a date, in the rollup''s index condition');
select is((select (crm.lookup_own_customer('030 380001')).sales_last_12_months), '15.00',
          'sales of the last 12 months: 10.00 this month and 5.00 eleven months ago, not 7.00 twelve months ago');
reset role;

-- With a unit, as a unit user: each read starts from the unit's index entries (no table scan),
-- and the parts are those of the own-unit reader.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000038a1', true);
create function pg_temp.unit_plan() returns text language sql as $f$
    select pg_temp.plan(format('select v from crm.lookup_parts(%L, %s) v', '00000000-0000-0000-0000-0000000038a1',
                               (select id from crm.customer where name = 'Ida'))) $f$;
set local role crm_unit;
select ok(pg_temp.unit_plan() not like '%Function Scan%', 'with a unit: inlined');
select is((select count(distinct m[2])::int
             from regexp_matches(pg_temp.unit_plan(),
                    'Index (Only )?Scan using [a-z_]+ on (customer|sales_order|order_line|invoice|payment|customer_month_summary|interaction|quoted_price|service_case|task|customer_tier_snapshot) [^\n]*\n[^\n]*Index Cond: \(\(?tenant_id = ''00000000-0000-0000-0000-0000000038a1''::uuid', 'g') m),
          11, 'with a unit: the customer and the ten tables of its parts are each read from the unit''s index entries');
select ok(pg_temp.unit_plan() !~ 'IS NULL\) OR', 'with a unit: no "no unit given" branch left in the plan');
select is((select (v.customer->>'name', v.sales_last_12_months)::text
             from crm.lookup_parts('00000000-0000-0000-0000-0000000038a1', (select id from crm.customer where name = 'Ida')) v),
          '(Ida,15.00)', 'with a unit: Ida, 15.00');
select is((select count(*)::int from crm.lookup_parts('00000000-0000-0000-0000-0000000038a1', -1)), 0, 'no such customer: no row');

select * from finish();
rollback;
