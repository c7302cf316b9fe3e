-- For the whole schema: every table holding a unit's data leads its primary key with tenant_id
-- and has forced row-level security; report views are security_invoker and fully commented; the
-- request roles are neither superusers, nor BYPASSRLS, nor owners of anything.
begin;
select plan(8);

select is(array(
    select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p')
       and c.oid not in (select name from crm.reference_table)
       and c.oid <> 'crm.customer_contact'::regclass
       and not exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                        where i.indrelid = c.oid and i.indisprimary and a.attname = 'tenant_id')
     order by 1), '{}'::text[], 'every unit table leads its primary key with tenant_id');
-- The contact index is the one exception: every lookup probes it by value (a caller's phone in the
-- units the caller sees), so its key starts with the value; the unit is the third column (0039).
select is((select array_agg(a.attname::text order by k.n) from pg_index i, unnest(i.indkey) with ordinality k(attnum, n)
             join pg_attribute a on a.attnum = k.attnum
            where i.indrelid = 'crm.customer_contact'::regclass and i.indisprimary and a.attrelid = i.indrelid),
          '{value,kind,tenant_id,customer_id}'::text[], 'the contact index is keyed by value, kind, unit and customer');

select is(array(
    select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p')
       and c.oid not in (select name from crm.reference_table)
       and not (c.relrowsecurity and c.relforcerowsecurity)
     order by 1), '{}'::text[], 'every unit table has row-level security enabled and forced');

select is(array(
    select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p') and not c.relrowsecurity
     order by 1), '{}'::text[], 'reference tables have row-level security enabled too');

select is(array(
    select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'report' and c.relkind = 'v'
       and not coalesce('security_invoker=true' = any(c.reloptions) or 'security_invoker=on' = any(c.reloptions), false)
     order by 1), '{}'::text[], 'every report view is security_invoker');

select is(array(
    select c.oid::regclass::text || coalesce('.' || a.attname, '') from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
     where n.nspname = 'report' and c.relkind = 'v'
       and (obj_description(c.oid, 'pg_class') is null or (a.attname is not null and col_description(c.oid, a.attnum) is null))
     order by 1), '{}'::text[], 'every report view and every column of it has a comment');

select is(array(
    select rolname::text from pg_roles
     where rolname in ('crm_app', 'crm_unit', 'crm_partner', 'crm_admin', 'crm_reporter')
       and (rolsuper or rolbypassrls or rolcreaterole or rolcreatedb)
     order by 1), '{}'::text[], 'no request role is superuser or BYPASSRLS');

select is(array(
    select distinct r.rolname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_roles r on r.oid = c.relowner
     where n.nspname in ('crm', 'report') and r.rolname <> 'crm_owner'
     order by 1), '{}'::text[], 'crm_owner owns every table and view');

select * from finish();
rollback;
