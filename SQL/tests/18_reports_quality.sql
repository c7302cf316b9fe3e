-- Complaints and quality (issue 19): cases per category, product and month; service per agent;
-- repair cost per product against units sold and margin. Figures worked out by hand below.
begin;
select plan(16);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-000000001801', 'q-a', 'A'),
                                               ('00000000-0000-0000-0000-000000001802', 'q-b', 'B');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001801', true);
insert into crm.staff (tenant_id, name) values (crm.current_tenant(), 'Ana'), (crm.current_tenant(), 'Ben');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'PUMP', 'Pump', 100, 60), (crm.current_tenant(), 'VALVE', 'Valve', 50, 20);
select crm.create_customer('{"name": "Cleo"}');

-- Sales in March 2026: 4 pumps (revenue 4 x 100 = 400, cost 4 x 60 = 240, margin 160) and
-- 10 valves (revenue 500, cost 200, margin 300).
select crm.create_order((select id from crm.customer where name = 'Cleo'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'PUMP'), 'quantity', 4),
                      jsonb_build_object('product_id', (select id from crm.product where sku = 'VALVE'), 'quantity', 10)),
    'confirmed', '2026-03-01 12:00+00');

-- Cases, with their times written out (the case functions stamp now()):
--  1 complaint Pump, Ana: opened 03-02 10:00, due 03-05 10:00, first response 11:00 (60 min),
--    resolved 03-03 10:00 (1440 min): in time. Repair 120.00.
--  2 quality Pump, Ana: opened 03-04 10:00, due 03-04 14:00, response 10:30 (30 min), resolved
--    03-05 10:00 (1440 min): after the due time -> breach. Repair 80.00.
--  3 complaint Pump, Ben: opened 03-10 08:00, due 03-13 08:00, no response, still open: past due
--    now -> breach.
--  4 question Valve, Ben: opened 03-11 09:00, due 03-14 09:00, response 09:20 (20 min), resolved
--    12:00 (180 min): in time. No repair.
--  5 complaint Pump, Ana: opened 04-01 (April: not in March's rows, in 2026's). Repair 50.00.
insert into crm.service_case (tenant_id, customer_id, category, status, subject, product_id, assigned_to,
                              opened_at, sla_due_at, first_response_at, resolved_at, repair_cost)
select crm.current_tenant(), (select id from crm.customer where name = 'Cleo'), v.category, v.status, 'case ' || v.n,
       (select id from crm.product where sku = v.sku), (select id from crm.staff where name = v.agent),
       v.opened::timestamptz, v.due::timestamptz, v.responded::timestamptz, v.resolved::timestamptz, v.repair
  from (values (1, 'complaint', 'resolved', 'PUMP', 'Ana', '2026-03-02 10:00+00', '2026-03-05 10:00+00', '2026-03-02 11:00+00', '2026-03-03 10:00+00', 120.00),
               (2, 'quality', 'resolved', 'PUMP', 'Ana', '2026-03-04 10:00+00', '2026-03-04 14:00+00', '2026-03-04 10:30+00', '2026-03-05 10:00+00', 80.00),
               (3, 'complaint', 'open', 'PUMP', 'Ben', '2026-03-10 08:00+00', '2026-03-13 08:00+00', null, null, null),
               (4, 'question', 'resolved', 'VALVE', 'Ben', '2026-03-11 09:00+00', '2026-03-14 09:00+00', '2026-03-11 09:20+00', '2026-03-11 12:00+00', null),
               (5, 'complaint', 'resolved', 'PUMP', 'Ana', '2026-04-01 09:00+00', '2026-04-04 09:00+00', '2026-04-01 10:00+00', '2026-04-02 09:00+00', 50.00))
       as v(n, category, status, sku, agent, opened, due, responded, resolved, repair);

-- March, complaint x Pump: cases 1 and 3; case 3 open and breached; repair 120.00 on one case.
select is((select (cases, open_cases, sla_breaches, repaired_cases, repair_cost)::text from report.case_quality
            where month = '2026-03-01' and category = 'complaint' and product_name = 'Pump'),
          '(2,1,1,1,120.00)', 'March complaints about the pump: 2 cases, 1 open, 1 breach, repair 120.00');
select is((select (cases, open_cases, sla_breaches, repaired_cases, repair_cost)::text from report.case_quality
            where month = '2026-03-01' and category = 'quality'),
          '(1,0,1,1,80.00)', 'March quality problem with the pump: resolved after the due time, repair 80.00');
