-- RFM, goals, product profitability, commissions and CRM ROI with figures computed by hand.
begin;
select plan(13);

insert into crm.tenant (id, slug, name, settings) values ('00000000-0000-0000-0000-0000000000e1', 'rfm-a', 'A',
    '{"crm_roi": {"implementation_per_customer": 10, "upkeep_per_customer": 5, "staff_per_customer": 3,
                  "hardware_per_customer": 1, "training_per_customer": 0.5, "upgrades_per_customer": 0.5, "success_rate": 0.25}}');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000e1', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Repeat Rita'), (crm.current_tenant(), 'Once Olaf');
insert into crm.staff (tenant_id, name, team) values (crm.current_tenant(), 'Seller', 'sales');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);
insert into crm.commission_rate (tenant_id, tier, rate) values (crm.current_tenant(), 'A', 0.05);

create temp table buy (who text, day date, qty int) on commit drop;
-- Rita: day 0 (Jan 1) 2 units, Jan 1 again 1 unit (same period), Jan 11 3 units, Jan 31 5 units.
-- Olaf: Jan 21 4 units. As of Feb 10. A cancelled order of Rita on Feb 1 does not count.
insert into buy values ('Repeat Rita', '2026-01-01', 2), ('Repeat Rita', '2026-01-01', 1), ('Repeat Rita', '2026-01-11', 3),
                       ('Repeat Rita', '2026-01-31', 5), ('Once Olaf', '2026-01-21', 4);
select crm.create_order((select id from crm.customer where name = b.who), (select id from crm.staff), null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', b.qty)),
    'confirmed', b.day::timestamptz + interval '10 hours') from buy b;
select crm.set_order_status(crm.create_order((select id from crm.customer where name = 'Repeat Rita'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 9)), 'confirmed', '2026-02-01 10:00+00'),
    'cancelled');

-- Days: Rita's periods are Jan 1 (30), Jan 11 (30), Jan 31 (50) -> frequency 2, recency 30 days,
-- T = Feb 10 - Jan 1 = 40 days, monetary = mean(30, 50) = 40. Olaf: 0, 0, 20, 0.
select is((select frequency from report.rfm('2026-02-10') r join crm.customer c on c.id = r.customer_id where c.name = 'Repeat Rita'), 2, 'Rita: two repeat days');
select is((select recency from report.rfm('2026-02-10') r join crm.customer c on c.id = r.customer_id where c.name = 'Repeat Rita'), 30, 'Rita: 30 days first to last');
select is((select t from report.rfm('2026-02-10') r join crm.customer c on c.id = r.customer_id where c.name = 'Repeat Rita'), 40, 'Rita: T = 40 days');
select is((select monetary_value from report.rfm('2026-02-10') r join crm.customer c on c.id = r.customer_id where c.name = 'Repeat Rita'), 40.00::numeric, 'Rita: mean of the repeat days 30 and 50');
select is((select (frequency, recency, t, monetary_value)::text from report.rfm('2026-02-10') r join crm.customer c on c.id = r.customer_id where c.name = 'Once Olaf'),
    '(0,0,20,0)', 'Olaf: one purchase, T = 20 days, no repeat value');
-- Weeks (Monday-based): Jan 1 2026 is a Thursday in the week of Dec 29; Jan 11 (Sunday) in the week of Jan 5;
-- Jan 31 in the week of Jan 26; Feb 10 in the week of Feb 9. Periods 0, 1, 4; as of 6.
select is((select (frequency, recency, t)::text from report.rfm('2026-02-10', 'week') r join crm.customer c on c.id = r.customer_id where c.name = 'Repeat Rita'),
    '(2,4,6)', 'Rita in weeks: 2 repeats, recency 4, T 6');
select is((select count(*)::int from report.rfm('2026-01-05') r), 1, 'as of Jan 5 only Rita had bought');

-- Goals: revenue of Jan: 30 + 30 + 50 + 40 = 150 against 300; the cancelled order does not count.
insert into crm.goal (tenant_id, metric, target, period_start, period_end, staff_id)
values (crm.current_tenant(), 'revenue', 300, '2026-01-01', '2026-01-31', (select id from crm.staff));
select is((select (revenue, attainment)::text from report.sales_vs_quota), '(150.00,0.5000)', 'quota: 150 of 300');

-- Product: 15 units sold, revenue 150, cost 60, margin 90, margin rate 0.6 (tier A).
select is((select (units_sold, revenue, gross_margin, margin_rate, profit_tier)::text from report.product_profitability),
    '(15.000,150.00,90.00,0.6000,A)', 'product profitability from the lines');
select is((select sum(commission) from report.staff_commission), 7.50::numeric, 'commission 5% of 150 in tier A');

-- CRM ROI, independent of today's date: a second unit with the same inputs, whose sales are dated
-- from now. Two customers -> cost 20 x 2 = 40. In the last 12 months: Rita's 5 units a month ago
-- (margin 30); outside them: Olaf's 10 units 13 months ago (margin 60, which does not count).
-- Return 30 x 25% = 7.50, net of cost 40: -32.50.
reset role;
insert into crm.tenant (id, slug, name, settings)
select '00000000-0000-0000-0000-0000000000e2', 'rfm-roi', 'ROI', settings from crm.tenant where slug = 'rfm-a';
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000e2', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Repeat Rita'), (crm.current_tenant(), 'Once Olaf');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);
select crm.create_order((select id from crm.customer where name = x.who), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', x.qty)), 'confirmed', x.at)
  from (values ('Repeat Rita', 5, now() - interval '1 month'), ('Once Olaf', 10, now() - interval '13 months')) x(who, qty, at);
select is((select (customers, cost_per_customer, crm_cost)::text from report.crm_roi), '(2,20.0,40.00)', 'CRM cost: 20 per customer x 2');
select is((select (gross_margin_per_customer, crm_return, net_return, roi)::text from report.crm_roi),
    '(15.00,7.50,-32.50,-0.8125)', 'return: margin of the last 12 months 30 x 25% = 7.50 (13 months ago does not count), net of cost 40');
-- The customers come from the kept per-stage counts: a new customer counts, a merged one does not.
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Dup Rita'), (crm.current_tenant(), 'New Nina');
select crm.merge_customers((select id from crm.customer where name = 'Repeat Rita'), (select id from crm.customer where name = 'Dup Rita'));
select is((select customers from report.crm_roi), (select count(*) from crm.customer where merged_into is null),
    'customers: the ones not merged into another (3 of 4)');

select * from finish();
rollback;
