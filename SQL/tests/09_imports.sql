-- The set-based imports (crm.import_customers, _products, _orders, _leads) as the CLI calls them:
-- a staging table with one text column per column of the kind, filled here with INSERTs, the
-- function called as crm_unit in the unit. Bad rows with each reason, duplicates against the unit
-- and inside the file, re-runs that import nothing twice, and the sales rollups after an import
-- equal, figure for figure, those of the same orders made through crm.create_order in another unit.
begin;
select plan(24);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000009a1', 'imp-a', 'Imported'),
                                               ('00000000-0000-0000-0000-0000000009a2', 'imp-b', 'Made one by one');
set local role crm_unit;
select set_config('crm.tenant', 'imp-a', true);

-- Customers ------------------------------------------------------------------------------------
insert into crm.customer (tenant_id, name, emails, phones) values (crm.current_tenant(), 'Known', '{known@imp.example}', '{+493011111111}');
create temp table import_stage (line int primary key, name text, email text, phone text, company text, branch text, segment text,
    street text, city text, postcode text, country text, lifecycle_stage text, reason text, linked boolean not null default false);
insert into import_stage (line, name, email, phone, city, lifecycle_stage) values
    (2, 'Anna', 'Anna@Imp.example ', '030 2222222', 'Berlin', null),
    (3, 'Bert', 'bert@imp.example', null, null, 'loyal'),
    (4, null, 'nobody@imp.example', null, null, null),
    (5, repeat('x', 201), 'long@imp.example', null, null, null),
    (6, 'Bad Mail', 'not-an-email', null, null, null),
    (7, 'Bad Phone', 'ok@imp.example', '12', null, null),
    (8, 'Bad Stage', 'stage@imp.example', null, null, 'sleeping'),
    (9, 'Known Again', 'KNOWN@imp.example', null, null, null),
    (10, 'Known Phone', null, '+49 30 11111111', null, null),
    (11, 'Anna Twin', 'anna@imp.example', null, null, null),
    (12, 'Bert Phone Twin', 'other@imp.example', '0302222222', null, null),
    (13, 'Carl', null, '+49 30 3333333', null, null);
select is((select array_agg(row(line, reason)::text order by line) from crm.import_customers()),
    array['(4,"name is required")', '(5,"name is longer than 200 characters")', '(6,"email is not an email address")',
          '(7,"phone is not a phone number")', '(8,"lifecycle_stage is not a known stage")',
          format('(9,"duplicate of customer %s")', (select id from crm.customer where name = 'Known')),
          format('(10,"duplicate of customer %s")', (select id from crm.customer where name = 'Known')),
          '(11,"duplicate of line 2")', '(12,"duplicate of line 2")'],
    'customers: every bad row with its reason, duplicates of the unit and of earlier lines');
select is((select string_agg(name || ':' || emails::text || phones::text || coalesce(address->>'city', '-') || ':' || lifecycle_stage, ' ' order by name)
             from crm.customer where name <> 'Known'),
    'Anna:{anna@imp.example}{+49302222222}Berlin:prospect Bert:{bert@imp.example}{}-:loyal Carl:{}{+49303333333}-:prospect',
    'the good rows are customers, normalised');
select is((select count(*)::int from crm.customer_contact k join crm.customer c on c.id = k.customer_id where c.name in ('Anna', 'Bert', 'Carl')), 4,
    'with their contact index rows');
select is((select count(*)::int from crm.import_customers() where reason like 'duplicate of customer %'), 7,
    're-run: every row that was imported or matched the unit is now a duplicate of a customer');
select is((select count(*)::int from crm.customer), 4, 'and nothing is imported twice');
drop table pg_temp.import_stage;

-- Products -------------------------------------------------------------------------------------
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'OLD', 'Old', 5, 1);
create temp table import_stage (line int primary key, sku text, name text, list_price text, unit_cost text, description text,
    product_group text, active text, surplus text, warranty_months text, reason text, linked boolean not null default false);
