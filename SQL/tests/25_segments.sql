-- Segments: the rule compiler (each field and operator against customers worked by hand, all /
-- any / not, customers without sales, merged customers never members), bad rules named by path,
-- values never SQL text, consent per channel on every list, segment task rules, daily sizes and
-- isolation between units.
begin;
select plan(47);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000000f1', 'seg-a', 'A'),
    ('00000000-0000-0000-0000-0000000000f2', 'seg-b', 'B');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f1', true);
select set_config('crm.app_role', 'manager', true);

-- Ann: loyal, Berlin, email and phone, a suite and golf; 6 x P1 (100, cost 60) this month: spend 600, margin 240.
-- Bob: active, Vienna, phone only (email false); 4 x P2 (50, cost 10): spend 200, margin 160. Tier B.
-- Cid: lapsed, no address, email only, no phone number; never bought.
-- Dee: loyal, email (phone false); never bought.  Eve: merged into Ann, never a member.
-- (Ann accepts visits too: the top-tier visit rule asks consent.visit.)
insert into crm.customer (tenant_id, name, emails, phones, address, consent, preferences, lifecycle_stage) values
    (crm.current_tenant(), 'Ann', '{ann@x.de}', '{+4930111}', '{"country": "DE", "city": "Berlin"}', '{"email": true, "phone": true, "visit": true}',
     '{"room": "suite", "hobbies": ["golf", "wine"]}', 'loyal'),
    (crm.current_tenant(), 'Bob', '{bob@x.at}', '{+431222}', '{"country": "AT", "city": "Wien"}', '{"email": false, "phone": true}',
     '{"room": "single"}', 'active'),
    (crm.current_tenant(), 'Cid', '{cid@x.de}', '{}', null, '{"email": true, "phone": true}', '{}', 'lapsed'),
    (crm.current_tenant(), 'Dee', '{dee@x.de}', '{+4930444}', null, '{"email": true, "phone": false}', '{}', 'loyal'),
    (crm.current_tenant(), 'Eve', '{eve@x.de}', '{+4930555}', '{"country": "DE"}', '{"email": true, "phone": true}', '{}', 'loyal');
update crm.customer set merged_into = (select id from crm.customer where name = 'Ann') where name = 'Eve';
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'P1', 'P1', 100, 60), (crm.current_tenant(), 'P2', 'P2', 50, 10);
select crm.create_order((select id from crm.customer where name = 'Ann'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 6)));
select crm.create_order((select id from crm.customer where name = 'Bob'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 4)));
reset role;
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select c.tenant_id, c.id, extract(year from now())::int, case c.name when 'Ann' then 'A' else 'B' end, 1
  from crm.customer c where c.tenant_id = '00000000-0000-0000-0000-0000000000f1' and c.name in ('Ann', 'Bob');
set local role crm_unit;

-- The names of the members, in name order.
create function pg_temp.members(p_rules jsonb, p_channel text default null) returns text language sql as $$
    select coalesce(string_agg(c.name, ',' order by c.name), '')
      from crm.segment_member_ids(p_rules, null, null, p_channel) m(id) join crm.customer c on c.tenant_id = crm.current_tenant() and c.id = m.id
$$;
-- A bad rule's SQLSTATE, field and reason.
create function pg_temp.rule_error(p_rules jsonb) returns text language plpgsql as $$
declare
    d text;
    h text;
begin
    perform crm.segment_compile(p_rules);
    return 'no error';
exception when others then
    get stacked diagnostics d = pg_exception_detail, h = pg_exception_hint;
    return sqlstate || ' ' || d || ' ' || h;
end $$;

