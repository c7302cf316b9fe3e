-- report.explain (reports.explain): for one row of a report, the figure, its source rows, the
-- formula, and the figure recomputed from the sources. Figures worked out by hand below.
begin;
select plan(23);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000024a1', 'explain-a', 'A'), ('00000000-0000-0000-0000-0000000024b1', 'explain-b', 'B');
insert into crm.staff (tenant_id, name) values ('00000000-0000-0000-0000-0000000024a1', 'Sue');
-- Commission rates: tier A 10 %, tier C 1 %.
insert into crm.commission_rate (tenant_id, tier, rate) values
    ('00000000-0000-0000-0000-0000000024a1', 'A', 0.10), ('00000000-0000-0000-0000-0000000024a1', 'C', 0.01);
set local role crm_unit;
select from set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000024a1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Vic'), (crm.current_tenant(), 'Mia'), (crm.current_tenant(), 'Sam');
-- HIGH: margin rate (100 - 40) / 100 = 0.6 >= 0.40: tier A. LOW: 5 / 100 = 0.05 < 0.20: tier C.
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'LOW', 'Low margin', 100.00, 95.00), (crm.current_tenant(), 'HIGH', 'High margin', 100.00, 40.00);
create temp table ids as select (crm.create_campaign('{"name": "Spring"}')->>'id')::bigint as campaign;
select from crm.record_campaign_cost((select campaign from ids), 'mail', 'printing', 100, null, null, null);

