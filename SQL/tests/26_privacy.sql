-- Privacy (SQL/repeatable/46_customer_privacy.sql): the subject-access export holds everything the
-- unit holds about one customer; the erasure removes the personal data (the merged duplicate's
-- too, the contact index rows, the free text of contacts, cases, tasks, surveys, leads, the audit
-- details) and keeps orders and figures; it is refused while the customer is shared and for roles
-- other than managers and directors. Consent per channel in every place that generates contacts:
-- care calls, holiday greetings, top-tier visits (crm.run_task_rules) and the campaign call list.
begin;
select plan(46);

insert into crm.tenant (id, slug, name, settings) values
    ('00000000-0000-0000-0000-0000000026a1', 'priv-a', 'A', '{}'),
    ('00000000-0000-0000-0000-0000000026b1', 'priv-b', 'B', '{}'),
    ('00000000-0000-0000-0000-0000000026c1', 'priv-c', 'C',
     jsonb_build_object('holidays', jsonb_build_array(jsonb_build_object('date', to_char(current_date + 3, 'YYYY-MM-DD'), 'name', 'Feast'))));

-- The error of a statement as "SQLSTATE field: reason", or 'ok'.
create function pg_temp.error_of(p_sql text) returns text language plpgsql as $$
declare
    v_detail text;
    v_hint text;
    v_state text;
begin
    execute p_sql;
    return 'ok';
exception when others then
    get stacked diagnostics v_detail = pg_exception_detail, v_hint = pg_exception_hint, v_state = returned_sqlstate;
    return v_state || ' ' || coalesce(substr(v_detail, 7), '-') || ': ' || coalesce(v_hint, '-');
end $$;
grant execute on function pg_temp.error_of(text) to crm_unit;

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000026a1', true);
select set_config('crm.app_role', 'manager', true);

-- Erin, with everything a unit holds about a customer; Dora, her duplicate merged into her.
select crm.create_customer('{"name": "Erin Example", "emails": ["erin@priv.example"], "phones": ["+4930260001"],
    "address": {"city": "Berlin", "street": "Privatweg 1"}, "preferences": {"seat": "window"},
    "consent": {"phone": true, "email": true}}');
select crm.update_customer((select id from crm.customer where name = 'Erin Example'), 1, '{"company": "Erin GmbH"}');
select crm.create_customer('{"name": "Dora Duplicate", "emails": ["dora@priv.example"]}');
update crm.customer set merged_into = (select id from crm.customer where name = 'Erin Example') where name = 'Dora Duplicate';
create temp table erin as select id from crm.customer where name = 'Erin Example';
create temp table dora as select id from crm.customer where name = 'Dora Duplicate';
grant select on erin, dora to crm_unit, crm_viewer;
insert into crm.staff (tenant_id, name) values (crm.current_tenant(), 'Seller');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'PR', 'Product', 10.00, 4.00);
select crm.create_order((select id from erin), (select id from crm.staff), null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 3)), 'confirmed', now() - interval '2 days');
update crm.sales_order set note = 'Erin wants it gift-wrapped' where customer_id = (select id from erin);
insert into crm.interaction (tenant_id, customer_id, channel, direction, summary, outcome)
values (crm.current_tenant(), (select id from erin), 'phone', 'inbound', 'Erin asked about her divorce papers', 'callback');
insert into crm.call_record (tenant_id, customer_id, phone, reason) values (crm.current_tenant(), (select id from erin), '+4930260001', 'question');
insert into crm.service_case (tenant_id, customer_id, category, subject, description, sla_due_at)
values (crm.current_tenant(), (select id from erin), 'complaint', 'Erin: broken lid', 'Lives at Privatweg 1', now() + interval '1 day');
insert into crm.case_status_history (tenant_id, case_id, status, note)
select crm.current_tenant(), id, 'open', 'called Erin at home' from crm.service_case;
insert into crm.task (tenant_id, kind, customer_id, due_at, note) values (crm.current_tenant(), 'call', (select id from erin), now(), 'ask Erin about her kids');
insert into crm.survey_response (tenant_id, customer_id, score, comment) values (crm.current_tenant(), (select id from erin), 9, 'Erin loved it');
insert into crm.lead (tenant_id, name, email, phone, status, customer_id)
values (crm.current_tenant(), 'Erin Example', 'erin@priv.example', '+4930260001', 'converted', (select id from erin));

