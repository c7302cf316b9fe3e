-- crm_reporter reads every unit, is narrowed by `crm.tenant`, and cannot write.
begin;
select plan(6);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000000a1', 'rep-a', 'A'), ('00000000-0000-0000-0000-0000000000b1', 'rep-b', 'B');
insert into crm.customer (tenant_id, name) values
    ('00000000-0000-0000-0000-0000000000a1', 'A1'), ('00000000-0000-0000-0000-0000000000a1', 'A2'),
    ('00000000-0000-0000-0000-0000000000b1', 'B1');

set local role crm_reporter;
select is((select count(*)::int from crm.customer where name in ('A1', 'A2', 'B1')), 3, 'the reporter sees every unit');
select set_config('crm.tenant', 'rep-b', true);
select is((select array_agg(name) from crm.customer), array['B1'], 'SET crm.tenant narrows the reporter to one unit');
select is((select array_agg(slug) from crm.tenant), array['rep-b'], 'and to that unit''s tenant row');
select throws_ok($$insert into crm.customer (tenant_id, name) values ('00000000-0000-0000-0000-0000000000b1', 'x')$$,
    '42501', null, 'the reporter cannot insert');
select throws_ok($$update crm.customer set name = 'x'$$, '42501', null, 'the reporter cannot update');
select throws_ok($$delete from crm.tenant$$, '42501', null, 'the reporter cannot delete');

select * from finish();
rollback;