-- 2025, sold by Sue: Vic 50 x LOW (revenue 5000, cost 4750, margin 250),
--                    Mia 10 x HIGH through the campaign (revenue 1000, cost 400, margin 600).
-- Sam, no staff: 2 x HIGH on 12 March (200 / 80), 1 x LOW on 20 March (100 / 95), 1 x HIGH on 2 April (100 / 40).
select from crm.create_order((select id from crm.customer where name = 'Vic'), (select id from crm.staff), null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'LOW'), 'quantity', 50)), 'confirmed', '2025-03-10');
select from crm.create_order((select id from crm.customer where name = 'Mia'), (select id from crm.staff), (select campaign from ids),
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 10)), 'confirmed', '2025-03-11');
select from crm.create_order((select id from crm.customer where name = 'Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 2)), 'confirmed', '2025-03-12');
select from crm.create_order((select id from crm.customer where name = 'Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'LOW'), 'quantity', 1)), 'confirmed', '2025-03-20');
select from crm.create_order((select id from crm.customer where name = 'Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 1)), 'confirmed', '2025-04-02');
-- A quote is no sale: it must not appear among the sources.
select from crm.create_order((select id from crm.customer where name = 'Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 9)), 'quoted', '2025-03-15');

-- Profit contribution, Sam, March 2025: revenue 200 + 100 = 300, cost 80 + 95 = 175, margin 125, from two lines.
create temp table e as select report.explain('profit_contribution',
    jsonb_build_object('customer_id', (select id from crm.customer where name = 'Sam')::text, 'month', '2025-03'))::jsonb as j;
select is((select j->'figure' from e), '{"revenue": 300.00, "cost": 175.00, "gross_margin": 125.00}'::jsonb, 'Sam''s March: 300 - 175 = 125');
select is((select jsonb_array_length(j->'sources') from e), 2, 'from the two sale lines of March (the quote is not one)');
select is((select array_agg(x->>'sku' order by x->>'ordered_at') from e, jsonb_array_elements(j->'sources') x), '{HIGH,LOW}',
          'the lines in order: 2 x HIGH on the 12th, 1 x LOW on the 20th');
select is((select (j->'recomputed'->>'gross_margin')::numeric from e), 125.00, 'recomputed from the lines: 125');
select is((select (j->>'matches')::boolean from e), true, 'the rollup matches its lines');

-- Tier for 2026 by 2025 margins: Mia 600, Vic 250, Sam 125 + 60 = 185; unit 1035. Sam ranks last:
-- margin above = 850, share 850 / 1035 = 0.821256 >= 0.8: tier C (default thresholds 0.5 / 0.8).
select from crm.refresh_customer_tiers(2026);
create temp table t as select report.explain('tier',
    jsonb_build_object('customer_id', (select id from crm.customer where name = 'Sam')::text, 'year', 2026))::jsonb as j;
select is((select j->'figure'->>'tier' from t), 'C', 'Sam''s tier in the report: C');
select is((select (j->'sources'->>'unit_gross_margin')::numeric from t), 1035.00, 'the unit''s 2025 margin: 600 + 250 + 185');
select is((select (j->'sources'->>'margin_ranked_above')::numeric from t), 850.00, 'ranked above Sam: Mia 600 + Vic 250');
select is((select (j->'sources'->>'share_before')::numeric from t), 0.821256, 'share before: 850 / 1035');
select is((select (j->>'matches')::boolean from t), true, 'the tier recomputed from the sources is the report''s');
select is((select report.explain('tier', jsonb_build_object('customer_id', (select id from crm.customer where name = 'Mia')::text,
                                                                  'year', 2026))::jsonb->'figure'->>'tier'), 'A', 'Mia: nothing above her, tier A');

-- Commission, Sue, March 2025: tier A 1000 x 0.10 = 100, tier C 5000 x 0.01 = 50; 150 in all.
create temp table c as select report.explain('commission',
    jsonb_build_object('staff_id', (select id from crm.staff)::text, 'month', '2025-03'))::jsonb as j;
select is((select (j->'figure'->>'commission')::numeric from c), 150.00, 'Sue''s March commission: 100 + 50');
select is((select array_agg((x->>'product_tier') || ':' || (x->>'commission') order by x->>'sku') from c, jsonb_array_elements(j->'sources') x),
          '{A:100.00,C:50.00}', 'per product: HIGH is tier A (100), LOW tier C (50)');
select is((select (j->>'matches')::boolean from c), true, 'recomputed from the products sold: 150');

-- Campaign ROI: cost 100 (the ledger), Mia's order 600 margin: (600 - 100) / 100 = 5.
create temp table r as select report.explain('campaign_roi', jsonb_build_object('campaign_id', (select campaign from ids)::text))::jsonb as j;
select is((select (j->'figure'->>'roi')::numeric from r), 5.0000, 'the campaign''s ROI: (600 - 100) / 100');
select is((select jsonb_array_length(j->'sources'->'orders') from r), 1, 'one attributed order');
select is((select (j->>'matches')::boolean from r), true, 'recomputed from the ledger and the orders');

-- RFM, Sam, as of 2025-04-30 in days: purchase days 12 Mar (200), 20 Mar (100), 2 Apr (100).
-- frequency 3 - 1 = 2, recency 21 days, T 49 days, monetary value mean(100, 100) = 100.
create temp table f as select report.explain('rfm', jsonb_build_object('customer_id', (select id from crm.customer where name = 'Sam')::text,
                                                                       'as_of', '2025-04-30'))::jsonb as j;
select is((select j->'figure' from f), '{"frequency": 2, "recency": 21, "t": 49, "monetary_value": 100.00}'::jsonb, 'Sam''s RFM');
select is((select (j->>'matches')::boolean from f), true, 'recomputed from the three purchase days');

-- Errors a client can act on; another unit sees nothing of A.
select throws_ok($$select report.explain('margin', '{}')$$, 'CR422', null, 'an unknown report is refused, naming the choices');
select throws_ok($$select report.explain('profit_contribution', '{"month": "2025-03"}')$$, 'CR422', null, 'a missing key field is named');
select throws_ok($$select report.explain('profit_contribution', '{"customer_id": "1", "month": "March"}')$$, 'CR422', null,
                 'a month not written YYYY-MM is refused');
create temp table sam as select id from crm.customer where name = 'Sam';
select from set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000024b1', true);
select throws_ok(format($$select report.explain('profit_contribution', '{"customer_id": "%s", "month": "2025-03"}')$$,
                        (select id from sam)), 'CR404', null,
                 'unit B cannot have A''s customer explained');

select * from finish();
rollback;