-- The export -------------------------------------------------------------------------------------
create temp table export as select crm.export_customer((select id from erin))::jsonb as doc;
select is((select doc #>> '{customer,name}' from export), 'Erin Example', 'export: the customer');
select is((select doc->'contact_details' from export),
    '[{"kind": "email", "value": "erin@priv.example"}, {"kind": "phone", "value": "+4930260001"}]', 'export: the contact details');
select is((select jsonb_array_length(doc->'orders') from export), 1, 'export: the order');
select is((select doc #>> '{orders,0,lines,0,amount}' from export), '30.00', 'export: with its lines');
select is((select doc #>> '{orders,0,note}' from export), 'Erin wants it gift-wrapped', 'export: the order note');
select is((select doc #>> '{interactions,0,summary}' from export), 'Erin asked about her divorce papers', 'export: the interactions');
select is((select doc #>> '{cases,0,history,0,note}' from export), 'called Erin at home', 'export: the cases with their history');
select is((select (doc->'tasks', doc->'survey_answers'->0->>'comment', doc->'consents')::text from export),
    (select (jsonb_build_array(crm.task_json(t)), 'Erin loved it', '{"email": true, "phone": true}'::jsonb)::text from crm.task t),
    'export: tasks, survey answers, consents');
select is((select doc #>> '{leads,0,email}' from export), 'erin@priv.example', 'export: the lead she came from');
select is((select array(select a->>'entity' || ' ' || (a->>'action') from jsonb_array_elements(doc->'audit') a order by 1) from export),
    '{"customer create","customer update","order create"}',
    'export: the audit entries about her and her orders');
select is((select doc->'lifecycle_history'->0->>'stage' from export), 'prospect', 'export: the lifecycle history');
select is(pg_temp.error_of(format('select crm.export_customer(%s)', (select id from erin))), 'ok', 'a manager exports');

select set_config('crm.app_role', 'agent', true);
select is(pg_temp.error_of(format('select crm.export_customer(%s)', (select id from erin))), 'CR403 : ', 'an agent may not export');
select is(pg_temp.error_of(format('select crm.erase_customer(%s, true)', (select id from erin))), 'CR403 : ', 'an agent may not erase');
select set_config('crm.app_role', 'director', true);

-- Erasure: confirmed, never while shared ------------------------------------------------------------
select is(pg_temp.error_of(format('select crm.erase_customer(%s, false)', (select id from erin))),
    'CR422 confirm: must be true: erasure is irreversible', 'erasure needs confirm = true');
select crm.share_customer((select id from erin), 'priv-b');
select matches(pg_temp.error_of(format('select crm.erase_customer(%s, true)', (select id from erin))),
    '^CR409 id: shared with another unit \(share [0-9]+ with priv-b\): revoke the share first$', 'refused while shared with another unit');
select crm.revoke_share((select id from crm.customer_share where customer_id = (select id from erin)));
select crm.share_all_customers('priv-b');
select matches(pg_temp.error_of(format('select crm.erase_customer(%s, true)', (select id from erin))),
    '^CR409 id: shared with another unit \(share [0-9]+ \(all customers\) with priv-b\)', 'refused while every customer is shared');
select crm.revoke_share((select id from crm.customer_share where customer_id is null and revoked_at is null));

-- The figures before
create temp table before as
select (select (revenue, gross_margin)::text from report.product_profitability) as product,
       (select sum(revenue)::text from crm.customer_month_summary) as months,
       crm.order_json((select id from crm.sales_order))::jsonb - 'version' as ord;
grant select on before to crm_unit;

select is((select (e->>'customers', e->>'erased')::text from (select crm.erase_customer((select id from erin), true)::jsonb as e) x),
    '(2,true)', 'erased: Erin and her merged duplicate');

select is((select (name, emails, phones, address, company, preferences, consent)::text from crm.customer where id = (select id from erin)),
    '("Erased customer",{},{},,,{},{})', 'name, emails, phones, address, company, preferences and consent gone');
select isnt((select erased_at from crm.customer where id = (select id from erin)), null, 'marked erased');
select is((select (name, emails)::text from crm.customer where id = (select id from dora)), '("Erased customer",{})', 'the merged duplicate too');
select is((select count(*)::int from crm.customer_contact where value in ('erin@priv.example', '+4930260001', 'dora@priv.example')), 0,
    'no contact index row left');
select is(crm.lookup_customer('+4930260001')::text, null, 'a lookup by her old number finds nobody');
select is((select (summary, outcome)::text from crm.interaction), '(,)', 'interaction summary and outcome gone');
select is((select phone from crm.call_record), null, 'the call record''s number gone');
select is((select (subject, description)::text from crm.service_case), '(erased,)', 'case subject and description gone');
select is((select note from crm.case_status_history), null, 'case notes gone');
select is((select note from crm.task), null, 'task notes gone');
select is((select comment from crm.survey_response), null, 'survey comments gone');
select is((select note from crm.sales_order), null, 'order notes gone');
select is((select (name, email, phone)::text from crm.lead), '("Erased customer",,)', 'the lead pseudonymised');
select is((select array_agg(distinct detail::text) from crm.audit_log where entity = 'customer' and entity_id = (select id::text from erin) and action <> 'erase'),
    '{"{\"erased\": true}"}', 'the audit entries about her keep who and when, not what');
select is((select count(*)::int from crm.audit_log where entity = 'customer' and entity_id = (select id::text from erin) and action = 'erase'), 1,
    'the erasure is audited');
select is((select (revenue, gross_margin)::text from report.product_profitability), (select product from before), 'product figures unchanged');
select is((select sum(revenue)::text from crm.customer_month_summary), (select months from before), 'customer rollups unchanged');
select is(crm.order_json((select id from crm.sales_order))::jsonb - 'version', (select ord from before), 'the order unchanged');
select is((select position('erin' in lower(crm.export_customer((select id from erin))::text))), 0, 'the export after erasure names her nowhere');
select is((select e->>'customers' from (select crm.erase_customer((select id from erin), true)::jsonb as e) x), '0', 'erasing again changes nothing');
select is(pg_temp.error_of('update crm.audit_log set detail = ''{"rewritten": 1}'' where entity = ''customer'''), 'CR403 : ',
    'an audit entry may be blanked, never rewritten');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000026b1', true);
select is(pg_temp.error_of(format('select crm.export_customer(%s)', (select id from erin))), 'CR404 id: ', 'another unit cannot export her');

-- Consent per channel where contacts are generated ------------------------------------------------
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000026c1', true);
select set_config('crm.app_role', 'manager', true);
insert into crm.customer (tenant_id, name, phones, emails, consent) values
    (crm.current_tenant(), 'Phone yes', '{+4930269001}', '{}', '{"phone": true}'),
    (crm.current_tenant(), 'Phone no', '{+4930269002}', '{}', '{"phone": false, "visit": false}'),
    (crm.current_tenant(), 'Nothing said', '{+4930269003}', '{}', '{}'),
    (crm.current_tenant(), 'Email yes', '{}', '{ey@priv.example}', '{"email": true, "visit": true}'),
    (crm.current_tenant(), 'Mail yes', '{}', '{}', '{"mail": true, "email": false}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'PC', 'Product', 10.00, 4.00);
insert into crm.campaign (tenant_id, name) values (crm.current_tenant(), 'Follow-up');
-- Everyone bought 30 days ago (the care call is due today; the call list's 30-day window).
select crm.create_order(c.id, null, null, jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 1)),
    'confirmed', now() - interval '30 days 1 hour') from crm.customer c;
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select crm.current_tenant(), c.id, extract(year from now())::int, 'A', 6 from crm.customer c;
select crm.run_task_rules();

select is(array(select c.name from crm.task t join crm.customer c on c.id = t.customer_id where t.kind = 'care_call' order by 1),
    '{"Phone yes"}', 'care calls: only to who said yes to phone');
select is(array(select c.name from crm.task t join crm.customer c on c.id = t.customer_id where t.kind = 'greeting' order by 1),
    '{"Email yes","Mail yes"}', 'greetings: only to who said yes to email or mail');
select is(array(select c.name from crm.task t join crm.customer c on c.id = t.customer_id where t.kind = 'visit' order by 1),
    '{"Email yes"}', 'top-tier visits: only to who said yes to visits');
select is(array(select name from crm.campaign_call_list((select id from crm.campaign), (select id from crm.product), 30, 7, false, true) order by 1),
    '{"Phone yes"}', 'the campaign call list: only who said yes to phone');
select is(array(select c.name from crm.task t join crm.customer c on c.id = t.customer_id where t.rule_key like 'campaign:%' order by 1),
    '{"Phone yes"}', 'and its call tasks too');
select is(crm.may_contact('{"phone": "true"}', 'phone'), false, 'consent is a JSON true, not a string');

select * from finish();
rollback;
