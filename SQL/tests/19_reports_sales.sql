-- Sales reports (issue 19): basket affinity, existing versus new customers, referrals, adoption
-- and the sales forecast. Figures worked out by hand below. Units: s-a basket, s-b empty (sees
-- nothing), s-c customers and referrals, s-d forecast and adoption.
begin;
select plan(30);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-000000001901', 's-a', 'A'), ('00000000-0000-0000-0000-000000001902', 's-b', 'B'),
    ('00000000-0000-0000-0000-000000001903', 's-c', 'C'), ('00000000-0000-0000-0000-000000001904', 's-d', 'D');
set local role crm_unit;

---------------------------------------------------------------------------------------------------
-- Basket affinity (s-a). Product ids are opaque, so which of two products is product_a (the lower
-- id) is not known beforehand: the checks below name pairs by their sorted names. Orders 10 days ago:
--   o1 A B | o2 A B C | o3 A C C (C on two lines: counts once) | o4 B | o5 A B D
-- plus A B cancelled, and A B 400 days ago: outside the window, neither counts.
-- Orders 5. With A: o1 o2 o3 o5 = 4; with B: o1 o2 o4 o5 = 4; with C: o2 o3 = 2; with D: 1.
-- Pairs: AB o1 o2 o5 = 3; AC o2 o3 = 2; BC, AD, BD 1 each: below basket_min_orders 2, not kept.
--   AB: support 3/5 = 0.600000, confidence A->B 3/4 = 0.7500, B->A 3/4 = 0.7500, lift 3*5/(4*4) = 0.9375
--   AC: support 2/5 = 0.400000, confidence A->C 2/4 = 0.5000, C->A 2/2 = 1.0000, lift 2*5/(4*2) = 1.2500
---------------------------------------------------------------------------------------------------
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001901', true);
insert into crm.product (tenant_id, sku, name, list_price, unit_cost)
select crm.current_tenant(), s, 'Product ' || s, 10, 5 from unnest(array['A', 'B', 'C', 'D']) s;
select crm.create_customer('{"name": "Basket"}');
create temporary table basket (n int, skus text[], status text, days int) on commit drop;
insert into basket values (1, '{A,B}', 'confirmed', 10), (2, '{A,B,C}', 'confirmed', 10), (3, '{A,C,C}', 'confirmed', 10),
                          (4, '{B}', 'confirmed', 10), (5, '{A,B,D}', 'confirmed', 10), (6, '{A,B}', 'quoted', 10),
                          (7, '{A,B}', 'confirmed', 400);
select crm.create_order((select id from crm.customer where name = 'Basket'), null, null,
           (select jsonb_agg(jsonb_build_object('product_id', p.id, 'quantity', 1) order by x.o)
              from unnest(b.skus) with ordinality x(sku, o) join crm.product p on p.sku = x.sku),
           b.status, now() - make_interval(days => b.days))
  from basket b order by b.n;
-- order 6 stays a quote (not a sale); cancel nothing else.

select is(crm.refresh_basket_pairs(), 2, 'the refresh keeps two pairs (AB, AC)');
select is(crm.refresh_basket_pairs(), null, 'a second refresh within the day is skipped');
create temporary view pair_named with (security_invoker = true) as
select least(r.product_a_name, r.product_b_name) || '+' || greatest(r.product_a_name, r.product_b_name) as pair,
       case when r.product_a_name < r.product_b_name then r.confidence_a_to_b else r.confidence_b_to_a end as confidence_first_to_second,
       case when r.product_a_name < r.product_b_name then r.confidence_b_to_a else r.confidence_a_to_b end as confidence_second_to_first,
       r.*
  from report.basket_affinity r;
select is((select (orders_together, orders_with_a + orders_with_b, orders_total, support, confidence_first_to_second, confidence_second_to_first, lift)::text
             from pair_named where pair = 'Product A+Product B'),
          '(3,8,5,0.600000,0.7500,0.7500,0.9375)', 'A and B: support 0.6, confidence 0.75 both ways, lift 0.9375');
select is((select (orders_together, support, confidence_first_to_second, confidence_second_to_first, lift)::text
             from pair_named where pair = 'Product A+Product C'),
          '(2,0.400000,0.5000,1.0000,1.2500)', 'A and C: every order with C holds A, lift 1.25');
select is((select json_array_length(report.basket_affinity_json(null, 10)->'pairs')), 2, 'reports.basket_affinity: both pairs above the default support');
select is((select least(x->>'product_a_name', x->>'product_b_name') || '+' || greatest(x->>'product_a_name', x->>'product_b_name')
             from (select report.basket_affinity_json(null, 10)->'pairs'->0 as x) j), 'Product A+Product C', 'highest lift first');