insert into import_stage (line, sku, name, list_price, unit_cost, active, surplus, warranty_months) values
    (2, 'P1', 'High margin', '100.00', '20.00', null, 'yes', '24'),
    (3, 'P2', 'Low margin', '1.01', '0.99', 'no', null, null),
    (4, null, 'No sku', '1', '1', null, null, null),
    (5, 'P3', null, '1', '1', null, null, null),
    (6, 'P4', 'Bad price', 'x', '1', null, null, null),
    (7, 'P5', 'Bad cost', '1', '1.234', null, null, null),
    (8, 'P6', 'Bad active', '1', '1', 'maybe', null, null),
    (9, 'P7', 'Bad surplus', '1', '1', null, 'often', null),
    (10, 'P8', 'Bad warranty', '1', '1', null, null, 'ever'),
    (11, 'OLD', 'Exists', '1', '1', null, null, null),
    (12, 'P1', 'Twin', '1', '1', null, null, null);
select is((select array_agg(row(line, reason)::text order by line) from crm.import_products()),
    array['(4,"sku is required")', '(5,"name is required")', '(6,"list_price is not an amount")', '(7,"unit_cost is not an amount")',
          '(8,"active is not true or false")', '(9,"surplus is not true or false")', '(10,"warranty_months is not a number of months")',
          '(11,"sku OLD exists already")', '(12,"duplicate of line 2")'],
    'products: every bad row with its reason, existing SKUs and earlier lines');
select is((select string_agg(row(sku, list_price, unit_cost, active, surplus, warranty_months)::text, ' ' order by sku) from crm.product),
    '(OLD,5.00,1.00,t,f,) (P1,100.00,20.00,t,t,24) (P2,1.01,0.99,f,f,)', 'the good rows are products');
select is((select count(*)::int from crm.import_products() where reason like 'sku % exists already'), 4, 're-run: the SKUs exist already, the twin of line 2 included');
drop table pg_temp.import_stage;

-- Orders ---------------------------------------------------------------------------------------
create temp table import_stage (line int primary key, order_ref text, ordered_at text, sku text, quantity text, customer_email text,
    customer_phone text, status text, unit_price text, unit_cost text, reason text, linked boolean not null default false);
