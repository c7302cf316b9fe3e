-- Profit reports with figures computed by hand: tiers follow margin, not volume.
begin;
select plan(17);

insert into crm.tenant (id, slug, name, settings) values
    ('00000000-0000-0000-0000-0000000000d1', 'prof-a', 'A', '{"customer_tiers": {"A": 0.5, "B": 0.9}}'),
    ('00000000-0000-0000-0000-0000000000d2', 'prof-b', 'B', '{}');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000d1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Volume Vic'), (crm.current_tenant(), 'Margin Mia'),
                                                  (crm.current_tenant(), 'Small Sam');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'LOW', 'Low margin', 100.00, 95.00), (crm.current_tenant(), 'HIGH', 'High margin', 100.00, 40.00);

-- 2025: Vic buys 50 x LOW: revenue 5000, cost 4750, margin 250.
--       Mia buys 10 x HIGH: revenue 1000, cost 400, margin 600.
--       Sam buys  2 x HIGH in March and 1 x HIGH in April: margins 120 and 60.
-- 2025 unit margin = 250 + 600 + 180 = 1030.
select crm.create_order((select id from crm.customer where name = 'Volume Vic'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'LOW'), 'quantity', 50)), 'confirmed', '2025-03-10');
select crm.create_order((select id from crm.customer where name = 'Margin Mia'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 10)), 'confirmed', '2025-03-11');
select crm.create_order((select id from crm.customer where name = 'Small Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 2)), 'confirmed', '2025-03-12');
select crm.create_order((select id from crm.customer where name = 'Small Sam'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'HIGH'), 'quantity', 1)), 'confirmed', '2025-04-02');

select is((select gross_margin from report.customer_profit_yearly y join crm.customer c on c.id = y.customer_id
            where c.name = 'Volume Vic' and year = 2025), 250.00::numeric, 'Vic: 5000 revenue - 4750 cost = 250');
select is((select share_of_unit_margin from report.customer_profit_yearly y join crm.customer c on c.id = y.customer_id
            where c.name = 'Margin Mia' and year = 2025), 0.582524::numeric, 'Mia: 600 / 1030 of the unit''s margin');
select is((select margin_rate from report.customer_profit_yearly y join crm.customer c on c.id = y.customer_id
            where c.name = 'Volume Vic' and year = 2025), 0.0500::numeric, 'Vic''s margin rate 250 / 5000');
select is((select gross_margin_change from report.customer_profit_monthly m join crm.customer c on c.id = m.customer_id
            where c.name = 'Small Sam' and month = '2025-04-01'), -60.00::numeric, 'Sam: April 60 against March 120');
select is((select share_of_unit_margin from report.customer_profit_monthly m join crm.customer c on c.id = m.customer_id
            where c.name = 'Small Sam' and month = '2025-04-01'), 1.000000::numeric, 'Sam earned all of April''s margin');

-- The yearly rollup is the monthly one summed per year, kept by the trigger.
select is((select array_agg(row(customer_id, revenue, cost, orders)::text order by customer_id) from crm.customer_year_summary where year = 2025),
          (select array_agg(row(customer_id, revenue, cost, orders)::text order by customer_id) from
              (select customer_id, sum(revenue) as revenue, sum(cost) as cost, sum(orders)::int as orders
                 from crm.customer_month_summary where month >= '2025-01-01' and month < '2026-01-01' group by customer_id) m),
          'the yearly rollup equals the monthly rollup summed per year');
select is((select row(revenue, cost, orders, gross_margin)::text from crm.customer_year_summary y join crm.customer c on c.id = y.customer_id
            where c.name = 'Small Sam' and year = 2025), '(300.00,120.00,2,180.00)', 'Sam''s year: 300 revenue, 120 cost, two orders, 180 margin');

-- The tier report reads the snapshot: nothing until a refresh (or the first reports.customer_tiers call).
select is((select count(*)::int from report.customer_tier where year = 2026), 0, 'no tiers before the first refresh');
select is(crm.refresh_customer_tiers(2026), 3, 'the refresh tiers the three buyers of 2025');
create temporary table tier_rows as select customer_id, ctid::text as at from crm.customer_tier_snapshot;
select is(crm.refresh_customer_tiers(2026), 3, 'a second refresh finds the same three');
select is((select count(*)::int from crm.customer_tier_snapshot s join tier_rows r using (customer_id) where s.ctid::text = r.at), 3,
          'and rewrites none of the unchanged rows');

-- Tiers for 2026 by 2025 margin: Mia first (share before 0 < 0.5: A), Vic next (600/1030 = 0.58 < 0.9: B),
-- Sam last (850/1030 = 0.825 < 0.9: B). Vic spent five times Mia's revenue and still ranks below her.
select is((select tier from report.customer_tier t join crm.customer c on c.id = t.customer_id
            where c.name = 'Margin Mia' and year = 2026), 'A', 'the high-margin buyer is tier A');
select is((select tier from report.customer_tier t join crm.customer c on c.id = t.customer_id
            where c.name = 'Volume Vic' and year = 2026), 'B', 'the low-margin big spender is only tier B');
select is((select share_before from report.customer_tier t join crm.customer c on c.id = t.customer_id
            where c.name = 'Small Sam' and year = 2026), 0.825243::numeric, 'Sam: (600 + 250) / 1030 earned above him');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000d2', true);
select is((select count(*)::int from report.customer_profit_monthly) + (select count(*)::int from report.customer_tier), 0,
    'another unit sees none of these figures');
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'B buyer');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'B', 'B', 10, 5);
select crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 1)), 'confirmed', '2025-05-05');

reset role;
set local role crm_reporter;
select set_config('crm.tenant_id', '', true);
select is((select array_agg(distinct tenant order by tenant) from report.customer_profit_yearly where tenant like 'prof-%'),
    array['prof-a', 'prof-b'], 'crm_reporter sees every unit in the report views');
select set_config('crm.tenant', 'prof-b', true);
select is((select array_agg(distinct tenant) from report.customer_profit_yearly), array['prof-b'], 'and SET crm.tenant narrows it');

select * from finish();
rollback;
