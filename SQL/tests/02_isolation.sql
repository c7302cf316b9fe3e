-- The unit role cannot read, change or create another unit's rows, and sees nothing with no
-- unit set: row-level security holds whatever the server does.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-00000000000a', 'iso-a', 'A'), ('00000000-0000-0000-0000-00000000000b', 'iso-b', 'B');
insert into crm.customer (tenant_id, name, emails) values
    ('00000000-0000-0000-0000-00000000000a', 'Alice of A', '{alice@a.example}'),
    ('00000000-0000-0000-0000-00000000000b', 'Bob of B', '{bob@b.example}');

set local role crm_unit;

select is((select count(*)::int from crm.customer), 0, 'no unit set: nothing is visible');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-00000000000a', true);
select is((select array_agg(name) from crm.customer), array['Alice of A'], 'unit A sees only its own customer');
select is((select count(*)::int from crm.customer where name = 'Bob of B'), 0, 'B''s customer is invisible to A even by name');

update crm.customer set name = 'hacked' where name = 'Bob of B';
select set_config('crm.tenant_id', '00000000-0000-0000-0000-00000000000b', true);
select is((select name from crm.customer), 'Bob of B', 'A could not change B''s customer');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-00000000000a', true);
select throws_ok($$insert into crm.customer (tenant_id, name) values ('00000000-0000-0000-0000-00000000000b', 'planted')$$,
    '42501', null, 'A cannot insert a row with B''s tenant_id');
select throws_ok($$update crm.customer set tenant_id = '00000000-0000-0000-0000-00000000000b' where name = 'Alice of A'$$,
    '42501', null, 'A cannot move its row into B');
select throws_ok($$insert into crm.staff (tenant_id, name) values ('00000000-0000-0000-0000-00000000000b', 'spy')$$,
    '42501', null, 'the same holds for staff');
select throws_ok($$delete from crm.customer$$, '42501', null, 'unit users cannot delete customers at all');
select is((select count(*)::int from crm.tenant), 1, 'a unit sees only its own tenant row');

select * from finish();
rollback;
