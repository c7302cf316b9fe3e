-- Viewers read and never write (issue 14, item 4): crm_viewer may write no table, may read what
-- crm_unit reads (so a grant that forgets viewers fails here), is under the same read policies,
-- executes no function that writes, and reading a year's tiers writes nothing. Revoking a partner
-- in one unit (item 7) hides that unit from it and leaves its lists in the other units working.
begin;
select plan(23);

select ok(exists (select 1 from pg_roles where rolname = 'crm_viewer' and not rolcanlogin and not rolsuper and not rolbypassrls
                     and not rolcreaterole and not rolcreatedb),
          'crm_viewer: no login, no superuser, no BYPASSRLS');
select ok(pg_has_role('crm_app', 'crm_viewer', 'MEMBER'), 'the server''s login role may take on crm_viewer');
select ok(not pg_has_role('crm_viewer', 'crm_unit', 'MEMBER'), 'crm_viewer holds none of crm_unit''s rights by membership');

-- Nothing writable, table-wide or column by column, in any schema.
select is(array(select c.oid::regclass::text
                  from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and c.relkind in ('r', 'p', 'v', 'm', 'f')
                   and (has_table_privilege('crm_viewer', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
                        or has_any_column_privilege('crm_viewer', c.oid, 'INSERT, UPDATE'))
                 order by 1),
          '{}'::text[], 'crm_viewer can write no table (offenders listed)');
select is(array(select c.oid::regclass::text
                  from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and c.relkind = 'S'
                   and case when c.relkind = 'S' then has_sequence_privilege('crm_viewer', c.oid, 'USAGE, UPDATE') end
                 order by 1),
          '{}'::text[], 'nor use a sequence');

-- Whatever crm_unit reads, crm_viewer reads: tables, views and single columns.
select is(array(select format('%s.%I', c.oid::regclass, a.attname)
                  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and c.relkind in ('r', 'p', 'v', 'm', 'f')
                   and a.attnum > 0 and not a.attisdropped
                   and has_column_privilege('crm_unit', c.oid, a.attnum, 'SELECT')
                   and not has_column_privilege('crm_viewer', c.oid, a.attnum, 'SELECT')
                 order by 1),
          '{}'::text[], 'every column crm_unit may read, crm_viewer may read (offenders listed)');
select is(array(select format('%I on %I.%I', p.policyname, p.schemaname, p.tablename) from pg_policies p
                 where p.cmd in ('SELECT', 'ALL') and 'crm_unit' = any (p.roles) and not 'crm_viewer' = any (p.roles)
                 order by 1),
          '{}'::text[], 'every read policy of crm_unit applies to crm_viewer');
select is(array(select format('%I on %I.%I', p.policyname, p.schemaname, p.tablename) from pg_policies p
                 where p.cmd not in ('SELECT', 'ALL') and 'crm_viewer' = any (p.roles)
                 order by 1),
          '{}'::text[], 'no write policy applies to crm_viewer');

-- No function it may execute writes (by its text: INSERT, UPDATE, DELETE, TRUNCATE, or PERFORM of
-- another function), security definer or not; the tier refresh is not among them.
select is(array(select p.oid::regprocedure::text
                  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                   and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
                   and p.prokind in ('f', 'p') and has_function_privilege('crm_viewer', p.oid, 'EXECUTE')
                   and regexp_replace(pg_get_functiondef(p.oid), '--[^\n]*', '', 'g')
                       ~* '\m(insert\s+into|update\s+[a-z_.]+\s+(as\s+\w+\s+)?set|delete\s+from|truncate|perform)\M'
                 order by 1),
          '{}'::text[], 'crm_viewer executes no function that writes (offenders listed)');
select ok(not has_function_privilege('crm_viewer', 'crm.refresh_customer_tiers(int)', 'EXECUTE'), 'a viewer cannot refresh tiers');

-- Fixture: unit V with two customers, 2025 sales; unit W with one customer.
insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000007a1', 'vw-v', 'V'), ('00000000-0000-0000-0000-0000000007a2', 'vw-w', 'W');
insert into crm.customer (tenant_id, name) values
    ('00000000-0000-0000-0000-0000000007a1', 'Vera'), ('00000000-0000-0000-0000-0000000007a1', 'Victor'),
    ('00000000-0000-0000-0000-0000000007a2', 'Walter');
insert into crm.customer_year_summary (tenant_id, customer_id, year, revenue, cost, orders, units)
select c.tenant_id, c.id, 2040, 100, case c.name when 'Vera' then 20 else 70 end, 1, 1
  from crm.customer c where c.tenant_id = '00000000-0000-0000-0000-0000000007a1';

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000007a1', true);
create temporary table unit_sees on commit drop as select id, name from crm.customer;
reset role;
grant select on unit_sees to crm_viewer;
set local role crm_viewer;
select is(array(select name from crm.customer order by id), array(select name from unit_sees order by id),
          'a viewer reads the same customers as a unit user of its unit');
select is(array(select name from crm.customer order by name), array['Vera', 'Victor'], 'and only its unit''s');
select throws_ok($$insert into crm.customer (tenant_id, name) values ('00000000-0000-0000-0000-0000000007a1', 'planted')$$,
    '42501', null, 'a viewer cannot add a customer');
select throws_ok($$update crm.customer set name = 'changed'$$, '42501', null, 'nor change one');
select throws_ok($$select crm.create_customer('{"name": "X"}')$$, '42501', null, 'nor call a write function');

-- Tiers of a year never refreshed: computed live, nothing written.
select is((select count(*)::int from crm.customer_tier_snapshot), 0, 'no snapshot for the unit yet');
select is(array(select r.tier || ':' || c.name from crm.customer_tiers_page(2041, null, null, null, 10) r
                  join crm.customer c on c.id = r.customer_id order by r.basis_gross_margin desc, r.customer_id desc),
          array['A:Vera', 'B:Victor'], 'a viewer reads a year without a snapshot, computed live (Vera''s 80 of 110 is A)');
reset role;
select is((select count(*)::int from crm.customer_tier_snapshot where tenant_id = '00000000-0000-0000-0000-0000000007a1'), 0,
          'reading the tiers wrote no snapshot row');

-- Refreshing is for managers and directors (and the server's own scheduled job: no principal).
set local role crm_unit;
select set_config('crm.principal_id', '00000000-0000-0000-0000-0000000007ee', true);
select set_config('crm.app_role', 'agent', true);
select throws_ok($$select crm.refresh_customer_tiers(2041)$$, 'CR403', null, 'an agent cannot refresh tiers');
select set_config('crm.app_role', 'manager', true);
select is(crm.refresh_customer_tiers(2041), 2, 'a manager can');
select set_config('crm.principal_id', '', true);
select set_config('crm.app_role', '', true);
reset role;

-- Item 7: partner P granted by V and W, with a deal, a lead offer and a credited sale in each.
insert into crm.partner (id, slug, name) values ('00000000-0000-0000-0000-0000000007f1', 'vw-p', 'P');
insert into crm.partner_grant (tenant_id, partner_id, may_receive_leads) values
    ('00000000-0000-0000-0000-0000000007a1', '00000000-0000-0000-0000-0000000007f1', true),
    ('00000000-0000-0000-0000-0000000007a2', '00000000-0000-0000-0000-0000000007f1', true);
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    ('00000000-0000-0000-0000-0000000007a1', 'V1', 'V product', 10, 4), ('00000000-0000-0000-0000-0000000007a2', 'W1', 'W product', 10, 4);
insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email)
select t, '00000000-0000-0000-0000-0000000007f1', 'Prospect of ' || t, 'p@' || t || '.example'
  from unnest(array['00000000-0000-0000-0000-0000000007a1', '00000000-0000-0000-0000-0000000007a2']::uuid[]) t;
insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
select d.tenant_id, d.id, p.id, 1 from crm.deal d join crm.product p on p.tenant_id = d.tenant_id
 where d.partner_id = '00000000-0000-0000-0000-0000000007f1';
insert into crm.lead (tenant_id, name, email, status, assigned_partner_id, assigned_at)
select t, 'Lead of ' || t, 'l@' || t || '.example', 'assigned', '00000000-0000-0000-0000-0000000007f1', now()
  from unnest(array['00000000-0000-0000-0000-0000000007a1', '00000000-0000-0000-0000-0000000007a2']::uuid[]) t;
insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
select l.tenant_id, l.id, l.assigned_partner_id, now() + interval '1 day' from crm.lead l
 where l.assigned_partner_id = '00000000-0000-0000-0000-0000000007f1';
insert into crm.sales_day_summary (tenant_id, day, partner_id, orders, units, revenue, cost)
select t, '2026-05-04', '00000000-0000-0000-0000-0000000007f1', 1, 2, 20, 8
  from unnest(array['00000000-0000-0000-0000-0000000007a1', '00000000-0000-0000-0000-0000000007a2']::uuid[]) t;

-- W revokes P.
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000007a2', true);
select crm.revoke_partner('vw-p') is not null as revoked;
reset role;

set local role crm_partner;
select set_config('crm.tenant_id', '', true);
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000007f1', true);
-- deals.list and partner_leads.list, as the server runs them.
select is(array(select crm.deal_json(d.tenant_id, d.id)::jsonb->>'unit' from crm.deal d
                 where (crm.current_tenant() is null or d.tenant_id = crm.current_tenant()) order by d.id desc),
          array['vw-v'], 'deals.list still works and shows only the deals of the unit that still grants the partner');
select is(array(select crm.partner_lead_json(l.tenant_id, l.id)::jsonb->>'unit' from crm.lead l order by l.id),
          array['vw-v'], 'partner_leads.list still works and shows only that unit''s leads');
select is(array(select x from (
                  select 'deal' as x from crm.deal where tenant_id = '00000000-0000-0000-0000-0000000007a2'
                  union all select 'deal product' from crm.deal_product where tenant_id = '00000000-0000-0000-0000-0000000007a2'
                  union all select 'lead' from crm.lead where tenant_id = '00000000-0000-0000-0000-0000000007a2'
                  union all select 'lead offer' from crm.lead_offer where tenant_id = '00000000-0000-0000-0000-0000000007a2'
                  union all select 'sale' from crm.sales_day_summary where tenant_id = '00000000-0000-0000-0000-0000000007a2'
                  union all select 'scorecard' from report.partner_own_scorecard where tenant = 'vw-w'
                  union all select 'product' from crm.product where tenant_id = '00000000-0000-0000-0000-0000000007a2') s),
          '{}'::text[], 'nothing of the revoking unit is left to read: deals, their products, leads, offers, sales, scorecard, products');

select * from finish();
rollback;
