-- Least privilege (issue 14, items 2 and 3): partners read no cost or margin column anywhere, no
-- function of the project is executable by PUBLIC, every role can execute exactly what its
-- policies, views, column defaults, triggers and functions call, the conflict check answers only
-- about units that granted the caller, and a partner's deal names only products it may see.
-- The walks cover every schema but PostgreSQL's own, so a new table, view or function cannot
-- reopen what they close.
begin;
select plan(16);

-- Item 2: every column named like cost or margin, in every table and view of every schema.
select is(array(select format('%s.%I', c.oid::regclass, a.attname)
                  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                   and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
                   and (a.attname like '%cost%' or a.attname like '%margin%')
                   and has_column_privilege('crm_partner', c.oid, a.attnum, 'SELECT')
                 order by 1),
          '{}'::text[], 'crm_partner can read no cost or margin column (offenders listed)');
select ok((select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid
            where c.relnamespace in ('crm'::regnamespace, 'report'::regnamespace) and a.attnum > 0
              and (a.attname like '%cost%' or a.attname like '%margin%')) > 20,
          'the walk above saw the cost and margin columns (it is not vacuous)');

-- Item 3: no function is executable by PUBLIC (a NULL ACL is the default: PUBLIC may execute).
-- Extensions' functions (pg_trgm, pgTAP) are theirs.
select is(array(select p.oid::regprocedure::text
                  from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                 where n.nspname !~ '^pg_' and n.nspname <> 'information_schema'
                   and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
                   and (p.proacl is null
                        or exists (select 1 from aclexplode(p.proacl) x where x.grantee = 0 and x.privilege_type = 'EXECUTE'))
                 order by 1),
          '{}'::text[], 'no function of the project is executable by PUBLIC (offenders listed)');
select ok(exists (select 1 from pg_default_acl d where d.defaclrole = 'crm_owner'::regrole and d.defaclobjtype = 'f'
                     and d.defaclnamespace = 0
                     and not exists (select 1 from aclexplode(d.defaclacl) x where x.grantee = 0)),
          'functions crm_owner creates start without EXECUTE for PUBLIC (default privileges)');

