-- The caller lookup's own-unit reader (0050, 35_customer_merge_lookup.sql): crm_lookup is no
-- superuser, owner or BYPASSRLS, may write nothing, reads no cost or margin, and its only policies
-- are the caller's unit's own rows, read-only; crm.lookup_own_customer (its one function) finds only
-- a customer of the caller's unit, under whatever unit the request names. Through it customers.lookup
-- answers as it did when every part was read under the caller's own policies (compared with
-- crm.lookup_shared_customer, which reads as the caller), finds a customer shared with the unit by
-- another one as the caller, and nothing of a unit that does not share; figures worked by hand.
begin;
select plan(26);

-- The role and what it may do.
select ok((select not rolcanlogin and not rolsuper and not rolbypassrls and not rolcreaterole and not rolcreatedb
             from pg_roles where rolname = 'crm_lookup'), 'crm_lookup: no login, no superuser, no BYPASSRLS');
select is(array(select format('%s %s', p.polrelid::regclass, p.polcmd) from pg_policy p
                 where 'crm_lookup'::regrole = any (p.polroles)
                   and (p.polcmd <> 'r' or not p.polpermissive
                        or pg_get_expr(p.polqual, p.polrelid) !~ '^\((tenant_id|id) = \( SELECT crm\.current_tenant\(\) AS current_tenant\)\)$')
                 order by 1),
          '{}'::text[], 'every policy of crm_lookup reads the caller''s own unit only (offenders listed)');
select is((select count(*)::int from pg_policy p where 'crm_lookup'::regrole = any (p.polroles)), 13,
          'thirteen of them: the twelve tables the lookup reads and the unit''s row');
select is(array(select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and c.relkind in ('r', 'p', 'v', 'm', 'f')
                   and (has_any_column_privilege('crm_lookup', c.oid, 'INSERT') or has_any_column_privilege('crm_lookup', c.oid, 'UPDATE')
                        or has_table_privilege('crm_lookup', c.oid, 'DELETE') or has_table_privilege('crm_lookup', c.oid, 'TRUNCATE'))
                 order by 1),
          '{}'::text[], 'crm_lookup may write no table (offenders listed)');
select is(array(select format('%s.%I', c.oid::regclass, a.attname)
                  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                   and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
                   and (a.attname like '%cost%' or a.attname like '%margin%')
                   and has_column_privilege('crm_lookup', c.oid, a.attnum, 'SELECT')
                 order by 1),
          '{}'::text[], 'crm_lookup reads no cost or margin column (offenders listed)');
select is(array(select p.oid::regprocedure::text from pg_proc p where p.proowner = 'crm_lookup'::regrole order by 1),
          '{crm.lookup_own_customer(text)}'::text[], 'crm_lookup owns one function, the own-unit reader');
select ok(not has_function_privilege('crm_partner', 'crm.lookup_own_customer(text)', 'EXECUTE')
          and not has_function_privilege('crm_reporter', 'crm.lookup_own_customer(text)', 'EXECUTE'),
          'partners and reporters cannot call it');

-- A: Ada (+4930310001, and +4930310004 that only A knows). B: Bea with Ada's first number, and Bo.
insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000031a1', 'lk-a', 'Unit A'), ('00000000-0000-0000-0000-0000000031b1', 'lk-b', 'Unit B'),
    ('00000000-0000-0000-0000-0000000031c1', 'lk-c', 'Unit C');