select is((select least(x->>'product_a_name', x->>'product_b_name') || '+' || greatest(x->>'product_a_name', x->>'product_b_name')
             from (select report.basket_affinity_json(0.5, 10)->'pairs'->0 as x) j)
          || '/' || (select json_array_length(report.basket_affinity_json(0.5, 10)->'pairs')), 'Product A+Product B/1',
          'a minimum support of 0.5 leaves A and B only');
select is((select (report.basket_affinity_json(null, 10)->>'orders_total')), '5', 'the answer names the orders counted');

---------------------------------------------------------------------------------------------------
-- Existing versus new (s-c). Product P: price 100, cost 60, margin 40 a unit.
--   Old:    2025-01-15 1 P; 2026-02-10 3 P
--   Border: 2025-02-20 1 P; 2026-02-12 1 P; 2026-03-05 2 P
--   New:    2026-02-05 2 P; 2026-03-06 1 P
-- Existing in a month = a sale before its first day a year earlier:
--   2026-02 (before 2025-02-01): Old existing (300 revenue, 120 margin); Border new (first sale
--     2025-02-20 is not before 2025-02-01: 100, 40); New new (200, 80).
--     -> existing 1 / 300 / 120, new 2 / 300 / 120, existing share 120 / 240 = 0.5000
--   2026-03 (before 2025-03-01): Border existing (200, 80); New new (100, 40).
--     -> existing 1 / 200 / 80, new 1 / 100 / 40, share 80 / 120 = 0.6667
--   The year 2026 by the year's definition (first sale before the year): Old and Border existing
--     (2026 revenue 300 + 300 = 600, margin 120 + 120 = 240); New new (300, 120); share 240 / 360
--     = 0.6667. The months summed give a different split (500 / 200 against 400 / 160: Border's
--     February counts as new), which is what reports.existing_vs_new's total shows.
---------------------------------------------------------------------------------------------------
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001903', true);
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'P', 100, 60);
select crm.create_customer('{"name": "Old"}');
-- Referrals through the customer functions: Border names Old when created, New is updated to.
select is((crm.create_customer(jsonb_build_object('name', 'Border', 'referred_by', (select id from crm.customer where name = 'Old')::text))->>'referred_by'),
          (select id from crm.customer where name = 'Old')::text, 'customers.create records who referred the customer');
select crm.create_customer('{"name": "New"}');
select is((crm.update_customer((select id from crm.customer where name = 'New'), 1,
                               jsonb_build_object('referred_by', (select id from crm.customer where name = 'Old')::text))->>'referred_by'),
          (select id from crm.customer where name = 'Old')::text, 'customers.update sets it');
select crm.create_customer(jsonb_build_object('name', 'Zed', 'referred_by', (select id from crm.customer where name = 'Border')::text));
select throws_ok(format($$select crm.update_customer(%s, 1, '{"referred_by": "%s"}')$$,
                        (select id from crm.customer where name = 'Old'), (select id from crm.customer where name = 'Old')),
                 'CR422', null, 'a customer cannot refer itself');
select throws_ok($$select crm.create_customer('{"name": "Stray", "referred_by": "1"}')$$, 'CR404', null,
                 'a referrer must be a customer of the unit');

select crm.create_order((select id from crm.customer where name = v.who), null, null,
           jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P'), 'quantity', v.qty)),
           'confirmed', v.at::timestamptz)
  from (values ('Old', 1, '2025-01-15 10:00+00'), ('Old', 3, '2026-02-10 10:00+00'),
               ('Border', 1, '2025-02-20 10:00+00'), ('Border', 1, '2026-02-12 10:00+00'), ('Border', 2, '2026-03-05 10:00+00'),
               ('New', 2, '2026-02-05 10:00+00'), ('New', 1, '2026-03-06 10:00+00')) as v(who, qty, at);

select is((select (existing_customers, existing_revenue, existing_gross_margin, new_customers, new_revenue, new_gross_margin,
                   existing_share_of_margin)::text from report.existing_vs_new_monthly where month = '2026-02-01'),
          '(1,300.00,120.00,2,300.00,120.00,0.5000)', 'February 2026: Old is existing, Border (first sale 2025-02-20) still new');
select is((select (existing_customers, existing_gross_margin, new_customers, new_gross_margin, existing_share_of_margin)::text
             from report.existing_vs_new_monthly where month = '2026-03-01'),
          '(1,80.00,1,40.00,0.6667)', 'March 2026: Border has become existing');
