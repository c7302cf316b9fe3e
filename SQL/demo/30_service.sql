-- Demo: contacts with quotes, call-centre calls, service cases, survey answers and the first
-- run of the task rules, so every report and the caller lookup have something to show.
do $$
declare
    unit text;
    c record;
    n int := 0;
    v_case json;
    -- Staff and products in the order they were created (ids are in no order since 0033).
    v_staff bigint[];
    v_products bigint[];
begin
    update crm.tenant set settings = settings || jsonb_build_object(
        'sla_hours', jsonb_build_object('urgent', 4, 'high', 24, 'normal', 72, 'low', 168),
        'care_call_days', 30, 'greeting_days_before', 30, 'visit_weeks_top_tier', 8,
        'holidays', jsonb_build_array(jsonb_build_object('date', to_char(now() + interval '20 days', 'YYYY-MM-DD'), 'name', 'Season opening')));
    foreach unit in array array['hotel-berlin', 'hotel-munich', 'coolpool'] loop
        perform set_config('role', 'crm_unit', true);
        perform set_config('crm.tenant', unit, true);
        v_staff := array(select s.id from crm.staff s where s.tenant_id = crm.current_tenant()
                          order by array_position(array['marta', 'jan', 'lea', 'tom'], split_part(s.email, '@', 1)));
        v_products := array(select p.id from crm.product p where p.tenant_id = crm.current_tenant()
                             order by array_position(array['SKIM-100', 'SKIM-200', 'CHEM-CL', 'PUMP-X', 'COVER-5',
                                                           'ROOM-STD', 'ROOM-SUP', 'SPA-DAY', 'DINNER'], p.sku));
        for c in select id from crm.customer where tenant_id = crm.current_tenant() order by id loop
            n := n + 1;
            perform crm.log_interaction(jsonb_build_object(
                'customer_id', c.id, 'channel', (array['phone', 'email', 'store', 'call_centre', 'mail', 'visit'])[1 + n % 6],
                'direction', case when n % 2 = 0 then 'inbound' else 'outbound' end,
                'staff_id', v_staff[1 + n % 4],
                'outcome', (array['interested', 'ordered', 'no answer', 'call back'])[1 + n % 4],
                'summary', 'demo contact ' || n, 'cost', (array[2.50, 0.10, 4.00, 3.20, 0.80, 25.00])[1 + n % 6],
                'occurred_at', now() - make_interval(days => (n * 11) % 300),
                'quotes', case when n % 3 = 0 then jsonb_build_array(jsonb_build_object(
                    'product_id', v_products[1 + n % 3],
                    'price', 79 + n % 50)) else '[]'::jsonb end));
            insert into crm.call_record (tenant_id, customer_id, answered_by, wait_seconds, abandoned, reason, started_at, duration_seconds)
            values (crm.current_tenant(), c.id,
                    case when n % 7 = 0 then null else v_staff[3] end,
                    10 + (n * 17) % 240, n % 7 = 0,
                    (array['question', 'complaint', 'quality', 'replacement', 'refund', 'order'])[1 + n % 6],
                    now() - make_interval(days => n % 14, hours => n % 8), 60 + n * 13 % 600);
            if n % 5 = 0 then
                v_case := crm.open_case(jsonb_build_object('customer_id', c.id,
                    'category', (array['complaint', 'quality', 'replacement', 'refund', 'question'])[1 + n % 5],
                    'priority', (array['low', 'normal', 'high', 'urgent'])[1 + n % 4], 'subject', 'demo case ' || n,
                    'opened_at', now() - make_interval(days => n % 20)));
                if n % 10 = 0 then
                    perform crm.change_case((v_case->>'id')::bigint, null, 'resolved', null, null, 'solved on the phone', null);
                end if;
            end if;
            if n % 2 = 0 then
                insert into crm.survey_response (tenant_id, customer_id, product_id, score, would_recommend, comment, responded_at)
                values (crm.current_tenant(), c.id, v_products[1 + n % 4],
                        (n * 7) % 11, (n * 7) % 11 >= 8, 'demo answer', now() - make_interval(days => n % 90));
            end if;
        end loop;
        perform crm.refresh_customer_tiers();
        perform crm.run_task_rules();
    end loop;
end $$;
