-- Customer-lifetime prediction (issue 19): the model table's isolation, the hypergeometric
-- function, and report.customer_prediction's scores for a unit whose model has fixed parameters
-- (the published CDNOW estimates, BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426 and
-- Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44), so every figure can be checked without a fit.
-- The expected figures were computed with lifetimes 0.11.3 (BetaGeoFitter and GammaGammaFitter
-- with params_ set to these values; conditional_probability_alive,
-- conditional_expected_number_of_purchases_up_to_time, conditional_expected_average_profit) on
-- summary_data_from_transaction_data of the same purchases, weeks, as of 2026-06-30, and by hand
-- where noted. The fit itself is tested in Swift (PQTests, CRMServerTests).
begin;
select plan(37);

-- The table -------------------------------------------------------------------------------------
select ok((select relrowsecurity and relforcerowsecurity from pg_class where oid = 'crm.customer_prediction_model'::regclass),
          'crm.customer_prediction_model: row-level security enabled and forced');
select is((select array_agg(a.attname order by k.n) from pg_constraint c, unnest(c.conkey) with ordinality k(attnum, n)
             join pg_attribute a on a.attrelid = 'crm.customer_prediction_model'::regclass and a.attnum = k.attnum
            where c.conrelid = 'crm.customer_prediction_model'::regclass and c.contype = 'p'),
          array['tenant_id']::name[], 'one model per unit, keyed by tenant_id');
select ok(not has_table_privilege('crm_viewer', 'crm.customer_prediction_model', 'INSERT, UPDATE, DELETE'), 'viewers write no model');
select ok(not has_function_privilege('crm_viewer', 'crm.save_customer_prediction_model(text, date, int, int, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, text)', 'EXECUTE'),
          'viewers cannot store a model');

-- report.hyp2f1 -----------------------------------------------------------------------------------
-- 2F1(1, 1; 2; z) = -ln(1-z)/z: at z = 1/2, 2 ln 2.
select ok(abs(report.hyp2f1(1, 1, 2, 0.5) - 2 * ln(2)) < 1e-14, '2F1(1,1;2;1/2) = 2 ln 2');
-- 2F1(a, b; b; z) = (1-z)^-a.
select ok(abs(report.hyp2f1(2.5, 3, 3, 0.9) - power(0.1, -2.5)) < 1e-9 * power(0.1, -2.5), '2F1(a,b;b;z) = (1-z)^-a near z = 1');
-- scipy.special.hyp2f1: direct series (c-a-b > 0), Euler's form (c-a-b < 0), negative z.
select ok(abs(report.hyp2f1(2.5, 1.5, 4.2, 0.9) - 4.815638717610724) < 1e-12, '2F1(2.5,1.5;4.2;0.9) as scipy');
select ok(abs(report.hyp2f1(2.5, 1.5, 3.2, 0.9) - 11.432540171549501) < 1e-11, '2F1(2.5,1.5;3.2;0.9) as scipy (Euler''s transformation)');
select ok(abs(report.hyp2f1(0.3, -0.7, 1.9, -0.6) - 1.0639760209650897) < 1e-14, '2F1(0.3,-0.7;1.9;-0.6) as scipy');
-- The scale: 2F1(1500, 2; 2; 1/2) = 2^1500 is beyond double precision, 2^-1500 times it is 1.
select ok(abs(report.hyp2f1(1500, 2, 2, 0.5, 1500 * ln(0.5)) - 1) < 1e-9, 'a scaled result whose unscaled value would overflow');
select throws_ok($$select report.hyp2f1(1, 1, 2, 1)$$, '22003', null, 'z = 1 is outside the series'' domain');

