-- Ids reveal nothing about other units (issue 14, item 9; ARCHITECTURE.md, "Ids"): no id column is
-- an identity any more and every integer id takes its value through crm.opaque_id (a catalog
-- walk, so a new table cannot reopen this); the function is a bijection into [2^48, 2^49); two
-- customers created one after the other get unrelated ids; only the roles that insert may run it.
begin;
select plan(11);

select is(array(
    select c.oid::regclass::text || '.' || a.attname from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('crm', 'report') and a.attidentity <> '' and not a.attisdropped
     order by 1), '{}'::text[], 'no column of the project''s tables is an identity');

select is(array(
    select c.oid::regclass::text from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname in ('crm', 'report') and c.relkind in ('r', 'p') and a.attname = 'id' and not a.attisdropped
       and a.atttypid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)
       and coalesce(pg_get_expr(d.adbin, d.adrelid), '') !~ '^crm\.opaque_id\(nextval\('
     order by 1), '{}'::text[], 'every integer id column defaults to crm.opaque_id(nextval(...))');

select is(array(
    select s.seqrelid::regclass::text from pg_sequence s
      join pg_class c on c.oid = s.seqrelid join pg_namespace n on n.oid = c.relnamespace
     where n.nspname in ('crm', 'report') and (s.seqmax <> 281474976710655 or s.seqmin < 0)
     order by 1), '{}'::text[], 'every sequence stays inside the permutation''s domain [0, 2^48)');

-- A nextval() default, unlike an identity, needs USAGE on the sequence for the inserting role.
select is(array(
    select r.rolname || ' on ' || c.oid::regclass::text from pg_attribute a
      join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      cross join pg_roles r
     where n.nspname in ('crm', 'report') and pg_get_expr(d.adbin, d.adrelid) ~ '^crm\.opaque_id\(nextval\('
       and r.rolname like 'crm\_%' and not r.rolsuper
       and has_column_privilege(r.oid, c.oid, a.attnum, 'INSERT')
       and not (has_sequence_privilege(r.oid, pg_get_serial_sequence(c.oid::regclass::text, a.attname), 'USAGE')
                and has_function_privilege(r.oid, 'crm.opaque_id(bigint)', 'EXECUTE'))
     order by 1), '{}'::text[], 'every role that may insert an id may use its sequence and crm.opaque_id');

select is((select count(distinct crm.opaque_id(g))::int from generate_series(1, 100000) g), 100000,
          '100,000 consecutive inputs give 100,000 distinct ids');
select ok((select bool_and(crm.opaque_id(g) >= 281474976710656 and crm.opaque_id(g) < 562949953421312)
             from generate_series(1, 100000) g), 'every id lies in [2^48, 2^49): above all older ids, exact as a JSON number');
-- Order says nothing either: about half of the consecutive pairs go down.
select ok((select count(*) filter (where crm.opaque_id(g + 1) < crm.opaque_id(g))::numeric / count(*)
             from generate_series(1, 100000) g) between 0.45 and 0.55, 'consecutive inputs go up or down at random');

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000000a8', 'opaque-a', 'A'), ('00000000-0000-0000-0000-0000000000b8', 'opaque-b', 'B');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000a8', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'First');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000b8', true);
insert into crm.customer (tenant_id, name) select crm.current_tenant(), 'Busy ' || g from generate_series(1, 10) g;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000a8', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Second');
select ok((select abs(max(id) filter (where name = 'Second') - max(id) filter (where name = 'First')) not between 1 and 1000
             from crm.customer), 'a unit''s two customers, ten of another unit in between: the difference tells nothing');
reset role;

select ok(not exists (select 1 from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                       where p.oid = 'crm.opaque_id(bigint)'::regprocedure and x.grantee = 0 and x.privilege_type = 'EXECUTE'),
          'crm.opaque_id is not executable by PUBLIC');
select ok(not has_function_privilege('crm_reporter', 'crm.opaque_id(bigint)', 'execute'), 'nor by crm_reporter (it inserts nothing)');
select case when exists (select 1 from pg_roles where rolname = 'crm_viewer')
            then ok(not has_function_privilege('crm_viewer', 'crm.opaque_id(bigint)', 'execute'), 'nor by crm_viewer (it writes nothing)')
            else skip('crm_viewer does not exist yet', 1) end;

select * from finish();
rollback;