insert into import_stage (line, order_ref, ordered_at, sku, quantity, customer_email, customer_phone, status, unit_price) values
    -- A: Anna, two lines of fractional quantities (rounded per order, as create_order's confirmation does)
    (2, 'A', '2026-03-05', 'P2', '0.333', 'anna@imp.example', null, null, null),
    (3, 'A', '2026-03-05', 'P2', '0.333', 'anna@imp.example', null, null, null),
    (4, 'A', '2026-03-05', 'P1', '2', 'anna@imp.example', null, null, '98.50'),
    -- B: Anna by phone, confirmed, another month; C: Bert, quoted (not a sale); D: Carl, cancelled
    (5, 'B', '2026-04-30T23:30:00Z', 'P1', '1', null, '030 2222222', 'confirmed', null),
    (6, 'C', '2026-04-02 10:00', 'P1', '5', 'bert@imp.example', null, 'quoted', null),
    (7, 'D', '2026-04-03', 'P2', '3', null, '+49 30 3333333', 'cancelled', null),
    -- E: Carl, two orders on one day of another year; the first line of E is bad, the order starts at its first good row
    (8, 'E', '2025-12-31', 'NOPE', '1', null, '+49 30 3333333', null, null),
    (9, 'E', '2025-12-31', 'P2', '7', null, '+49 30 3333333', null, '1.00'),
    (10, 'F', '2025-12-31 18:00+01', 'P1', '1.5', null, '+49 30 3333333', 'shipped', null),
    -- bad rows
    (11, null, '2026-01-01', 'P1', '1', 'anna@imp.example', null, null, null),
    (12, 'G', '2026-01-01', 'P1', '1', 'stranger@imp.example', null, null, null),
    (13, 'G', '2026-01-01', 'P1', '0', 'anna@imp.example', null, null, null),
    (14, 'G', '2026-01-01', 'P1', 'two', 'anna@imp.example', null, null, null),
    (15, 'G', '2026-01-01', 'P1', '1', 'anna@imp.example', null, null, '1.234'),
    (16, 'G', '2026-01-01', 'P1', '1', 'anna@imp.example', null, 'lost', null),
    (17, 'G', '2026-02-30', 'P1', '1', 'anna@imp.example', null, null, null),
    (18, 'G', 'yesterday', 'P1', '1', 'anna@imp.example', null, null, null),
    (19, 'G', null, 'P1', '1', 'anna@imp.example', null, null, null);
insert into import_stage (line, order_ref, ordered_at, sku, quantity, customer_email, unit_cost) values
    (20, 'G', '2026-01-01', 'P1', '1', 'anna@imp.example', 'x');
select is((select array_agg(row(line, reason)::text order by line) from crm.import_orders()),
    array['(8,"no product with sku NOPE")', '(11,"order_ref is required")', '(12,"no customer with this customer_email or customer_phone")',
          '(13,"quantity is not a positive number")', '(14,"quantity is not a positive number")', '(15,"unit_price is not an amount")',
          '(16,"status is not an order status")', '(17,"ordered_at is not a date")', '(18,"ordered_at is not a date")',
          '(19,"ordered_at is required")', '(20,"unit_cost is not an amount")'],
    'orders: every bad row with its reason');
select is((select string_agg(row(o.idempotency_key, c.name, o.status, o.ordered_at, (select string_agg(l.line_no || ':' || p.sku || 'x' || l.quantity || '@' || l.unit_price || '/' || l.unit_cost, ',' order by l.line_no)
                                   from crm.order_line l join crm.product p on p.id = l.product_id where l.order_id = o.id))::text, ' ' order by o.idempotency_key)
             from crm.sales_order o join crm.customer c on c.id = o.customer_id),
    '(import:A,Anna,delivered,"2026-03-05 00:00:00+00","1:P2x0.333@1.01/0.99,2:P2x0.333@1.01/0.99,3:P1x2.000@98.50/20.00") '
    '(import:B,Anna,confirmed,"2026-04-30 23:30:00+00",1:P1x1.000@100.00/20.00) (import:C,Bert,quoted,"2026-04-02 10:00:00+00",1:P1x5.000@100.00/20.00) '
    '(import:D,Carl,cancelled,"2026-04-03 00:00:00+00",1:P2x3.000@1.01/0.99) (import:E,Carl,delivered,"2025-12-31 00:00:00+00",1:P2x7.000@1.00/0.99) '
    '(import:F,Carl,shipped,"2025-12-31 17:00:00+00",1:P1x1.500@100.00/20.00)',
    'one order per order_ref with its lines, numbered in the file''s order, prices and costs of the day');
select is((select count(*)::int from crm.import_orders() where reason like 'order % was imported before'), 8,
    're-run: every good row is refused as imported before');
select is((select count(*)::int from crm.order_line), 8, 'and no line is imported twice');

-- The same orders through crm.create_order in unit imp-b (statuses reached through set_order_status).
select set_config('crm.tenant', 'imp-b', true);
insert into crm.customer (tenant_id, name, emails, phones) values
    (crm.current_tenant(), 'Anna', '{anna@imp.example}', '{+49302222222}'), (crm.current_tenant(), 'Bert', '{bert@imp.example}', '{}'),
    (crm.current_tenant(), 'Carl', '{}', '{+49303333333}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'P1', 'High margin', 100, 20), (crm.current_tenant(), 'P2', 'Low margin', 1.01, 0.99);
create temp table made (ref text, id bigint);
insert into made select 'A', crm.create_order((select id from crm.customer where name = 'Anna'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 0.333),
                      jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 0.333),
                      jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 2, 'unit_price', 98.50)),
    'confirmed', '2026-03-05 00:00+00');
