-- A unit shares one customer, or all, read-only with another unit; the share is audited and a
-- revoked share hides the rows again.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000000a2', 'share-a', 'A'), ('00000000-0000-0000-0000-0000000000b2', 'share-b', 'B');
insert into crm.customer (tenant_id, name) overriding system value values
    ('00000000-0000-0000-0000-0000000000a2', 'Guest One'), ('00000000-0000-0000-0000-0000000000a2', 'Guest Two');

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000a2', true);
select lives_ok($$select crm.share_customer((select id from crm.customer where name = 'Guest One'), 'share-b')$$,
    'A shares one guest with B');
select is((select count(*)::int from crm.audit_log where action = 'share'), 1, 'the share is in A''s audit log');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000b2', true);
select is((select array_agg(name) from crm.customer), array['Guest One'], 'B sees the shared guest and no other');
update crm.customer set name = 'Changed by B' where name = 'Guest One';
select is((select name from crm.customer), 'Guest One', 'a shared customer is read-only for B');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000a2', true);
select ok(crm.revoke_share((select max(id) from crm.customer_share)), 'A revokes the share');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000b2', true);
select is((select count(*)::int from crm.customer), 0, 'a revoked share hides the guest again');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000a2', true);
select lives_ok($$select crm.share_all_customers('share-b')$$, 'A shares all its customers with B');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000b2', true);
select is((select count(*)::int from crm.customer), 2, 'B sees every customer of A');
select throws_ok($$select crm.share_customer((select min(id) from crm.customer), 'share-a')$$,
    'CR404', null, 'B cannot re-share a customer of A as its own');

select * from finish();
rollback;
