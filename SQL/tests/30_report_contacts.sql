-- Contact, call-centre, satisfaction, lifecycle and capture reports with figures computed by hand.
begin;
select plan(10);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f1', 'cc-a', 'A'),
                                               ('00000000-0000-0000-0000-0000000000f2', 'cc-b', 'B');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f1', true);
select crm.create_customer('{"name": "Ann", "emails": ["ann@x.example"], "phones": ["030 1000001"], "address": {"city": "Berlin"}, "preferences": {"seat": "aisle"}, "lifecycle_stage": "loyal"}');
select crm.create_customer('{"name": "Bo", "emails": ["bo@x.example"], "lifecycle_stage": "active"}');
select crm.create_customer('{"name": "Cy", "phones": ["030 1000003"], "lifecycle_stage": "active"}');
insert into crm.staff (tenant_id, name) values (crm.current_tenant(), 'Agent');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'P', 10, 4);

-- Contacts in March: 3 by phone costing 2.00, 1.00, 3.00; 1 email costing 0.10.
insert into crm.interaction (tenant_id, customer_id, channel, direction, cost, occurred_at)
select crm.current_tenant(), c.id, v.channel, 'outbound', v.cost, v.at::timestamptz
  from (values ('Ann', 'phone', 2.00, '2026-03-02 10:00+00'), ('Bo', 'phone', 1.00, '2026-03-03 10:00+00'),
               ('Cy', 'phone', 3.00, '2026-03-04 10:00+00'), ('Ann', 'email', 0.10, '2026-03-05 10:00+00')) as v(who, channel, cost, at)
  join crm.customer c on c.name = v.who;
-- Bo buys 2 x P on March 10: his last contact within 30 days was by phone -> one phone conversion, margin 12.
select crm.create_order((select id from crm.customer where name = 'Bo'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 2)), 'confirmed', '2026-03-10 10:00+00');

select is((select (contacts, cost, cost_per_contact, conversions, gross_margin)::text from report.channel_effectiveness
            where channel = 'phone' and month = '2026-03-01'), '(3,6.00,2.00,1,12.00)',
    'phone: 3 contacts costing 6.00, 2.00 each, one conversion with margin 12');
select is((select (contacts, cost_per_contact, conversions)::text from report.channel_effectiveness where channel = 'email'),
    '(1,0.10,0)', 'email: one contact at 0.10, no conversion (Ann bought nothing)');

-- Calls on March 2: answered after 30 s (complaint) and 90 s (refund), abandoned after 120 s (question).
insert into crm.call_record (tenant_id, answered_by, wait_seconds, abandoned, reason, started_at) values
    (crm.current_tenant(), (select id from crm.staff), 30, false, 'complaint', '2026-03-02 09:00+00'),
    (crm.current_tenant(), (select id from crm.staff), 90, false, 'refund', '2026-03-02 11:00+00'),
    (crm.current_tenant(), null, 120, true, 'question', '2026-03-02 12:00+00');
select is((select (calls, answered, abandoned, average_wait_seconds, complaints, refunds)::text from report.call_centre_daily
            where day = '2026-03-02' and agent_id is not null), '(2,2,0,60.0,1,1)', 'the agent answered two calls, mean wait 60 s');
select is((select sum(abandoned)::int from report.call_centre_daily where day = '2026-03-02'), 1, 'one call abandoned');

-- Scores for P in March: 10, 9, 7, 3 -> promoters 2, detractors 1: NPS = (2 - 1) / 4 = 25.0; mean 7.25.
insert into crm.survey_response (tenant_id, customer_id, product_id, score, would_recommend, responded_at)
select crm.current_tenant(), (select id from crm.customer where name = 'Ann'), (select id from crm.product), s, s >= 9, '2026-03-15'
  from unnest(array[10, 9, 7, 3]) s;
select is((select (responses, average_score, nps, would_recommend_rate)::text from report.satisfaction), '(4,7.25,25.0,0.5000)',
    'NPS 25, mean 7.25, half would recommend');

select is((select customers from report.lifecycle_funnel where stage = 'active' and tenant = 'cc-a'), 2::bigint, 'two active customers');
select is((select share from report.lifecycle_funnel where stage = 'loyal' and tenant = 'cc-a'), 0.3333::numeric, 'one of three is loyal');
-- Capture: Ann phase 3, Bo phase 1 (email, no phone), Cy phase 0 (no email): 2/3, 1/3, 1/3.
select is((select (phase_1_rate, phase_2_rate, phase_3_rate)::text from report.data_capture where tenant = 'cc-a'),
    '(0.6667,0.3333,0.3333)', 'capture rates per phase');

-- Ann: no sales, scores 10, 9, 7, 3 (mean 7.25), one phone and one email contact, no consent recorded.
select is((select (gross_margin_12m, average_score, preferred_channels, frequency)::text from report.customer_value where name = 'Ann'),
    '(0,7.25,"{email,phone}",)', 'customer value: Ann''s margin, satisfaction and channels in one row');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f2', true);
select is((select count(*)::int from report.channel_effectiveness) + (select count(*)::int from report.call_centre_daily)
        + (select count(*)::int from report.satisfaction) + (select count(*)::int from report.customer_value), 0,
    'another unit sees none of it');

select * from finish();
rollback;