select is(pg_temp.members('{"field": "spend", "op": ">=", "value": "500"}'), 'Ann', 'spend of the last 12 months >= 500');
select is(pg_temp.members('{"field": "spend", "op": "<", "value": 300}'), 'Bob,Cid,Dee', 'spend < 300 counts customers without a sale (0); never the merged one');
select is(pg_temp.members('{"field": "spend", "op": "between", "value": [150, 250], "period_months": 1}'), 'Bob', 'spend between, this month');
select is(pg_temp.members('{"field": "margin", "op": ">=", "value": 200}'), 'Ann', 'margin 240 and 160');
select is(pg_temp.members('{"field": "orders", "op": "=", "value": 1}'), 'Ann,Bob', 'one order each');
select is(pg_temp.members('{"field": "orders", "op": "=", "value": 0}'), 'Cid,Dee', 'no order');
select is(pg_temp.members('{"field": "rfm_score", "score": "m", "op": ">=", "value": 2}'), 'Ann', 'monetary quintiles of two buyers: Bob 1, Ann 2');
select is(pg_temp.members('{"field": "rfm_score", "score": "r", "op": "<", "value": 1}'), 'Cid,Dee', 'no sale in the period scores 0');
select is(pg_temp.members('{"field": "tier", "op": "in", "value": ["A", "B"]}'), 'Ann,Bob', 'tier from this year''s snapshot');
select is(pg_temp.members('{"field": "tier", "op": "!=", "value": "A"}'), 'Bob,Cid,Dee', 'not tier A includes the untiered');
select is(pg_temp.members('{"field": "lifecycle_stage", "op": "in", "value": ["loyal"]}'), 'Ann,Dee', 'lifecycle stage');
select is(pg_temp.members('{"field": "country", "op": "not_in", "value": ["DE"]}'), 'Bob,Cid,Dee', 'region: no address is not in DE');
select is(pg_temp.members('{"field": "city", "op": "=", "value": "Berlin"}'), 'Ann', 'city');
select is(pg_temp.members('{"field": "preference", "key": "hobbies", "op": "contains", "value": "golf"}'), 'Ann', 'a preference list contains a value');
select is(pg_temp.members('{"field": "preference", "key": "room", "op": "exists"}'), 'Ann,Bob', 'a preference is known');
select is(pg_temp.members('{"field": "consent", "channel": "email", "op": "=", "value": false}'), 'Bob', 'no email consent');
select is(pg_temp.members(jsonb_build_object('field', 'products_bought', 'op', 'any_of', 'value', jsonb_build_array((select id::text from crm.product where sku = 'P2')))),
    'Bob', 'bought P2');
select is(pg_temp.members(jsonb_build_object('field', 'products_bought', 'op', 'none_of', 'value', jsonb_build_array((select id::text from crm.product where sku = 'P2')))),
    'Ann,Cid,Dee', 'never bought P2');
select is(pg_temp.members('{"field": "last_purchase", "op": "within_days", "value": 30}'), 'Ann,Bob', 'bought within 30 days');
select is(pg_temp.members('{"field": "last_purchase", "op": "never"}'), 'Cid,Dee', 'never bought');
select is(pg_temp.members('{"all": [{"field": "tier", "op": "in", "value": ["A", "B"]}, {"field": "consent", "channel": "email", "op": "=", "value": true}]}'),
    'Ann', 'all: tier A or B and email consent');
select is(pg_temp.members('{"any": [{"field": "lifecycle_stage", "op": "=", "value": "loyal"}, {"field": "spend", "op": "between", "value": [100, 250]}]}'),
    'Ann,Bob,Dee', 'any: a row condition or a rollup');
select is(pg_temp.members('{"not": {"any": [{"field": "tier", "op": "=", "value": "A"}, {"field": "last_purchase", "op": "never"}]}}'),
    'Bob', 'not of any');
select is(pg_temp.members('{"all": [{"not": {"field": "spend", "op": ">", "value": 500}}, {"any": [{"field": "city", "op": "=", "value": "Wien"}, {"field": "tier", "op": "=", "value": "A"}]}]}'),
    'Bob', 'nested: all of not and any');

-- Values stay values: a quote in a value is a country nobody has, and no value is in the SQL text.
select is(pg_temp.members('{"field": "country", "op": "=", "value": "DE'') or true or (''x"}'), '', 'a value with quotes matches nothing');
select ok(position('Berlin' in (crm.segment_compile('{"field": "city", "op": "=", "value": "Berlin"}')).sql) = 0
          and (crm.segment_compile('{"field": "city", "op": "=", "value": "Berlin"}')).vals = '[["Berlin"]]', 'the value is bound, not in the statement');

select is(pg_temp.rule_error('{"all": [{"field": "tier", "op": "in", "value": ["A"]}, {"field": "shoe_size", "op": "=", "value": 1}]}'),
    'CR422 field=rules.all[1].field unknown_field', 'an unknown field is named by its path');