-- Fixture: unit P with four customers, unit Q with one, unit N whose fit failed -------------------
insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000017a1', 'pred-p', 'P'),
                                               ('00000000-0000-0000-0000-0000000017a2', 'pred-q', 'Q'),
                                               ('00000000-0000-0000-0000-0000000017a3', 'pred-n', 'N');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000017a1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Anna'), (crm.current_tenant(), 'Bert'),
                                                  (crm.current_tenant(), 'Carl'), (crm.current_tenant(), 'Dora');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 1.00, 0.50);
create temp table buy (who text, day date, qty int) on commit drop;
-- Weeks start on Monday; 2026-06-30 is in the week of 2026-06-29, 25 weeks after 2026-01-05.
-- Anna: weeks 0 (10), 4 (30), 13 (50)          -> x = 2, t_x = 13, T = 25, m = (30 + 50)/2 = 40.
-- Bert: week 8 (25)                             -> x = 0, t_x = 0,  T = 17, m = 0.
-- Carl: weeks 0..4, 20 each, and 5 more on the Wednesday of week 1 (one period: 25)
--                                               -> x = 4, t_x = 4,  T = 25, m = (25 + 20 + 20 + 20)/4 = 21.25.
-- Dora: only after the model's date, and a cancelled order before it -> not scored.
insert into buy values ('Anna', '2026-01-05', 10), ('Anna', '2026-02-02', 30), ('Anna', '2026-04-06', 50),
                       ('Bert', '2026-03-02', 25),
                       ('Carl', '2026-01-05', 20), ('Carl', '2026-01-12', 20), ('Carl', '2026-01-14', 5), ('Carl', '2026-01-19', 20),
                       ('Carl', '2026-01-26', 20), ('Carl', '2026-02-02', 20),
                       ('Dora', '2026-07-01', 40);
select crm.create_order((select id from crm.customer where name = b.who), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', b.qty)),
    'confirmed', b.day::timestamptz + interval '10 hours') from buy b;
select crm.set_order_status(crm.create_order((select id from crm.customer where name = 'Dora'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 9)), 'confirmed', '2026-03-01 10:00+00'),
    'cancelled');

select is(crm.customer_prediction_period(), 'week', 'a unit without a model fits in weeks');
select is((select array_agg(row(frequency, recency, t, monetary_value)::text order by frequency)
             from crm.customer_prediction_inputs('week', '2026-06-30')),
          array['(0,0,17,0)', '(2,13,25,40.00)', '(4,4,25,21.25)'], 'the fit reads the unit''s weekly RFM as of the date');

-- Storing is for the scheduled job (no principal), managers and directors.
select set_config('crm.principal_id', '00000000-0000-0000-0000-0000000017ee', true);
select set_config('crm.app_role', 'agent', true);
select throws_ok($$select crm.save_customer_prediction_model('week', '2026-06-30', 3, 2, 0.243, 4.414, 0.793, 2.426, -1, 6.25, 3.74, 15.44, null)$$,
                 'CR403', null, 'an agent cannot store a model');
select set_config('crm.principal_id', '', true);
select set_config('crm.app_role', '', true);
select lives_ok($$select crm.save_customer_prediction_model('week', '2026-06-30', 3, 2, 0.243, 4.414, 0.793, 2.426, -1, 6.25, 3.74, 15.44, null)$$,
                'the scheduled job stores a model');
select is(crm.customer_prediction_period(true), 'week', 'a model older than today is due for a refit');

-- Scores ----------------------------------------------------------------------------------------
create temp table score on commit drop as
select c.name, p.* from report.customer_prediction(10) p join crm.customer c on c.id = p.customer_id;
grant select on score to crm_unit, crm_viewer;
select is((select string_agg(name, ',' order by name) from score), 'Anna,Bert,Carl', 'every customer with a sale by the date, no other');
-- Anna by hand: 1 / (1 + 0.793/3.426 · (29.414/17.414)^2.243) = 1 / (1 + 0.23146 · 3.2407) = 0.57140.
select ok(abs((select p_alive from score where name = 'Anna') - 0.571397015738257) < 1e-12, 'Anna: P(alive) 0.5714');
select ok(abs((select expected_purchases from score where name = 'Anna') - 0.4035567090275904) < 1e-12, 'Anna: 0.4036 purchases in 10 weeks');
select is((select (expected_avg_value, expected_value)::text from score where name = 'Anna'), '(39.14,15.80)',
          'Anna: mean value 6.25 (15.44 + 2·40)/(6.25·2 + 2.74) = 39.14; times 0.4036 = 15.80');
