-- Campaign rules in SQL: approvals only by the roles the unit names, no activation before them,
-- a budget change voids the budget's approval, ROI on margin, and isolation between units.
begin;
select plan(10);

insert into crm.tenant (id, slug, name, settings) values
    ('00000000-0000-0000-0000-0000000000e1', 'camp-a', 'A', '{"campaign_approvals": {"design": ["marketing"], "budget": ["director", "manager"]}}'),
    ('00000000-0000-0000-0000-0000000000e2', 'camp-b', 'B', '{}');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000e1', true);
select set_config('crm.app_role', 'marketing', true);
create temporary table ids as select (crm.create_campaign('{"name": "Spring", "budget": 100}')->>'id')::bigint as campaign;
select crm.add_campaign_asset((select campaign from ids), 'flyer', 'docs://flyer.pdf');

select set_config('crm.app_role', 'agent', true);
select throws_ok($$select crm.decide_campaign((select campaign from ids), null, 'approved', null)$$, 'CR403', null,
    'an agent cannot approve a budget');
select set_config('crm.app_role', 'director', true);
select is(crm.decide_campaign((select campaign from ids), null, 'approved', null)->>'budget_approved', 'false',
    'the director alone is not enough when the unit names director and manager');
select set_config('crm.app_role', 'manager', true);
select is(crm.decide_campaign((select campaign from ids), null, 'approved', null)->>'budget_approved', 'true', 'with the manager it is');
select throws_ok($$select crm.update_campaign((select campaign from ids), null, '{"status": "active"}')$$, 'CR409', null,
    'no activation without an approved design');
select throws_ok($$select crm.decide_campaign((select campaign from ids), (select max(id) from crm.campaign_asset), 'approved', null)$$, 'CR403', null,
    'designs are marketing''s here, not the manager''s');
select set_config('crm.app_role', 'marketing', true);
select is(crm.decide_campaign((select campaign from ids), (select max(id) from crm.campaign_asset), 'approved', null)->>'status', 'approved',
    'the last approval approves the campaign');
select is(crm.update_campaign((select campaign from ids), null, '{"budget": 150}')->>'status', 'pending_approval',
    'a new budget sends it back for approval');

-- Cost 40, one order of 2 x (30 - 10): margin 40, ROI (40 - 40) / 40 = 0.
select crm.record_campaign_cost((select campaign from ids), 'mail', 'printing', 40, null, null, null);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Buyer');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'P', 30, 10);
select crm.create_order((select id from crm.customer), null, (select campaign from ids),
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 2)));
select is((select (cost, gross_margin, roi)::text from report.campaign_results), '(40.00,40.00,0.0000)', 'ROI on margin: (40 - 40) / 40');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000e2', true);
select is((select count(*)::int from crm.campaign) + (select count(*)::int from crm.campaign_asset) + (select count(*)::int from crm.campaign_cost)
          + (select count(*)::int from report.campaign_results), 0, 'another unit sees none of it');
select throws_ok($$select crm.create_order(1, null, (select campaign from ids), '[]')$$, 'CR404', null,
    'nor can it order against the customer or campaign');

select * from finish();
rollback;