-- Every role can execute what it runs without calling it by name: the functions named in the
-- policies that apply to it, in the security_invoker views it may read, in the defaults, generated
-- columns, checks and indexes of the tables it writes, in the triggers of those tables, and in the
-- bodies of the functions it may execute (a security-definer function's callees: its owner).
-- Without PUBLIC's EXECUTE a missing grant breaks a method; this lists them all.
with fn as (
    select p.oid, p.proname, n.nspname, p.prosecdef, p.proowner, p.prorettype = 'trigger'::regtype as is_trigger,
           regexp_replace(pg_get_functiondef(p.oid), '--[^\n]*', '', 'g') as body
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname !~ '^pg_' and n.nspname <> 'information_schema' and p.prokind in ('f', 'p')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')),
calls as (   -- F's body names G
    select distinct f.oid as caller, g.oid as callee
      from fn f cross join lateral regexp_matches(f.body, '([a-z_][a-z_0-9]*)\.([a-z_][a-z_0-9]*)\s*\(', 'g') m
      join fn g on g.nspname = m[1] and g.proname = m[2]
     where g.oid <> f.oid),
roles as (select unnest(array['crm_unit', 'crm_viewer', 'crm_partner', 'crm_admin', 'crm_reporter', 'crm_app',
                              'crm_search', 'crm_dealcheck']) as r) ,
needs as (
    -- policies: every role the policy applies to
    select rl.rolname::text as r, d.refobjid as g, 'policy ' || pol.polname || ' on ' || pol.polrelid::regclass as why
      from pg_policy pol join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pol.oid and d.refclassid = 'pg_proc'::regclass
      join pg_roles rl on rl.oid = any (pol.polroles)
    union
    -- views: whoever may select (security_invoker), else the owner
    select x.r, d.refobjid, 'view ' || v.oid::regclass
      from pg_rewrite rw join pg_class v on v.oid = rw.ev_class
      join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = rw.oid and d.refclassid = 'pg_proc'::regclass
      cross join lateral (select roles.r from roles
                           where coalesce('security_invoker=true' = any (v.reloptions), false)
                             and (has_table_privilege(roles.r, v.oid, 'SELECT') or has_any_column_privilege(roles.r, v.oid, 'SELECT'))
                          union select pg_get_userbyid(v.relowner)::text
                           where not coalesce('security_invoker=true' = any (v.reloptions), false)) x
     where v.relkind in ('v', 'm') and d.refobjid in (select oid from fn)
    union
    -- column defaults, generated columns and check constraints: whoever may insert or update
    select roles.r, d.refobjid, 'default/check on ' || t.oid::regclass
      from pg_depend d
      join pg_class t on t.oid = case d.classid when 'pg_attrdef'::regclass then (select adrelid from pg_attrdef where oid = d.objid)
                                                when 'pg_constraint'::regclass then (select conrelid from pg_constraint where oid = d.objid) end
      cross join roles
     where d.classid in ('pg_attrdef'::regclass, 'pg_constraint'::regclass) and d.refclassid = 'pg_proc'::regclass
       and d.refobjid in (select oid from fn)
       and (has_any_column_privilege(roles.r, t.oid, 'INSERT') or has_any_column_privilege(roles.r, t.oid, 'UPDATE'))
    union
    -- index expressions: whoever may insert or update
    select roles.r, d.refobjid, 'index ' || d.objid::regclass
      from pg_depend d join pg_index i on i.indexrelid = d.objid cross join roles
     where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_proc'::regclass and d.refobjid in (select oid from fn)
       and (has_any_column_privilege(roles.r, i.indrelid, 'INSERT') or has_any_column_privilege(roles.r, i.indrelid, 'UPDATE'))
    union
    -- trigger functions run as whoever writes the table; what they call must be executable by them
    select roles.r, c.callee, 'trigger ' || tg.tgname || ' on ' || tg.tgrelid::regclass || ' calls it'
      from pg_trigger tg join calls c on c.caller = tg.tgfoid cross join roles
     where not tg.tgisinternal
       and (has_any_column_privilege(roles.r, tg.tgrelid, 'INSERT') or has_any_column_privilege(roles.r, tg.tgrelid, 'UPDATE')
            or has_table_privilege(roles.r, tg.tgrelid, 'DELETE') or has_table_privilege(roles.r, tg.tgrelid, 'TRUNCATE'))
    union
    -- a function's callees: as the caller (security invoker) or as its owner (security definer)
    select case when f.prosecdef then pg_get_userbyid(f.proowner)::text else roles.r end, c.callee,
           'called by ' || f.oid::regprocedure
      from calls c join fn f on f.oid = c.caller cross join roles
     where not f.is_trigger and has_function_privilege(roles.r, f.oid, 'EXECUTE'))
select is(array(select format('%s needs %s (%s)', n.r, n.g::regprocedure, min(n.why))
                  from needs n
                 where n.r <> 'crm_owner' and not has_function_privilege(n.r, n.g, 'EXECUTE')
                 group by n.r, n.g order by 1),
          '{}'::text[], 'every role may execute the functions its policies, views, defaults, triggers and functions call');

-- The unit directory is a unit's (to name a unit to share with), not a partner's.
select ok(not has_function_privilege('crm_partner', 'crm.tenant_directory()', 'EXECUTE'), 'a partner cannot list every unit');

-- Fixture: units A, B, C; partner One granted by A (everything) and B (pumps only), Two by A.
insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000006a1', 'lp-a', 'A'), ('00000000-0000-0000-0000-0000000006a2', 'lp-b', 'B'),
    ('00000000-0000-0000-0000-0000000006a3', 'lp-c', 'C');
insert into crm.partner (id, slug, name) values
    ('00000000-0000-0000-0000-0000000006f1', 'lp-one', 'One'), ('00000000-0000-0000-0000-0000000006f2', 'lp-two', 'Two');
insert into crm.partner_grant (tenant_id, partner_id, product_groups, commission_pct) values
    ('00000000-0000-0000-0000-0000000006a1', '00000000-0000-0000-0000-0000000006f1', null, 12.5),
    ('00000000-0000-0000-0000-0000000006a2', '00000000-0000-0000-0000-0000000006f1', '{pumps}', 0),
    ('00000000-0000-0000-0000-0000000006a1', '00000000-0000-0000-0000-0000000006f2', null, 0);
insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost) values
    ('00000000-0000-0000-0000-0000000006a1', 'LA1', 'A skimmer', 'skimmers', 10, 4),
    ('00000000-0000-0000-0000-0000000006a2', 'LB1', 'B pump', 'pumps', 10, 4),
    ('00000000-0000-0000-0000-0000000006a2', 'LB2', 'B chemical', 'chemicals', 10, 4);
-- Two registered a prospect for A's skimmer.
insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email) values
    ('00000000-0000-0000-0000-0000000006a1', '00000000-0000-0000-0000-0000000006f2', 'Prospect', 'p@prospect.example');
insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
select d.tenant_id, d.id, p.id, 1 from crm.deal d join crm.product p on p.tenant_id = d.tenant_id and p.sku = 'LA1'
 where d.prospect_email = 'p@prospect.example';
-- A sale of 3 units for 30 at a cost of 12, credited to One by A.
insert into crm.sales_day_summary (tenant_id, day, partner_id, orders, units, revenue, cost) values
    ('00000000-0000-0000-0000-0000000006a1', '2026-03-02', '00000000-0000-0000-0000-0000000006f1', 1, 3, 30, 12);

select set_config('lp.deal', (select id::text from crm.deal where prospect_email = 'p@prospect.example'), true);
select set_config('lp.la1', (select id::text from crm.product where sku = 'LA1'), true);
select set_config('lp.lb1', (select id::text from crm.product where sku = 'LB1'), true);
select set_config('lp.lb2', (select id::text from crm.product where sku = 'LB2'), true);

set local role crm_partner;
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000006f1', true);

-- The conflict check (BYPASSRLS) answers for the calling partner and a unit that granted it only.
select is(crm.find_deal_conflict('00000000-0000-0000-0000-0000000006a1', '00000000-0000-0000-0000-0000000006f1', 0,
                                 'p@prospect.example', null, null, array[current_setting('lp.la1')::bigint]),
          current_setting('lp.deal')::bigint, 'the conflict check still finds another partner''s deal in a granting unit');
select throws_ok($$select crm.find_deal_conflict('00000000-0000-0000-0000-0000000006a3', '00000000-0000-0000-0000-0000000006f1', 0,
                                                 'p@prospect.example', null, null, '{1}')$$,
    'CR403', null, 'the conflict check refuses a unit that did not grant the caller');
select throws_ok($$select crm.find_deal_conflict('00000000-0000-0000-0000-0000000006a1', '00000000-0000-0000-0000-0000000006f2', 0,
                                                 'p@prospect.example', null, null, '{1}')$$,
    'CR403', null, 'the conflict check refuses to answer in another partner''s name');

-- A deal's products: only those the partner may see (B granted it pumps, not chemicals).
insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email) values
    ('00000000-0000-0000-0000-0000000006a2', '00000000-0000-0000-0000-0000000006f1', 'Pool owner', 'o@pool.example');
select lives_ok($$insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
                  select d.tenant_id, d.id, current_setting('lp.lb1')::bigint, 1 from crm.deal d where d.prospect_email = 'o@pool.example'$$,
    'a partner adds a product it may see to its deal');
select throws_ok($$insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
                   select d.tenant_id, d.id, current_setting('lp.lb2')::bigint, 1 from crm.deal d where d.prospect_email = 'o@pool.example'$$,
    '42501', null, 'but not a product of a group it was not granted');

-- The partner's scorecard: orders, units and revenue, no margin; the units' view is not its.
select throws_ok($$select count(*) from report.partner_scorecard$$, '42501', null, 'a partner cannot read the units'' scorecard (it has margin)');
select throws_ok($$select sum(cost) from crm.sales_day_summary$$, '42501', null, 'nor the cost of the sales credited to it');
select is((select row(orders_credited, units_credited, revenue_credited, commission_credited)::text from report.partner_own_scorecard
            where tenant = 'lp-a' and month = '2026-03-01'),
          row(1, 3.000, 30.00, 3.75)::text, 'its own scorecard: orders, units, revenue and commission (12.5% of 30) credited');
select is(array(select column_name::text from information_schema.columns
                 where table_schema = 'report' and table_name = 'partner_own_scorecard'
                   and (column_name like '%cost%' or column_name like '%margin%')),
          '{}'::text[], 'its scorecard has no cost or margin column');
reset role;

-- The unit still sees the margin its partners earned it.
set local role crm_unit;
select set_config('crm.partner_id', '', true);
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000006a1', true);
select is((select gross_margin_credited from report.partner_scorecard where partner = 'lp-one' and month = '2026-03-01'),
          18.00::numeric, 'the unit''s scorecard keeps the margin credited (30 - 12)');

select * from finish();
rollback;