select is((select p_alive from score where name = 'Bert'), 1::double precision, 'Bert never repeated: alive by the model');
select ok(abs((select expected_purchases from score where name = 'Bert') - 0.10637026995130745) < 1e-12, 'Bert: 0.1064 purchases in 10 weeks');
select is((select expected_avg_value from score where name = 'Bert'), 35.22, 'Bert: the population mean 6.25 · 15.44 / 2.74 = 35.22');
select ok(abs((select p_alive from score where name = 'Carl') - 0.03269495174884347) < 1e-12, 'Carl: five busy weeks then silence, P(alive) 0.0327');
select ok(abs((select expected_purchases from score where name = 'Carl') - 0.04314783617731022) < 1e-12, 'Carl: 0.0431 purchases in 10 weeks');
select is((select (expected_avg_value, expected_value)::text from score where name = 'Carl'), '(22.63,0.98)', 'Carl: 22.63 a purchase, 0.98 expected');
select is((select array_agg(row(c.name, round(v.expected_purchases::numeric, 6), v.expected_value)::text order by c.name)
             from report.customer_prediction v join crm.customer c on c.id = v.customer_id),
          array['(Anna,1.070232,41.89)', '(Bert,0.288203,10.15)', '(Carl,0.112466,2.55)'], 'the view: 30 weeks');

-- The page: by id, limited, customer ids as strings.
select is((select count(*)::int from report.customer_prediction_page(10, 0, 2)), 2, 'a page holds at most its limit');
select is((select array_agg(key order by key::bigint) from report.customer_prediction_page(10, 0, 10)),
          (select array_agg(customer_id::text order by customer_id) from score), 'pages run by customer id');
select is((select count(*)::int from report.customer_prediction_page(10, (select max(customer_id) from score), 10)), 0, 'nothing after the last');
select is((select json::jsonb->>'customer_id' from report.customer_prediction_page(10, 0, 1)), (select min(customer_id)::text from score),
          'the JSON carries the id as a string');

-- Another unit sees no model and no scores; a failed fit says why.
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000017a2', true);
select is((select count(*)::int from crm.customer_prediction_model), 0, 'unit Q sees no other unit''s model');
select throws_ok($$select * from report.customer_prediction_page(30, 0, 10)$$, 'CR404',
                 'no customer prediction model for this unit yet: the scheduled job fits one daily, or call reports.refresh_prediction',
                 'a unit never fitted is told so');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000017a3', true);
select crm.save_customer_prediction_model('week', current_date, 0, 0, null, null, null, null, null, null, null, null, 'BG/NBD not fitted: too few customers');
select is(crm.customer_prediction_period(true), null, 'a model as of today is not refitted the same day');
select throws_ok($$select * from report.customer_prediction_page(30, 0, 10)$$, 'CR404',
                 'no customer prediction model for this unit: BG/NBD not fitted: too few customers', 'a failed fit gives its reason');

-- Viewers read the scores; reporters read every unit's.
set local role crm_viewer;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000017a1', true);
select is((select count(*)::int from report.customer_prediction), 3, 'a viewer reads the unit''s scores');
reset role;
set local role crm_reporter;
select set_config('crm.tenant_id', '', true);
select is((select array_agg(distinct tenant) from report.customer_prediction where tenant like 'pred-%'), array['pred-p'], 'a reporter reads every unit''s scores (P''s; N has no fit)');

select * from finish();
rollback;