select is((select (existing_customers, existing_revenue, existing_gross_margin, new_customers, new_revenue, new_gross_margin,
                   existing_share_of_margin)::text from report.existing_vs_new_yearly where year = 2026),
          '(2,600.00,240.00,1,300.00,120.00,0.6667)', '2026: the customers of before 2026 earned 240 of 360');
select is((select (existing_customers, new_customers, new_gross_margin, existing_share_of_margin)::text
             from report.existing_vs_new_yearly where year = 2025),
          '(0,2,80.00,)', '2025: only new customers');
select is((select report.existing_vs_new_json(2026)->'total'->>'existing_share_of_margin')
          || '/' || (select json_array_length(report.existing_vs_new_json(2026)->'months')), '0.5556/2',
          'reports.existing_vs_new: the year''s total and its two months');

-- Referrals: Old referred Border and New. Border: 3 orders, revenue 100 + 100 + 200 = 400, margin
-- 40 + 40 + 80 = 160; New: 2 orders, 300, 120. Together 2 buyers, 5 orders, 700, 280; Old's own
-- margin 40 + 120 = 160. Border referred Zed, who bought nothing.
select is((select (referred_customers, referred_buyers, referred_orders, referred_revenue, referred_gross_margin, referrer_gross_margin)::text
             from report.referral_value where referrer_name = 'Old'),
          '(2,2,5,700.00,280.00,160.00)', 'Old''s referrals brought 280 of margin, more than Old himself');
select is((select (referred_customers, referred_buyers, referred_gross_margin)::text from report.referral_value where referrer_name = 'Border'),
          '(1,0,0.00)', 'Border referred one customer who has not bought');
select is((select report.referrals_json(10)->0->>'referrer_name'), 'Old', 'reports.referrals: most referred margin first');

---------------------------------------------------------------------------------------------------
-- Adoption (s-d). Keys created 30 days ago: Ann manager (k1), Bob agent (k2), Cy agent (k3); Dee
-- agent (k4) created 90 and revoked 60 days ago. Ann and Bob log in this week; Cy's use is on
-- record for the week two weeks back.
--   this week: manager keys 1, active 1 (1.0000); agent keys 2 (k2, k3), active 1 (0.5000)
--   two weeks back: manager 1 key, 0 active (0.0000); agent 2 keys, 1 active (k3: 0.5000)
---------------------------------------------------------------------------------------------------
reset role;
insert into crm.principal (id, kind, tenant_id, app_role, display_name) values
    ('00000000-0000-0000-0000-0000000019a1', 'unit', '00000000-0000-0000-0000-000000001904', 'manager', 'Ann'),
    ('00000000-0000-0000-0000-0000000019a2', 'unit', '00000000-0000-0000-0000-000000001904', 'agent', 'Bob'),
    ('00000000-0000-0000-0000-0000000019a3', 'unit', '00000000-0000-0000-0000-000000001904', 'agent', 'Cy'),
    ('00000000-0000-0000-0000-0000000019a4', 'unit', '00000000-0000-0000-0000-000000001904', 'agent', 'Dee');
insert into crm.api_key (id, principal_id, key_hash, prefix, created_at, revoked_at) values
    ('00000000-0000-0000-0000-0000000019b1', '00000000-0000-0000-0000-0000000019a1', sha256('adopt-k1'), 'k1', now() - interval '30 days', null),
    ('00000000-0000-0000-0000-0000000019b2', '00000000-0000-0000-0000-0000000019a2', sha256('adopt-k2'), 'k2', now() - interval '30 days', null),
    ('00000000-0000-0000-0000-0000000019b3', '00000000-0000-0000-0000-0000000019a3', sha256('adopt-k3'), 'k3', now() - interval '30 days', null),
    ('00000000-0000-0000-0000-0000000019b4', '00000000-0000-0000-0000-0000000019a4', sha256('adopt-k4'), 'k4', now() - interval '90 days', now() - interval '60 days');
-- Logins record the week (twice for Ann: one row).
select count(*) from crm.authenticate('adopt-k1');
select count(*) from crm.authenticate('adopt-k1');
select count(*) from crm.authenticate('adopt-k2');
insert into crm.api_key_week (tenant_id, week, key_id, principal_id, app_role) values
    ('00000000-0000-0000-0000-000000001904', date_trunc('week', now() at time zone 'UTC')::date - 14,
     '00000000-0000-0000-0000-0000000019b3', '00000000-0000-0000-0000-0000000019a3', 'agent');