insert into made select 'B', crm.create_order((select id from crm.customer where name = 'Anna'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 1)), 'confirmed', '2026-04-30 23:30+00');
insert into made select 'C', crm.create_order((select id from crm.customer where name = 'Bert'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 5)), 'quoted', '2026-04-02 10:00+00');
insert into made select 'D', crm.create_order((select id from crm.customer where name = 'Carl'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 3)), 'quoted', '2026-04-03 00:00+00');
insert into made select 'E', crm.create_order((select id from crm.customer where name = 'Carl'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P2'), 'quantity', 7, 'unit_price', 1.00)), 'confirmed', '2025-12-31 00:00+00');
insert into made select 'F', crm.create_order((select id from crm.customer where name = 'Carl'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P1'), 'quantity', 1.5)), 'confirmed', '2025-12-31 17:00+00');
select crm.set_order_status((select id from made where ref = 'A'), 'shipped'), crm.set_order_status((select id from made where ref = 'A'), 'delivered'),
       crm.set_order_status((select id from made where ref = 'D'), 'cancelled'), crm.set_order_status((select id from made where ref = 'E'), 'shipped'),
       crm.set_order_status((select id from made where ref = 'E'), 'delivered'), crm.set_order_status((select id from made where ref = 'F'), 'shipped');

-- Compare the two units (as the test's superuser, who reads both), by customer name, SKU and day.
reset role;
create temp view rollups as
select t.slug, 'customer_month' as rollup, c.name || ' ' || m.month as key, (m.revenue, m.cost, m.orders, m.units)::text as figures
  from crm.customer_month_summary m join crm.customer c on c.tenant_id = m.tenant_id and c.id = m.customer_id join crm.tenant t on t.id = m.tenant_id
union all
select t.slug, 'customer_year', c.name || ' ' || y.year, (y.revenue, y.cost, y.orders, y.units, y.gross_margin)::text
  from crm.customer_year_summary y join crm.customer c on c.tenant_id = y.tenant_id and c.id = y.customer_id join crm.tenant t on t.id = y.tenant_id
union all
select t.slug, 'product_month', p.sku || ' ' || m.month || ' ' || coalesce(m.staff_id::text, '-'), (sum(m.units), sum(m.revenue), sum(m.cost))::text
  from crm.product_month_summary m join crm.product p on p.tenant_id = m.tenant_id and p.id = m.product_id join crm.tenant t on t.id = m.tenant_id
 group by 1, 2, 3
union all
select t.slug, 'sales_day', d.day || ' ' || coalesce(d.staff_id::text, '-') || ' ' || coalesce(d.campaign_id::text, '-') || ' ' || coalesce(d.partner_id::text, '-'),
       (sum(d.orders), sum(d.units), sum(d.revenue), sum(d.cost))::text
  from crm.sales_day_summary d join crm.tenant t on t.id = d.tenant_id
 group by 1, 2, 3;
select isnt_empty($$select * from rollups where slug = 'imp-a' and rollup = 'customer_month'$$, 'the import filled the monthly rollup');
select set_eq($$select rollup, key, figures from rollups where slug = 'imp-a' and rollup = 'customer_month'$$,
              $$select rollup, key, figures from rollups where slug = 'imp-b' and rollup = 'customer_month'$$,
    'customer_month_summary: the import equals create_order, customer by customer and month');
select set_eq($$select rollup, key, figures from rollups where slug = 'imp-a' and rollup = 'customer_year'$$,
              $$select rollup, key, figures from rollups where slug = 'imp-b' and rollup = 'customer_year'$$,
    'customer_year_summary: the same');
select set_eq($$select rollup, key, figures from rollups where slug = 'imp-a' and rollup = 'product_month'$$,
              $$select rollup, key, figures from rollups where slug = 'imp-b' and rollup = 'product_month'$$,
    'product_month_summary (delta rows summed): the same');
select set_eq($$select rollup, key, figures from rollups where slug = 'imp-a' and rollup = 'sales_day'$$,
              $$select rollup, key, figures from rollups where slug = 'imp-b' and rollup = 'sales_day'$$,
    'sales_day_summary (delta rows summed): the same');
select is((select figures from rollups where slug = 'imp-a' and rollup = 'customer_month' and key = 'Anna 2026-03-01'), '(197.67,40.66,1,2.666)',
    'the order of fractional lines is rounded per order: 0.666 x 1.01 + 197.00 = 197.67 (per line it would be 197.68)');
select is((select (revenue, cost, orders)::text from crm.customer_year_summary y join crm.customer c on c.id = y.customer_id
            where c.name = 'Carl' and c.tenant_id = '00000000-0000-0000-0000-0000000009a1' and y.year = 2025), '(157.00,36.93,2)',
    'two orders of Carl on one day: 7.00 + 150.00 revenue, 6.93 + 30.00 cost');

-- Leads ----------------------------------------------------------------------------------------
set local role crm_unit;
select set_config('crm.tenant', 'imp-a', true);
create temp table campaign_made as select (crm.create_campaign('{"name": "Mailing"}')->>'id')::bigint as id;
insert into crm.lead (tenant_id, campaign_id, name, email) values (crm.current_tenant(), (select id from campaign_made), 'Old lead', 'lead@imp.example');
drop table pg_temp.import_stage;
create temp table import_stage (line int primary key, name text, email text, phone text, company text, region text, score text,
    source text, reason text, linked boolean not null default false);
insert into import_stage (line, name, email, phone, region, score) values
    (2, 'New', 'new@imp.example', '040 1234567', 'north', '50'),
    (3, 'Anna the customer', 'ANNA@imp.example', null, 'south', null),
    (4, 'Old lead again', 'Lead@imp.example', null, null, null),
    (5, 'Phone of line 2', null, '+49 40 1234567', null, null),
    (6, null, 'x@imp.example', null, null, null),
    (7, repeat('y', 201), 'y@imp.example', null, null, null),
    (8, 'Bad mail', 'broken', null, null, null),
    (9, 'Bad phone', null, '12', null, null),
    (10, 'No way to reach', null, null, null, null),
    (11, 'Bad score', 'score@imp.example', null, null, '1.5'),
    (12, 'High score', 'high@imp.example', null, null, '101');
select is((select array_agg(row(line, reason)::text order by line) from crm.import_leads((select id from campaign_made))),
    array['(6,"name is required")', '(7,"name is longer than 200 characters")', '(8,"email is not an email address")',
          '(9,"phone is not a phone number")', '(10,"an email or a phone is required")', '(11,"score is not a whole number")',
          '(12,"score is over 100")'],
    'leads: every bad row with its reason');
select is((select array_agg(line order by line) from import_stage where linked), '{3,4,5}',
    'linked: the customer''s row, the known lead and the repeated phone');
select is((select string_agg(l.name || ':' || coalesce(l.email, '-') || ':' || coalesce(l.phone, '-') || ':' || coalesce(c.name, '-') || ':' || coalesce(l.source, '-'), ' ' order by l.name)
             from crm.lead l left join crm.customer c on c.id = l.customer_id),
    'Anna the customer:anna@imp.example:-:Anna:import New:new@imp.example:+49401234567:-:import Old lead:lead@imp.example:-:-:-',
    'new leads for the new row and the customer''s row (linked to the customer); nothing for the known ones');
update import_stage set reason = null, linked = false;
select is((select count(*)::int from crm.import_leads((select id from campaign_made)) where reason is not null), 7, 're-run: the same rejects');
select is((select count(*)::int from crm.lead), 3, 're-run: every good row is linked, nothing is imported twice');

select * from finish();
rollback;
