-- Demo: two partners across the units. Pool Partner Resellers sell Cool Pool's whole range (8%
-- off, a partner price for the skimmer) and Seaside Berlin's wellness days, and receive Cool
-- Pool's leads in the north; ServicePro services Cool Pool's pumps and works for Seaside München.
-- Pool Partner registered a deal that was approved and won; a lead waits for its answer.
do $$
declare
    v_deal json;
    v_campaign bigint;
    v_partner text := (select id::text from crm.partner where slug = 'poolpartner');
    v_coolpool uuid := (select id from crm.tenant where slug = 'coolpool');
begin
    perform set_config('role', 'crm_unit', true);
    perform set_config('crm.tenant', 'coolpool', true);
    perform crm.grant_partner('poolpartner', '{"discount_pct": 8, "may_receive_leads": true, "region": "north", "lead_weight": 3}');
    perform crm.grant_partner('servicepro', '{"product_groups": ["pumps"], "may_receive_leads": true, "region": "south"}');
    perform crm.set_partner_price('poolpartner', (select id from crm.product where tenant_id = crm.current_tenant() and sku = 'SKIM-100'), 75.00);
    perform set_config('crm.tenant', 'hotel-berlin', true);
    perform crm.grant_partner('poolpartner', '{"product_groups": ["wellness"], "discount_pct": 15}');
    perform set_config('crm.tenant', 'hotel-munich', true);
    perform crm.grant_partner('servicepro', '{}');

    -- Pool Partner registers a deal with Cool Pool; the unit approves it and the customer accepts.
    perform set_config('role', 'crm_partner', true);
    perform set_config('crm.tenant', '', true);
    perform set_config('crm.partner_id', v_partner, true);
    v_deal := crm.register_deal('coolpool', jsonb_build_object(
        'prospect', jsonb_build_object('name', 'Villa Sonnenhof', 'email', 'info@sonnenhof.example', 'company', 'Villa Sonnenhof GmbH', 'region', 'north'),
        'products', (select jsonb_agg(jsonb_build_object('product_id', p.id, 'quantity', q)) from (values ('SKIM-100', 4), ('COVER-5', 2)) v(sku, q)
                       join crm.product p on p.sku = v.sku and p.tenant_id = v_coolpool),
        'note', 'Hotel with two pools'));
    perform set_config('role', 'crm_unit', true);
    perform set_config('crm.partner_id', '', true);
    perform set_config('crm.tenant', 'coolpool', true);
    perform set_config('crm.app_role', 'manager', true);
    perform crm.accept_quote((crm.decide_deal((v_deal->>'id')::bigint, 'approved', 'Welcome, Sonnenhof')->>'order_id')::bigint);

    -- A lead for the partners in the north.
    v_campaign := (crm.create_campaign('{"name": "Partner leads north"}')->>'id')::bigint;
    perform crm.create_lead(jsonb_build_object('name', 'Gasthof am See', 'email', 'see@gasthof.example', 'region', 'north',
                                               'campaign_id', v_campaign::text, 'source', 'trade fair'));
    perform crm.assign_leads(v_campaign, 'partner', null, false);
end $$;
