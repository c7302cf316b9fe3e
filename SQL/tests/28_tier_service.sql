-- Tier-based service (SQL/repeatable/47_tier_service.sql): the tier_service setting is checked and
-- merged tier by tier; orders.create and quotes.create take the tier's discount off the list price
-- of lines without a price of their own and show the discount and the delivery promise; a unit
-- without rules, a customer without a tier and a tier without a rule get exactly what they got before.
begin;
select plan(23);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000028a1', 'tier-a', 'A'), ('00000000-0000-0000-0000-0000000028b1', 'tier-none', 'B');

create function pg_temp.settings_error(p jsonb) returns text language plpgsql as $$
declare
    v_detail text;
    v_hint text;
    v_state text;
begin
    perform crm.update_settings(p);
    return 'ok';
exception when others then
    get stacked diagnostics v_detail = pg_exception_detail, v_hint = pg_exception_hint, v_state = returned_sqlstate;
    return v_state || ' ' || coalesce(substr(v_detail, 7), '-') || ': ' || coalesce(v_hint, '-');
end $$;
grant execute on function pg_temp.settings_error(jsonb) to crm_unit;

set local role crm_unit;
select set_config('crm.app_role', 'manager', true);

-- A unit without rules: list prices, no tier service, whatever the customer's tier.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000028b1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Plain');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 9.99, 4.00);
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select crm.current_tenant(), id, extract(year from now())::int, 'A', 1 from crm.customer;
create temp table plain as select api.orders_create((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 3)), null, null, null)::jsonb as o;
select is((select (o->'lines'->0->>'unit_price', o->>'total', o->'tier_service')::text from plain), '(9.99,29.97,null)',
    'no rule: the list price, as before');
select is((select (service_tier, discount_percent, discount_amount, delivery_days)::text from crm.sales_order), '(,,,)', 'and nothing recorded');

-- The setting: checked member by member.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000028a1', true);
select is(pg_temp.settings_error('{"tier_service": {"E": {"discount_percent": 5}}}'), 'CR422 tier_service.E: is not a customer tier (A, B, C, D)', 'an unknown tier');
select is(pg_temp.settings_error('{"tier_service": {"A": {"discount_percent": 150}}}'), 'CR422 tier_service.A.discount_percent: must be between 0 and 100', 'a discount over 100%');
select is(pg_temp.settings_error('{"tier_service": {"A": {"discount_percent": 1.234}}}'), 'CR422 tier_service.A.discount_percent: has more than 2 decimals', 'three decimals');
select is(pg_temp.settings_error('{"tier_service": {"A": {"delivery_days": 1.5}}}'), 'CR422 tier_service.A.delivery_days: must be a whole number', 'half a day');
select is(pg_temp.settings_error('{"tier_service": {"A": {"colour": "gold"}}}'), 'CR422 tier_service.A.colour: is not a member of a tier rule (discount_percent, delivery_days)', 'an unknown member');
select is(pg_temp.settings_error('{"tier_service": [1]}'), 'CR422 tier_service: must be an object of customer tiers (A, B, C, D), each {"discount_percent": ..., "delivery_days": ...}', 'not an object');
select is(crm.update_settings('{"tier_service": {"A": {"discount_percent": 12.5, "delivery_days": 2}, "C": {"delivery_days": 9}}}')::jsonb->'tier_service',
    '{"A": {"discount_percent": 12.5, "delivery_days": 2}, "C": {"delivery_days": 9}}', 'rules for A and C');
select is(crm.update_settings('{"tier_service": {"B": {"delivery_days": 5}, "C": null}}')::jsonb->'tier_service',
    '{"A": {"discount_percent": 12.5, "delivery_days": 2}, "B": {"delivery_days": 5}}', 'B added, C removed, A kept');
select is((select detail #> '{changed,tier_service}' from crm.audit_log where entity = 'settings'
             and detail #> '{changed,tier_service,to}' ? 'B'),
    '{"from": {"A": {"discount_percent": 12.5, "delivery_days": 2}, "C": {"delivery_days": 9}},
      "to": {"A": {"discount_percent": 12.5, "delivery_days": 2}, "B": {"delivery_days": 5}}}', 'the change is audited');
select set_config('crm.app_role', 'agent', true);
select is(pg_temp.settings_error('{"tier_service": null}'), 'CR403 : ', 'an agent may not change it');
select set_config('crm.app_role', 'manager', true);

-- Alice tier A (12.5%, 2 days), Bob tier B (no discount, 5 days), Carl no tier, Dan tier D (no rule).
insert into crm.customer (tenant_id, name) select crm.current_tenant(), n from unnest('{Alice,Bob,Carl,Dan}'::text[]) n;
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 9.99, 4.00);
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select crm.current_tenant(), c.id, extract(year from now())::int, x.tier, 1
  from crm.customer c join (values ('Alice', 'A'), ('Bob', 'B'), ('Dan', 'D')) x(name, tier) on x.name = c.name;