select is((select count(*)::int from crm.api_key_week where tenant_id = '00000000-0000-0000-0000-000000001904'), 3,
          'a login records its key once per week');

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001904', true);
select is((select array_agg((role, keys, users, active_keys, active_users, active_key_share)::text order by role)
             from report.adoption_weekly where week = date_trunc('week', now() at time zone 'UTC')::date),
          array['(agent,2,2,1,1,0.5000)', '(manager,1,1,1,1,1.0000)'], 'this week: half the agents and the manager');
select is((select array_agg((role, keys, active_keys, active_key_share)::text order by role)
             from report.adoption_weekly where week = date_trunc('week', now() at time zone 'UTC')::date - 14),
          array['(agent,2,1,0.5000)', '(manager,1,0,0.0000)'], 'two weeks back: Dee''s revoked key is not counted');
select is((select json_array_length(report.adoption_json(4))), 4, 'reports.adoption: two roles in each of two weeks');

---------------------------------------------------------------------------------------------------
-- Forecast (s-d). Pipeline: a quote of 2 x Q at 100 = 200.00 (probability 0.40 -> 80.00); a deal
-- registered by a partner for 3 x Q at list price 100 = 300.00 (0.10 -> 30.00); weighted 110.00.
-- With forecast_probability.quote = 0.5 the quote weighs 100.00.
-- Run rate: sales 3 months back (1 x Q: revenue 100, cost 50) and last month (5 x Q: 500, 250):
-- basis 3 months (from the first month with a sale), per month 2 / 3 = 0.7 orders, 600 / 3 = 200.00
-- revenue, 300 / 3 = 100.00 margin.
---------------------------------------------------------------------------------------------------
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'Q', 'Q', 100, 50);
select crm.create_customer('{"name": "Buyer"}');
select crm.create_order((select id from crm.customer where name = 'Buyer'), null, null,
           jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'Q'), 'quantity', v.qty)),
           v.status, v.at)
  from (values (2, 'quoted', now()),
               (1, 'confirmed', date_trunc('month', now()) - interval '3 months' + interval '5 days'),
               (5, 'confirmed', date_trunc('month', now()) - interval '1 month' + interval '5 days')) as v(qty, status, at);
reset role;
insert into crm.partner (id, slug, name) values ('00000000-0000-0000-0000-0000000019f1', 's-partner', 'Partner');
insert into crm.partner_grant (tenant_id, partner_id) values ('00000000-0000-0000-0000-000000001904', '00000000-0000-0000-0000-0000000019f1');
insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_company)
values ('00000000-0000-0000-0000-000000001904', '00000000-0000-0000-0000-0000000019f1', 'Prospect', 'Prospect Ltd');
insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
select d.tenant_id, d.id, p.id, 3 from crm.deal d join crm.product p on p.tenant_id = d.tenant_id and p.sku = 'Q'
 where d.tenant_id = '00000000-0000-0000-0000-000000001904';
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001904', true);

select is((select array_agg((stage, items, value, probability, weighted_value)::text order by stage) from report.sales_pipeline),
          array['(deal_registered,1,300.00,0.10,30.00)', '(quote,1,200.00,0.40,80.00)'], 'pipeline: a quote and a deal, weighted');
select is((select report.sales_forecast_json(6)->>'weighted_pipeline'), '110.00', 'weighted pipeline 80 + 30');
select is((select (basis_months, forecast_orders, forecast_revenue, forecast_gross_margin)::text from report.sales_run_rate
            where month = (date_trunc('month', now() at time zone 'UTC') + interval '1 month')::date),
          '(3,0.7,200.00,100.00)', 'run rate: 600 of revenue over 3 months is 200 a month');
select is((select json_array_length(report.sales_forecast_json(6)->'run_rate')), 6, 'reports.sales_forecast: six months ahead');
reset role;
update crm.tenant set settings = settings || '{"forecast_probability": {"quote": 0.5}}' where slug = 's-d';
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001904', true);
select is((select weighted_value from report.sales_pipeline where stage = 'quote'), 100.00, 'a unit setting overrides the quote probability');

-- Another unit sees none of it.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-000000001902', true);
select is((select count(*)::int from report.basket_affinity) + (select count(*)::int from report.existing_vs_new_monthly)
        + (select count(*)::int from report.referral_value) + (select count(*)::int from report.adoption_weekly)
        + (select count(*)::int from report.sales_pipeline) + (select count(*)::int from report.sales_run_rate), 0,
          'another unit sees no basket, customer, referral, adoption or forecast row');

select * from finish();
rollback;