select is((select (cases, sla_breaches, repair_cost)::text from report.case_quality where month = '2026-03-01' and category = 'question'),
          '(1,0,0.00)', 'March question about the valve: in time, no repair');
select is((select count(*)::int from report.case_quality where month = '2026-03-01'), 3, 'three category x product rows in March');

-- Ana in March: cases 1, 2; both responded (60, 30 min: mean 45.0) and resolved (1440, 1440:
-- mean and median 1440.0); one breach: rate 1 / 2 = 0.5000.
select is((select (cases, responded, resolved, sla_breaches, breach_rate, average_minutes_to_first_response,
                   average_minutes_to_resolution, median_minutes_to_resolution)::text
             from report.agent_service where month = '2026-03-01' and agent_name = 'Ana'),
          '(2,2,2,1,0.5000,45.0,1440.0,1440.0)', 'Ana: 2 cases, 45 min to first response, 1440 to resolution, half breached');
-- Ben in March: cases 3, 4; one responded (20 min) and resolved (180 min); case 3 breached.
select is((select (cases, responded, resolved, sla_breaches, breach_rate, average_minutes_to_first_response,
                   average_minutes_to_resolution)::text
             from report.agent_service where month = '2026-03-01' and agent_name = 'Ben'),
          '(2,1,1,1,0.5000,20.0,180.0)', 'Ben: 2 cases, one open past due, 20 min to respond, 180 to resolve');

-- 2026, Pump: cases 1, 2, 3, 5 (all complaints or quality); repairs 120 + 80 + 50 = 250.00 on 3
-- cases; 4 units sold, revenue 400, margin 160: 1 case per unit, 250 / 4 = 62.5000 repair per
-- unit, margin after repairs 160 - 250 = -90.00, repair cost 250 / 160 = 1.5625 of the margin.
select is((select (cases, complaints, repaired_cases, repair_cost, units_sold, revenue, gross_margin, cases_per_unit,
                   repair_cost_per_unit, gross_margin_after_repairs, repair_cost_share_of_margin)::text
             from report.product_repair_cost where year = 2026 and product_name = 'Pump'),
          '(4,4,3,250.00,4.000,400.00,160.00,1.000000,62.5000,-90.00,1.5625)', 'the pump''s repairs cost more than its margin');
-- 2026, Valve: 1 case (a question), no repair; 10 units, revenue 500, margin 300: 0.1 case per unit.
select is((select (cases, complaints, repair_cost, units_sold, gross_margin, cases_per_unit, repair_cost_per_unit,
                   gross_margin_after_repairs, repair_cost_share_of_margin)::text
             from report.product_repair_cost where year = 2026 and product_name = 'Valve'),
          '(1,0,0.00,10.000,300.00,0.100000,0.0000,300.00,0.0000)', 'the valve: no repair cost, margin kept');

-- The methods' functions: the same rows as JSON, most cases (or highest repair cost) first.
select is((select json_array_length(report.complaints_json('2026-03-01', 10))), 3, 'reports.complaints: three rows for March');
select is((select report.complaints_json('2026-03-01', 1)->0->>'category'), 'complaint', 'the row with most cases first, limit respected');
select is((select report.agent_service_json('2026-03-01', 10)->0->>'cases'), '2', 'reports.agent_service answers per agent');
select is((select report.repair_costs_json(2026, 10)->0->>'product_name'), 'Pump', 'reports.repair_costs: highest repair cost first');

-- Repair cost over the protocol's functions: set on opening, changed by an update.
select is((crm.open_case(jsonb_build_object('customer_id', (select id from crm.customer where name = 'Cleo'), 'category', 'quality',
                                            'subject', 'leaks', 'product_id', (select id from crm.product where sku = 'VALVE'),
                                            'opened_at', '2025-06-01T10:00:00Z', 'repair_cost', '12.50'))->>'repair_cost'),
          '12.50', 'cases.open records a repair cost');
select is((crm.change_case((select id from crm.service_case where subject = 'leaks'), null, null, null, null, null, 'parts', 30)->>'repair_cost'),
          '30.00', 'cases.update changes it');
select throws_ok($$select crm.change_case((select id from crm.service_case where subject = 'leaks'), null, null, null, null, null, null, -1)$$,
                 '23514', null, 'a negative repair cost is refused');

-- Another unit sees none of it.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001802', true);
select is((select count(*)::int from report.case_quality) + (select count(*)::int from report.agent_service)
        + (select count(*)::int from report.product_repair_cost), 0, 'another unit sees no case, agent or repair row');

select * from finish();
rollback;