insert into crm.customer (tenant_id, name, phones) values
    ('00000000-0000-0000-0000-0000000031a1', 'Ada', '{+4930310001,+4930310004}'),
    ('00000000-0000-0000-0000-0000000031b1', 'Bea', '{+4930310001}'),
    ('00000000-0000-0000-0000-0000000031b1', 'Bo', '{+4930310002}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values ('00000000-0000-0000-0000-0000000031a1', 'LK', 'Lamp', 30, 12);
-- Ada: a confirmed order of 2 x 30.00 (cost 12 each), a quoted one of 1 x 15.00; invoiced 60.00,
-- paid 25.00 (balance 35.00); a call with a price quoted (45.00), an open case, a task, tier B.
insert into crm.sales_order (tenant_id, customer_id, status, ordered_at)
select c.tenant_id, c.id, s, now() - (d || ' days')::interval from crm.customer c, (values ('confirmed', 3), ('quoted', 1)) v(s, d)
 where c.name = 'Ada';
insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
select o.tenant_id, o.id, 1, p.id, case o.status when 'confirmed' then 2 else 1 end, case o.status when 'confirmed' then 30 else 15 end, 12
  from crm.sales_order o join crm.product p on p.tenant_id = o.tenant_id where o.tenant_id = '00000000-0000-0000-0000-0000000031a1';
insert into crm.invoice (tenant_id, order_id, customer_id, amount)
select tenant_id, id, customer_id, 60 from crm.sales_order where tenant_id = '00000000-0000-0000-0000-0000000031a1' and status = 'confirmed';
insert into crm.payment (tenant_id, customer_id, amount) select tenant_id, id, 25 from crm.customer where name = 'Ada';
insert into crm.interaction (tenant_id, customer_id, channel, direction, summary, cost)
select tenant_id, id, 'phone', 'inbound', 'lamp price', 3 from crm.customer where name = 'Ada';
insert into crm.quoted_price (tenant_id, interaction_id, customer_id, product_id, price)
select i.tenant_id, i.id, i.customer_id, p.id, 45 from crm.interaction i join crm.product p on p.tenant_id = i.tenant_id
 where i.tenant_id = '00000000-0000-0000-0000-0000000031a1';
insert into crm.service_case (tenant_id, customer_id, category, subject, sla_due_at)
select tenant_id, id, 'complaint', 'flickers', now() + interval '4 hours' from crm.customer where name = 'Ada';
insert into crm.task (tenant_id, kind, customer_id, due_at) select tenant_id, 'care_call', id, now() + interval '2 days' from crm.customer where name = 'Ada';
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select tenant_id, id, extract(year from now())::int, 'B', 36 from crm.customer where name = 'Ada';

create function pg_temp.as_unit(p_unit uuid, p_role text default 'crm_unit') returns void language plpgsql as $$
begin
    perform set_config('role', p_role, true);
    perform set_config('crm.tenant_id', p_unit::text, true);
end $$;
-- The answer as customers.lookup builds it from the parts of a row of crm.customer_lookup_parts.
create function pg_temp.answer(p crm.customer_lookup_parts) returns jsonb language sql as $$
    select jsonb_build_object('customer', p.customer, 'open_orders', p.open_orders, 'balance', p.balance,
                              'sales_last_12_months', p.sales_last_12_months, 'last_contacts', p.last_contacts,
                              'last_quotes', p.last_quotes, 'open_cases', p.open_cases, 'upcoming_tasks', p.upcoming_tasks,
                              'tier', p.tier, 'preferences', p.preferences) $$;

-- A looks up Ada: its own customer, through the own-unit reader, with A's figures.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031a1');
create temp table lk_a as select crm.lookup_customer('030 310001')::jsonb as j;
select is((select j->'customer'->>'name' from lk_a), 'Ada', 'A''s lookup of the number A and B both know: A''s Ada');
select is((select jsonb_build_array(j->'balance', j->'sales_last_12_months', j->'tier') from lk_a), '["35.00", "60.00", "B"]'::jsonb,
          'balance 60.00 - 25.00, a year''s sales 60.00 (the quote is no sale), tier B');
select is((select jsonb_path_query_array(j, '$.open_orders[*].total') from lk_a), '["15.00", "60.00"]'::jsonb,
          'both open orders, newest first: 1 x 15.00 and 2 x 30.00');
