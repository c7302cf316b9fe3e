-- Lean shared-read policies (0037, issue 16; 0049). Sharing keeps its meaning on every table that
-- has a shared-read policy (customers, lifecycle history, contact details, contacts, orders, order
-- lines, and since 0049 order history, invoices, payments, the sales rollups, tiers, quoted prices,
-- cases and their history, tasks, survey answers and calls): a unit reads the rows of the
-- customers shared with it, one by one or all of a unit, never writes them, never reads them after
-- revocation, never reads anything of a customer that is not shared. And a catalog walk, so that no
-- policy calls a function per row again: every function a policy depends on takes no argument
-- and appears only as an init plan, `(select crm.f())`; crm.is_shared_customer in particular.
-- customers.lookup and customers.get answer the customer as crm.customer_json gives it.
begin;
select plan(56);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000010a1', 'lean-a', 'A'), ('00000000-0000-0000-0000-0000000010b1', 'lean-b', 'B'),
    ('00000000-0000-0000-0000-0000000010c1', 'lean-c', 'C');
-- A: Guest One (shared with B one by one) and Guest Two (never shared); C: Guest Three (C shares all).
insert into crm.customer (tenant_id, name, phones, emails) values
    ('00000000-0000-0000-0000-0000000010a1', 'Guest One', '{+4930100001}', '{one@lean.example}'),
    ('00000000-0000-0000-0000-0000000010a1', 'Guest Two', '{+4930100002}', '{two@lean.example}'),
    ('00000000-0000-0000-0000-0000000010c1', 'Guest Three', '{+4930100003}', '{three@lean.example}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost)
select t, 'LEAN-1', 'Lean product', 10, 5 from unnest('{00000000-0000-0000-0000-0000000010a1,00000000-0000-0000-0000-0000000010c1}'::uuid[]) t;
insert into crm.sales_order (tenant_id, customer_id, status) select c.tenant_id, c.id, 'confirmed' from crm.customer c where c.name like 'Guest %';
insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
select o.tenant_id, o.id, 1, p.id, 1, 10, 5
  from crm.sales_order o join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
  join crm.product p on p.tenant_id = o.tenant_id and p.sku = 'LEAN-1' where c.name like 'Guest %';
insert into crm.interaction (tenant_id, customer_id, channel, direction, summary)
select c.tenant_id, c.id, 'phone', 'inbound', 'call of ' || c.name from crm.customer c where c.name like 'Guest %';
insert into crm.customer_lifecycle_history (tenant_id, customer_id, stage)
select c.tenant_id, c.id, 'acquired' from crm.customer c where c.name like 'Guest %';
insert into crm.service_case (tenant_id, customer_id, category, subject, sla_due_at)
select c.tenant_id, c.id, 'question', 'case of ' || c.name, now() + interval '1 day' from crm.customer c where c.name like 'Guest %';

-- The guests and their orders, read as the superuser: a plain list the policies do not filter.
create temp table lean_guest as select tenant_id, id, name from crm.customer where name like 'Guest %';
create temp table lean_order as
select o.tenant_id, o.id as order_id, g.name from crm.sales_order o join lean_guest g on g.tenant_id = o.tenant_id and g.id = o.customer_id;
-- The rows of each table that belong to which guest, as the caller sees them (security_invoker:
-- the caller's policies apply, not the view owner's).
create temp view lean_seen with (security_invoker = true) as
select 'customer' as tab, g.name from crm.customer c join lean_guest g on g.tenant_id = c.tenant_id and g.id = c.id
union all select 'customer_contact', g.name from crm.customer_contact k join lean_guest g on g.tenant_id = k.tenant_id and g.id = k.customer_id
union all select 'sales_order', g.name from crm.sales_order o join lean_guest g on g.tenant_id = o.tenant_id and g.id = o.customer_id
union all select 'order_line', g.name from crm.order_line l join lean_order g on g.tenant_id = l.tenant_id and g.order_id = l.order_id
union all select 'interaction', g.name from crm.interaction i join lean_guest g on g.tenant_id = i.tenant_id and g.id = i.customer_id
union all select 'customer_lifecycle_history', g.name from crm.customer_lifecycle_history h
    join lean_guest g on g.tenant_id = h.tenant_id and g.id = h.customer_id
union all select 'service_case', g.name from crm.service_case k join lean_guest g on g.tenant_id = k.tenant_id and g.id = k.customer_id;
-- Everything else that hangs off a guest (0049), one row each (the rollups: the order triggers).
insert into crm.order_status_history (tenant_id, order_id, status) select tenant_id, order_id, 'confirmed' from lean_order;
insert into crm.invoice (tenant_id, order_id, customer_id, amount)
select o.tenant_id, o.order_id, g.id, 10 from lean_order o join lean_guest g on g.tenant_id = o.tenant_id and g.name = o.name;
insert into crm.payment (tenant_id, customer_id, amount) select tenant_id, id, 4 from lean_guest;
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select tenant_id, id, extract(year from now())::int, 'A', 5 from lean_guest;
insert into crm.quoted_price (tenant_id, interaction_id, customer_id, product_id, price)
select i.tenant_id, i.id, i.customer_id, p.id, 9 from crm.interaction i join lean_guest g on g.tenant_id = i.tenant_id and g.id = i.customer_id
  join crm.product p on p.tenant_id = i.tenant_id and p.sku = 'LEAN-1';
insert into crm.case_status_history (tenant_id, case_id, status)
select k.tenant_id, k.id, 'open' from crm.service_case k join lean_guest g on g.tenant_id = k.tenant_id and g.id = k.customer_id;
insert into crm.task (tenant_id, kind, customer_id, due_at) select tenant_id, 'call', id, now() + interval '1 day' from lean_guest;
insert into crm.survey_response (tenant_id, customer_id, score) select tenant_id, id, 9 from lean_guest;
insert into crm.call_record (tenant_id, customer_id, reason) select tenant_id, id, 'question' from lean_guest;
-- A task and a call of nobody in C (which shares all its customers): they hang off no customer.
insert into crm.task (tenant_id, kind, due_at, note) values ('00000000-0000-0000-0000-0000000010c1', 'other', now(), 'C''s own errand');
insert into crm.call_record (tenant_id, phone, reason) values ('00000000-0000-0000-0000-0000000010c1', '+4930999', 'other');
create temp view lean_seen_more with (security_invoker = true) as
select 'order_status_history' as tab, g.name from crm.order_status_history h join lean_order g on g.tenant_id = h.tenant_id and g.order_id = h.order_id
union all select 'invoice', g.name from crm.invoice v join lean_guest g on g.tenant_id = v.tenant_id and g.id = v.customer_id
union all select 'payment', g.name from crm.payment p join lean_guest g on g.tenant_id = p.tenant_id and g.id = p.customer_id
union all select 'customer_month_summary', g.name from crm.customer_month_summary s join lean_guest g on g.tenant_id = s.tenant_id and g.id = s.customer_id
union all select 'customer_year_summary', g.name from crm.customer_year_summary s join lean_guest g on g.tenant_id = s.tenant_id and g.id = s.customer_id
union all select 'customer_tier_snapshot', g.name from crm.customer_tier_snapshot s join lean_guest g on g.tenant_id = s.tenant_id and g.id = s.customer_id
union all select 'quoted_price', g.name from crm.quoted_price q join lean_guest g on g.tenant_id = q.tenant_id and g.id = q.customer_id
union all select 'case_status_history', g.name from crm.case_status_history h
    join crm.service_case k on k.tenant_id = h.tenant_id and k.id = h.case_id join lean_guest g on g.tenant_id = k.tenant_id and g.id = k.customer_id
union all select 'task', coalesce(g.name, t.note) from crm.task t left join lean_guest g on g.tenant_id = t.tenant_id and g.id = t.customer_id
 where t.tenant_id in (select tenant_id from lean_guest)
union all select 'survey_response', g.name from crm.survey_response r join lean_guest g on g.tenant_id = r.tenant_id and g.id = r.customer_id
union all select 'call_record', coalesce(g.name, c.phone) from crm.call_record c left join lean_guest g on g.tenant_id = c.tenant_id and g.id = c.customer_id
 where c.tenant_id in (select tenant_id from lean_guest);
grant select on lean_seen, lean_seen_more, lean_guest, lean_order to crm_unit, crm_viewer;

-- Which guests B sees in a table, as crm_unit and as crm_viewer (the same answer expected).
create function pg_temp.seen(p_role text, p_tab text) returns text[] language plpgsql as $$
declare
    v text[];
begin
    execute format('set local role %I', p_role);
    perform set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010b1', true);
    select coalesce(array_agg(distinct name order by name), '{}') into v
      from (select * from pg_temp.lean_seen union all select * from pg_temp.lean_seen_more) x where tab = p_tab;
    reset role;
    return v;
end $$;

-- How many rows a write statement touched.
create function pg_temp.rows_touched(p_sql text) returns int language plpgsql as $$
declare
    n int;
begin
    execute p_sql;
    get diagnostics n = row_count;
    return n;
end $$;

-- Shares: A shares Guest One with B; C shares all its customers with B.
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010a1', true);
select lives_ok($$select crm.share_customer((select id from crm.customer where name = 'Guest One'), 'lean-b')$$, 'A shares Guest One with B');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010c1', true);
select lives_ok($$select crm.share_all_customers('lean-b')$$, 'C shares all its customers with B');
reset role;

-- 2 x 18 tables: B reads the shared guests' rows, nothing of Guest Two, nothing of C's that hangs
-- off no customer.
select is(pg_temp.seen(r, t), '{Guest One,Guest Three}'::text[], format('%s in B reads the %s rows of shared guests only', r, t))
  from unnest('{crm_unit,crm_viewer}'::text[]) r,
       unnest('{customer,customer_contact,sales_order,order_line,interaction,customer_lifecycle_history,service_case,
                order_status_history,invoice,payment,customer_month_summary,customer_year_summary,customer_tier_snapshot,
                quoted_price,case_status_history,task,survey_response,call_record}'::text[]) t;

-- Read-only: B's writes touch nothing of A or C.
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010b1', true);
update crm.customer set name = 'Changed by B' where name like 'Guest %';
update crm.sales_order set note = 'by B' where true;
select throws_ok($$delete from crm.customer_contact where value like '%lean.example'$$, '42501', null,
                 'B may not delete contact rows at all (only the contact index''s triggers write them, 0039)');
reset role;
select is((select count(*)::int from crm.customer where name like 'Guest %'), 3, 'B cannot rename a shared customer');
select is((select count(*)::int from crm.sales_order o join lean_guest g on g.id = o.customer_id where o.note is not null), 0,
          'B cannot change a shared customer''s order');
select is((select count(*)::int from crm.customer_contact where value like '%lean.example'), 3,
          'B cannot remove a shared customer''s contact details');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010b1', true);
select is(pg_temp.rows_touched('update crm.interaction set customer_id = customer_id'), 0,
          'B cannot change a shared customer''s contacts');
select throws_ok($$insert into crm.interaction (tenant_id, customer_id, channel, direction)
                   select tenant_id, id, 'phone', 'inbound' from crm.customer where name = 'Guest One'$$,
                 '42501', null, 'B cannot add rows to another unit, shared customer or not');

-- customers.lookup and customers.get in B: the shared guest, as crm.customer_json shows it.
select is((crm.lookup_customer('+4930100001')->'customer')::jsonb,
          (select crm.customer_json(c)::jsonb from crm.customer c where c.name = 'Guest One'),
          'lookup: the customer is crm.customer_json of it');
select is(json_array_length(crm.lookup_customer('+4930100001')->'open_orders'), 1, 'lookup: B sees the shared guest''s open order');
select is(crm.lookup_customer('+4930100002')::text, null, 'lookup: B finds nothing of a guest not shared');
select is(crm.get_customer(c.id) - 'shared',
          (select crm.customer_json(x)::jsonb || jsonb_build_object('lifecycle_history',
                    (select coalesce(jsonb_agg(jsonb_build_object('stage', h.stage, 'at', h.at) order by h.at, h.id), '[]')
                       from crm.customer_lifecycle_history h where h.tenant_id = x.tenant_id and h.customer_id = x.id))
             from crm.customer x where x.tenant_id = c.tenant_id and x.id = c.id),
          'get: crm.customer_json with the lifecycle history (and what other units know, 29_shared_reads.sql)')
  from lean_guest c where c.name = 'Guest Three';
select is(crm.get_customer((select id from lean_guest where name = 'Guest Two')), null, 'get: nothing of a guest not shared');
reset role;

-- Revocation: A's share, then C's, and the rows are gone.
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010a1', true);
select ok(crm.revoke_share((select s.id from crm.customer_share s where s.tenant_id = crm.current_tenant())), 'A revokes its share');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010c1', true);
select ok(crm.revoke_share((select s.id from crm.customer_share s where s.tenant_id = crm.current_tenant())), 'C revokes its share');
reset role;
select is(array_agg(t order by t), null, 'after revocation B reads no row of another unit in any table')
  from unnest('{customer,customer_contact,sales_order,order_line,interaction,customer_lifecycle_history,service_case,
                order_status_history,invoice,payment,customer_month_summary,customer_year_summary,customer_tier_snapshot,
                quoted_price,case_status_history,task,survey_response,call_record}'::text[]) t,
       unnest('{crm_unit,crm_viewer}'::text[]) r
 where pg_temp.seen(r, t) <> '{}';
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000010b1', true);
select is(crm.lookup_customer('+4930100001')::text, null, 'lookup: a revoked guest is not found');
reset role;

-- The catalog walk. (1) No policy calls crm.is_shared_customer.
select is((select array_agg(format('%s: %s', pc.polrelid::regclass, pc.polname))
             from pg_policy pc join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pc.oid
            where d.refclassid = 'pg_proc'::regclass and d.refobjid = 'crm.is_shared_customer(uuid, bigint)'::regprocedure),
          null, 'no policy calls crm.is_shared_customer');
-- (2) Every function a policy calls takes no argument: it cannot be called with a row's columns.
select is((select array_agg(format('%s: %s calls %s', pc.polrelid::regclass, pc.polname, d.refobjid::regprocedure))
             from pg_policy pc join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pc.oid
             join pg_proc p on p.oid = d.refobjid
            where d.refclassid = 'pg_proc'::regclass and p.pronargs > 0),
          null, 'every function a policy calls takes no argument');
-- (3) ... and is called only as an init plan, `( SELECT crm.f() AS f)`, computed once per
-- statement: as many such sub-selects in the policy's expressions as calls of the function.
select is((select array_agg(format('%s: %s calls %s outside a sub-select', pc.polrelid::regclass, pc.polname, f.name))
             from pg_policy pc join pg_depend d on d.classid = 'pg_policy'::regclass and d.objid = pc.oid
             join pg_proc p on p.oid = d.refobjid join pg_namespace n on n.oid = p.pronamespace
             cross join lateral (select n.nspname || '.' || p.proname as name,
                                        coalesce(pg_get_expr(pc.polqual, pc.polrelid), '') || ' '
                                        || coalesce(pg_get_expr(pc.polwithcheck, pc.polrelid), '') as expr) f
            where d.refclassid = 'pg_proc'::regclass
              and (length(f.expr) - length(replace(f.expr, f.name || '(', ''))) / length(f.name || '(')
                  <> (length(f.expr) - length(replace(f.expr, 'SELECT ' || f.name || '() AS ', ''))) / length('SELECT ' || f.name || '() AS ')),
          null, 'every function a policy calls is an init plan (select crm.f())');

select * from finish();
rollback;