-- A tier of last year does not count.
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select crm.current_tenant(), c.id, extract(year from now())::int - 1, 'A', 1 from crm.customer c where c.name = 'Carl';

create function pg_temp.order_for(p_name text, p_lines jsonb) returns jsonb language sql as $$
    select api.orders_create((select id from crm.customer where name = p_name), null, null, p_lines, null, '2026-06-10 15:00+00', null)::jsonb
$$;
grant execute on function pg_temp.order_for(text, jsonb) to crm_unit;
create temp table lines as select jsonb_build_array(jsonb_build_object('product_id', (select id::text from crm.product where tenant_id = crm.current_tenant()), 'quantity', 3),
                                                    jsonb_build_object('product_id', (select id::text from crm.product where tenant_id = crm.current_tenant()), 'quantity', 1, 'unit_price', 7.50)) as l;
grant select on lines to crm_unit;

-- Alice: 9.99 less 12.5% = 8.74125 -> 8.74 for the 3 units (discount 3 x 1.25 = 3.75); the line with
-- its own price 7.50 keeps it. Total 26.22 + 7.50 = 33.72. Delivery by June 12.
create temp table alice as select pg_temp.order_for('Alice', (select l from lines)) as o;
select is((select array(select x->>'unit_price' from jsonb_array_elements(o->'lines') x) from alice), '{8.74,7.50}', 'Alice: tier A price, her own price kept');
select is((select o->>'total' from alice), '33.72', 'Alice: total');
select is((select o->'tier_service' from alice),
    '{"tier": "A", "discount_percent": "12.5", "discount": "3.75", "delivery_days": 2, "deliver_by": "2026-06-12"}', 'Alice: the discount and the promise shown');
select is((select api.orders_get((o->>'id')::bigint)::jsonb->'tier_service' from alice), (select o->'tier_service' from alice), 'orders.get shows it too');
select is((select sum(revenue) from crm.customer_month_summary s join crm.customer c on c.tenant_id = s.tenant_id and c.id = s.customer_id where c.name = 'Alice'),
    33.72::numeric, 'the rollups count what she pays');
select is((select (o->'lines'->0->>'unit_price', o->'tier_service')::text from (select pg_temp.order_for('Bob', (select l from lines)) as o) x),
    '(9.99,"{""tier"": ""B"", ""discount"": ""0.00"", ""deliver_by"": ""2026-06-15"", ""delivery_days"": 5, ""discount_percent"": ""0""}")',
    'Bob: list price, delivery in 5 days');
select is((select (o->>'total', o->'tier_service')::text from (select pg_temp.order_for('Carl', (select l from lines)) as o) x), '(37.47,null)',
    'Carl, without a tier this year: as before');
select is((select (o->>'total', o->'tier_service')::text from (select pg_temp.order_for('Dan', (select l from lines)) as o) x), '(37.47,null)',
    'Dan, of a tier without a rule: as before');

-- quotes.create: the same rule; the quote keeps it when accepted.
create temp table quote as select api.quotes_create((select id from crm.customer where name = 'Alice'), null, null, null, (select l from lines), null)::jsonb as q;
select is((select (q->>'status', q->>'total', q->'tier_service'->>'discount')::text from quote), '(quoted,33.72,3.75)', 'a quote for Alice: tier A prices');
select is((select (a->>'status', a->>'total', a->'tier_service'->>'discount')::text from (select api.quotes_accept((q->>'id')::bigint)::jsonb as a from quote) x),
    '(confirmed,33.72,3.75)', 'accepted, it keeps them');
select throws_ok($$select crm.create_order(1, null, null, '[]', 'confirmed', now(), null)$$, 'CR404', 'customer 1 not found',
    'an unknown customer is still not found, with rules');

select * from finish();
rollback;