select is((select jsonb_build_array(j->'last_contacts'->0->>'summary', j->'last_quotes'->0->>'price', j->'open_cases'->0->>'subject',
                                    j->'upcoming_tasks'->0->>'kind') from lk_a),
          '["lamp price", "45.00", "flickers", "care_call"]'::jsonb, 'its call, the price quoted, the open case and the task');
select is((select j->'shared' from lk_a), crm.shared_customer_none()::jsonb, 'nothing shared with A: an empty shared part');
select is(pg_temp.answer(crm.lookup_own_customer('030 310001')), pg_temp.answer(crm.lookup_shared_customer('030 310001')),
          'the own-unit reader''s parts are those read under A''s own policies');
select is((select j - 'shared' from lk_a), pg_temp.answer(crm.lookup_shared_customer('030 310001')), 'and so is the answer');
select ok(crm.lookup_own_customer('+4930310002') is null and crm.lookup_customer('+4930310002') is null,
          'B''s Bo, not shared with A: A finds nobody');
reset role;

-- B looks up the same number: B's Bea, none of A's figures; A's own number: nobody.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031b1');
select is((select jsonb_build_array(j->'customer'->>'name', j->'balance', j->'open_orders', j->'last_quotes')
             from (select crm.lookup_customer('+4930310001')::jsonb as j) x),
          '["Bea", "0.00", [], []]'::jsonb, 'B''s lookup of the number: B''s Bea, nothing of Ada''s');
select ok(crm.lookup_own_customer('+4930310004') is null and crm.lookup_customer('+4930310004') is null,
          'Ada''s other number, not shared with B: B finds nobody');
reset role;

-- The reader names the request's unit: as C, nobody at all.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031c1');
select ok(crm.lookup_own_customer('+4930310001') is null and crm.lookup_customer('+4930310001') is null, 'C finds nobody');
reset role;

-- A shares Ada with B: B's lookup of Ada's own number finds A's Ada, read as B (shared from A);
-- of the number both know, B's Bea first, A's Ada in the shared part.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031a1');
select lives_ok($$select crm.share_customer((select id from crm.customer where name = 'Ada'), 'lk-b')$$, 'A shares Ada with B');
reset role;
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031b1');
select ok(crm.lookup_own_customer('+4930310004') is null, 'B''s own-unit reader still finds nobody with Ada''s number');
select is((select jsonb_build_array(j->'customer'->>'name', j->'customer'->>'shared_from', j->'balance', j->'tier')
             from (select crm.lookup_customer('+4930310004')::jsonb as j) x),
          '["Ada", "lk-a", "35.00", "B"]'::jsonb, 'B''s lookup finds A''s Ada, shared from A, with A''s figures');
select is((select jsonb_build_array(j->'customer'->>'name', jsonb_path_query_array(j, '$.shared.customers[*].unit'))
             from (select crm.lookup_customer('+4930310001')::jsonb as j) x),
          '["Bea", ["lk-a"]]'::jsonb, 'the number both know: B''s Bea, and A''s Ada in the shared part');
-- A viewer of B reads the same.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031b1', 'crm_viewer');
select is((select crm.lookup_customer('+4930310004')::jsonb->'customer'->>'name'), 'Ada', 'so does a viewer of B');
reset role;

-- A revokes: B finds nobody with Ada's number again, at the next statement.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031a1');
select lives_ok($$select crm.revoke_share((select id from crm.customer_share where tenant_id = '00000000-0000-0000-0000-0000000031a1'))$$,
                'A revokes the share');
reset role;
select pg_temp.as_unit('00000000-0000-0000-0000-0000000031b1');
select ok(crm.lookup_customer('+4930310004') is null, 'after the revocation B finds nobody with Ada''s number');
reset role;

-- A partner may not look anyone up.
select pg_temp.as_unit(null, 'crm_partner');
select throws_ok($$select crm.lookup_own_customer('+4930310001')$$, '42501', null, 'a partner cannot call the own-unit reader');
reset role;

select * from finish();
rollback;