select is(pg_temp.rule_error('{"any": [{"field": "spend", "op": "~", "value": 1}]}'), 'CR422 field=rules.any[0].op unknown_op', 'an unknown operator');
select is(pg_temp.rule_error('{"field": "tier", "op": "in", "value": ["Z"]}'), 'CR422 field=rules.value bad_value', 'a tier that does not exist');
select is(pg_temp.rule_error('{"field": "spend", "op": ">", "value": "1.234"}'), 'CR422 field=rules.value bad_value', 'an amount with three decimals');
select is(pg_temp.rule_error('{"field": "spend", "op": ">", "value": 1, "period_months": 0}'), 'CR422 field=rules.period_months out_of_range', 'a period of no months');
select is(pg_temp.rule_error('{"field": "city", "op": "=", "value": "X", "sql": "drop"}'), 'CR422 field=rules.sql unknown_key', 'an unknown key');
select is(pg_temp.rule_error('{"field": "products_bought", "op": "any_of", "value": ["1"]}'), 'CR422 field=rules.value[0] unknown_product', 'a product of no one');
select is(pg_temp.rule_error('{"not": {"not": {"not": {"not": {"not": {"not": {"field": "city", "op": "=", "value": "X"}}}}}}}'),
    'CR422 field=rules.not.not.not.not.not.not too_deep', 'seven levels are too deep');
select is(pg_temp.rule_error(jsonb_build_object('any', (select jsonb_agg('{"field": "city", "op": "=", "value": "X"}'::jsonb) from generate_series(1, 50)))),
    'CR422 field=rules.any[49] too_many_rules', 'at most 50 nodes');
select is(pg_temp.rule_error('{"field": "rfm_score", "score": "x", "op": "=", "value": 1}'), 'CR422 field=rules.score bad_value', 'an RFM score is r, f or m');
select is(pg_temp.rule_error('{"all": []}'), 'CR422 field=rules.all bad_value', 'an empty all');

-- Consent on every channel's list: Cid has no phone number, Dee said no to phone, Bob to email.
select is(pg_temp.members('{"not": {"field": "lifecycle_stage", "op": "=", "value": "prospect"}}', 'phone'), 'Ann,Bob', 'the call list: phone consent and a number');
select is(pg_temp.members('{"not": {"field": "lifecycle_stage", "op": "=", "value": "prospect"}}', 'email'), 'Ann,Cid,Dee', 'the mailing list: email consent');
select is(pg_temp.members('{"not": {"field": "lifecycle_stage", "op": "=", "value": "prospect"}}', 'mail'), '', 'nobody accepts mail');

-- A segment's task rule: a call every 7 days for members who accept phone calls, once per period.
insert into crm.segment (tenant_id, name, rules, task_rule) values
    (crm.current_tenant(), 'loyal', '{"field": "lifecycle_stage", "op": "in", "value": ["loyal", "active", "lapsed"]}',
     '{"kind": "call", "channel": "phone", "every_days": 7}');
-- Rules that no longer check (written around the API) are skipped by the job, not fatal to it.
insert into crm.segment (tenant_id, name, rules, task_rule) values
    (crm.current_tenant(), 'broken', '{"field": "shoe_size", "op": "=", "value": 42}', '{"kind": "call", "channel": "phone", "every_days": 7}');
select is(crm.run_segment_task_rules(), 2, 'Ann and Bob get a call; Cid (no number) and Dee (no consent) none');
select is(crm.run_segment_task_rules(), 0, 'and only once in the period');
select is(crm.run_task_rules(), 1, 'the task rules run them too: only Ann''s top-tier visit is new');

select is(crm.snapshot_segment_sizes(), 1, 'one segment counted today');
select is((select members from report.segment_size where segment = 'loyal'), 4, 'report.segment_size: Ann, Bob, Cid, Dee');
select is((select count(*)::int from report.segment_size where segment = 'broken'), 0, 'the broken segment has no size');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f2', true);
select is((select count(*)::int from crm.segment) + (select count(*)::int from report.segment_size)
          + (select count(*)::int from crm.segment_member_ids('{"field": "lifecycle_stage", "op": "=", "value": "loyal"}', null, null)),
          0, 'another unit sees no segment, no size and none of the first unit''s customers');

select * from finish();
rollback;
