-- Demo: products and 18 months of orders, some shipped, delivered or returned, with payments,
-- so balances, profit and tiers have something to show. Same functions as the API.
do $$
declare
    unit text;
    c record;
    k int;
    v_order bigint;
    n int := 0;
    -- Staff and products in the order they were created (ids are in no order since 0033).
    v_staff bigint[];
    v_products bigint[];
begin
    -- CRM investment per customer and the share of margin credited to it, for report.crm_roi.
    update crm.tenant set settings = settings || '{"crm_roi": {"implementation_per_customer": 12, "upkeep_per_customer": 4,
        "staff_per_customer": 9, "hardware_per_customer": 2, "training_per_customer": 1.5, "upgrades_per_customer": 1.5,
        "success_rate": 0.35}, "customer_tiers": {"A": 0.5, "B": 0.8}, "product_tiers": {"A": 0.4, "B": 0.2}}';
    foreach unit in array array['hotel-berlin', 'hotel-munich', 'coolpool'] loop
        perform set_config('role', 'crm_unit', true);
        perform set_config('crm.tenant', unit, true);
        if unit = 'coolpool' then
            insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost, surplus, warranty_months, support_contact, service_info)
            values (crm.current_tenant(), 'SKIM-100', 'Cool Pool Skimmer 100', 'skimmers', 89.00, 31.00, false, 24, 'service@coolpool.example', 'Spare nets in stock; 48 h replacement'),
                   (crm.current_tenant(), 'SKIM-200', 'Cool Pool Skimmer 200 Pro', 'skimmers', 149.00, 52.00, false, 36, 'service@coolpool.example', 'Includes wall mount'),
                   (crm.current_tenant(), 'CHEM-CL', 'Chlorine tablets 5 kg', 'chemicals', 39.90, 29.00, true, 0, 'service@coolpool.example', null),
                   (crm.current_tenant(), 'PUMP-X', 'Filter pump X', 'pumps', 399.00, 310.00, false, 24, 'pumps@coolpool.example', 'On-site service by partners'),
                   (crm.current_tenant(), 'COVER-5', 'Solar cover 5 m', 'covers', 129.00, 48.00, true, 12, 'service@coolpool.example', null);
        else
            insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost, surplus)
            values (crm.current_tenant(), 'ROOM-STD', 'Standard room night', 'rooms', 119.00, 61.00, false),
                   (crm.current_tenant(), 'ROOM-SUP', 'Superior room night', 'rooms', 179.00, 70.00, false),
                   (crm.current_tenant(), 'SPA-DAY', 'Spa day', 'wellness', 89.00, 25.00, true),
                   (crm.current_tenant(), 'DINNER', 'Dinner menu', 'restaurant', 59.00, 38.00, false);
        end if;
        insert into crm.commission_rate (tenant_id, tier, rate)
        values (crm.current_tenant(), 'A', 0.0600), (crm.current_tenant(), 'B', 0.0400), (crm.current_tenant(), 'C', 0.0200);
        insert into crm.goal (tenant_id, metric, target, period_start, period_end, staff_id)
        select crm.current_tenant(), 'revenue', 15000, date_trunc('year', now())::date,
               (date_trunc('year', now()) + interval '1 year - 1 day')::date, s.id
          from crm.staff s where s.tenant_id = crm.current_tenant() and s.team = 'sales';
        insert into crm.goal (tenant_id, metric, target, period_start, period_end)
        values (crm.current_tenant(), 'gross_margin', 40000, date_trunc('year', now())::date,
                (date_trunc('year', now()) + interval '1 year - 1 day')::date);
        v_staff := array(select s.id from crm.staff s where s.tenant_id = crm.current_tenant()
                          order by array_position(array['marta', 'jan', 'lea', 'tom'], split_part(s.email, '@', 1)));
        v_products := array(select p.id from crm.product p where p.tenant_id = crm.current_tenant()
                             order by array_position(array['SKIM-100', 'SKIM-200', 'CHEM-CL', 'PUMP-X', 'COVER-5',
                                                           'ROOM-STD', 'ROOM-SUP', 'SPA-DAY', 'DINNER'], p.sku));
        for c in select id from crm.customer where tenant_id = crm.current_tenant() order by id loop
            for k in 1..(c.id % 5) loop
                n := n + 1;
                v_order := crm.create_order(
                    c.id, v_staff[1 + n % 2], null,
                    (select jsonb_agg(jsonb_build_object('product_id', p.id::text, 'quantity', 1 + (n + p.pos) % 3))
                       from unnest(v_products) with ordinality p(id, pos) where (p.pos + n) % 2 = 0),
                    'confirmed', now() - make_interval(days => (n * 37) % 540));
                if n % 4 <> 0 then perform crm.set_order_status(v_order, 'shipped'); end if;
                if n % 4 in (1, 2) then perform crm.set_order_status(v_order, 'delivered'); end if;
                if n % 17 = 0 and n % 4 <> 0 then perform crm.set_order_status(v_order, 'returned'); end if;
                if n % 3 = 0 and n % 4 <> 0 and n % 17 <> 0 then
                    perform crm.record_payment(c.id, (select sum(i.amount) from crm.invoice i
                        where i.tenant_id = crm.current_tenant() and i.order_id = v_order), null, 'transfer');
                end if;
            end loop;
        end loop;
    end loop;
end $$;
