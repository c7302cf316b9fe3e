-- Demo: Cool Pool's skimmer campaign as the seed article tells it, finished: planned, designs and
-- budget approved by the roles the unit names, a bought list of leads assigned by region and
-- qualified, quotes accepted over the summer, costs booked, closed. A DBA reads its result with
--   select * from report.campaign_results;  select * from report.campaign_weekly;
do $$
declare
    v_campaign bigint;
    v_design bigint;
    v_start date := current_date - 260;
    l record;
    v_customer bigint;
    v_order bigint;
    k int := 0;
begin
    update crm.tenant set settings = settings || '{"campaign_approvals": {"design": ["marketing", "manager"], "budget": ["director"]}}'
     where slug = 'coolpool';
    perform set_config('role', 'crm_unit', true);
    perform set_config('crm.tenant', 'coolpool', true);

    perform set_config('crm.app_role', 'marketing', true);
    v_campaign := (crm.create_campaign(jsonb_build_object(
        'name', 'Skim-mer summer', 'description', 'The new robot skimmer, to households with a pool',
        'goal', jsonb_build_object('metric', 'units', 'target', 40), 'budget', 2500,
        'channels', jsonb_build_array('mail', 'phone'), 'starts_on', v_start, 'ends_on', v_start + 210,
        'product_ids', (select jsonb_agg(p.id::text) from crm.product p where p.tenant_id = crm.current_tenant() and p.sku = 'SKIM-100'),
        'team', (select jsonb_agg(jsonb_build_object('staff_id', s.id::text, 'role', 'telemarketing'))
                   from crm.staff s where s.tenant_id = crm.current_tenant())))->>'id')::bigint;
    perform set_config('crm.app_role', 'designer', true);
    perform crm.add_campaign_asset(v_campaign, 'design ' || n, 'docs://coolpool/skim-mer/design-' || n || '.pdf') from generate_series(1, 3) n;
    -- Design 3 by its name: ids say nothing about order (0033), and all three share one upload time here.
    v_design := (select a.id from crm.campaign_asset a where a.tenant_id = crm.current_tenant() and a.campaign_id = v_campaign and a.name = 'design 3');
    perform set_config('crm.app_role', 'marketing', true);
    perform crm.decide_campaign(v_campaign, v_design, 'approved', 'Design #3: colourful, shows the robot at work');
    perform set_config('crm.app_role', 'manager', true);
    perform crm.decide_campaign(v_campaign, v_design, 'approved', null);
    perform set_config('crm.app_role', 'director', true);
    perform crm.decide_campaign(v_campaign, null, 'approved', 'Within the annual marketing budget');
    perform set_config('crm.app_role', 'marketing', true);
    perform crm.update_campaign(v_campaign, null, '{"status": "active"}');

    perform crm.record_campaign_cost(v_campaign, 'mail', c.category, c.amount, v_start + 10, c.note, null)
       from (values ('list_purchase', 300.00, 'Mailing list: households with income 75-200k'),
                    ('printing', 250.00, 'Colour flyers and warranty cards'),
                    ('postage', 250.00, 'Bulk mail')) as c(category, amount, note);

    -- The bought list: forty households, in the north and the south.
    for n in 1..40 loop
        perform crm.create_lead(jsonb_build_object('name', 'Pool household ' || n, 'email', 'household' || n || '@mail.example',
            'phone', '+49 40 ' || (7000000 + n), 'region', case when n % 2 = 0 then 'north' else 'south' end,
            'campaign_id', v_campaign::text, 'source', 'bought list'));
    end loop;
    perform crm.assign_leads(v_campaign, 'region', null, false);

    -- Telemarketing qualifies; sales quotes; most of the first 28 households buy over the summer.
    for l in select * from crm.lead where tenant_id = crm.current_tenant() and campaign_id = v_campaign
              order by substring(name from '[0-9]+$')::int loop  -- household 1, 2, ... (ids are in no order, 0033)
        k := k + 1;
        if k % 5 = 0 then
            perform crm.qualify_lead(l.id, null, 'disqualified', 10);
        elsif k <= 28 then
            v_customer := crm.convert_lead(l.id);
            v_order := crm.create_order(v_customer, l.assigned_staff_id, v_campaign,
                jsonb_build_array(jsonb_build_object('product_id', (select p.id from crm.product p where p.tenant_id = crm.current_tenant() and p.sku = 'SKIM-100'),
                                                     'quantity', 1 + k % 3)),
                'quoted', (v_start + 20 + k * 5 + (k % 4) * 9)::timestamptz);
            update crm.sales_order set lead_id = l.id where tenant_id = crm.current_tenant() and id = v_order;
            perform crm.accept_quote(v_order);
        else
            perform crm.qualify_lead(l.id, null, 'qualified', 50 + k);
        end if;
    end loop;
    perform crm.update_campaign(v_campaign, null, '{"status": "closed"}');
end $$;
