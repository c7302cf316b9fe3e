-- API keys: stored as hashes, looked up by crm.authenticate, stopped by revocation; the login role
-- cannot read the key table.
begin;
select plan(7);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000a3', 'auth-a', 'A');
insert into crm.principal (id, kind, tenant_id, app_role, display_name)
values ('00000000-0000-0000-0000-0000000000f1', 'unit', '00000000-0000-0000-0000-0000000000a3', 'agent', 'Agent');
insert into crm.api_key (id, principal_id, key_hash, prefix)
values ('00000000-0000-0000-0000-0000000000e1', '00000000-0000-0000-0000-0000000000f1',
        sha256(convert_to('crm_testkey_0123456789abcdefghijklmnopqrstuv', 'UTF8')), 'crm_test');

set local role crm_app;
select is((select app_role from crm.authenticate('crm_testkey_0123456789abcdefghijklmnopqrstuv')), 'agent',
    'the right key finds its principal');
select is((select count(*)::int from crm.authenticate('crm_wrong')), 0, 'a wrong key finds nothing');
select lives_ok($$select crm.enter_request('00000000-0000-0000-0000-0000000000e1')$$, 'a live key may enter');
select throws_ok($$select key_hash from crm.api_key$$, '42501', null, 'the login role cannot read the key table');
reset role;

update crm.api_key set revoked_at = now() where id = '00000000-0000-0000-0000-0000000000e1';
set local role crm_app;
select is((select count(*)::int from crm.authenticate('crm_testkey_0123456789abcdefghijklmnopqrstuv')), 0,
    'a revoked key finds nothing');
select throws_ok($$select crm.enter_request('00000000-0000-0000-0000-0000000000e1')$$, 'CR401', null,
    'a revoked key stops at the next request');
reset role;
select is((select count(*)::int from crm.api_key where key_hash = convert_to('crm_testkey_0123456789abcdefghijklmnopqrstuv', 'UTF8')),
    0, 'the key itself is not stored');

select * from finish();
rollback;
