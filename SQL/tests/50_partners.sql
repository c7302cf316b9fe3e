-- What a partner can read and write, enforced by PostgreSQL: products of granting units only (and
-- only the granted groups, never the cost), no customers, only its own deals, leads and offers.
begin;
select plan(13);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000000f1', 'part-a', 'A'), ('00000000-0000-0000-0000-0000000000f2', 'part-b', 'B'),
    ('00000000-0000-0000-0000-0000000000f3', 'part-c', 'C');
insert into crm.partner (id, slug, name) values
    ('00000000-0000-0000-0000-00000000ff01', 'p-one', 'One'), ('00000000-0000-0000-0000-00000000ff02', 'p-two', 'Two');
insert into crm.partner_grant (tenant_id, partner_id, product_groups) values
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-00000000ff01', null),
    ('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-00000000ff01', '{pumps}'),
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-00000000ff02', null);
insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost) values
    ('00000000-0000-0000-0000-0000000000f1', 'A1', 'A one', 'skimmers', 10, 5),
    ('00000000-0000-0000-0000-0000000000f2', 'B1', 'B pump', 'pumps', 10, 5),
    ('00000000-0000-0000-0000-0000000000f2', 'B2', 'B chem', 'chemicals', 10, 5),
    ('00000000-0000-0000-0000-0000000000f3', 'C1', 'C one', 'skimmers', 10, 5);
insert into crm.customer (tenant_id, name) values ('00000000-0000-0000-0000-0000000000f1', 'Secret customer');
insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email) values
    ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-00000000ff02', 'Two''s prospect', 'x@two.example');

set local role crm_partner;
select set_config('crm.partner_id', '00000000-0000-0000-0000-00000000ff01', true);
select is(array(select sku from crm.product order by sku), array['A1', 'B1'], 'the products of granting units, only the granted groups');
select throws_ok($$select unit_cost from crm.product$$, '42501', null, 'never the cost');
select throws_ok($$select name from crm.customer$$, '42501', null, 'no customers at all');
select is((select count(*)::int from crm.deal), 0, 'not another partner''s deal');
select throws_ok($$insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email)
                   values ('00000000-0000-0000-0000-0000000000f3', '00000000-0000-0000-0000-00000000ff01', 'X', 'x@x.example')$$,
    '42501', null, 'no deal with a unit that did not grant it');
select throws_ok($$insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email)
                   values ('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-00000000ff02', 'X', 'x@x.example')$$,
    '42501', null, 'nor in another partner''s name');
select is((select count(*)::int from crm.partner), 1, 'of partners, only itself');
select is(array(select p.sku from crm.search_catalog_keys('b', null, null, false, 0, 50) k join crm.product p using (tenant_id, id) order by 1),
    array['B1'], 'text search: granted groups only (B2 is a chemical), nothing of the unit that did not grant');
select is((select count(*)::int from crm.search_catalog_keys('one', 'part-c', null, false, 0, 50)), 0,
    'text search in a unit that did not grant: nothing');
select is((select count(*)::int from crm.search_catalog_keys('one', 'no-such-unit', null, false, 0, 50)), 0,
    'an unknown unit narrows to nothing, not to everything');
select is(crm.find_deal_conflict('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-00000000ff01', 0,
                                 'x@two.example', null, null, array[]::bigint[]), null::bigint,
    'the conflict check needs a shared product');
reset role;
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f1', true);
select set_config('crm.partner_id', '', true);
select throws_ok($$select crm.find_deal_conflict('00000000-0000-0000-0000-0000000000f2', null, 0, 'a@b.c', null, null, '{}')$$,
    '42501', null, 'units cannot call the conflict check (it reads past the policies)');
select is((select count(*)::int from crm.deal), 1, 'the unit sees the deals registered with it');

select * from finish();
rollback;
