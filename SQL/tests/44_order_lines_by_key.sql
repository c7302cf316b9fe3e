-- An order reads the products of its lines by key, whatever the size of the unit's catalog.
-- crm.place_order keeps generic plans (22_orders_api.sql); such a plan knows neither the unit nor
-- the number of lines, and it joined the lines to the products by hashing every product of the
-- unit: an order in a unit of 33,000 products cost 15 ms instead of 3. The test counts the
-- product rows the orders read in this transaction (pg_stat_xact_user_tables: index, bitmap and
-- sequential reads alike) in a unit of 3,000 products.
begin;
select plan(3);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000044a1', 'catalog-big', 'Big catalog');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost)
select '00000000-0000-0000-0000-0000000044a1', 'SKU-' || g, 'Item ' || g, 10 + g % 90, 5 from generate_series(1, 3000) g;
insert into crm.customer (tenant_id, name) values ('00000000-0000-0000-0000-0000000044a1', 'Buyer');
analyze crm.product;

create temporary table product_reads (at text, n bigint) on commit drop;
grant insert, select on product_reads to crm_unit;
create function pg_temp.product_rows_read() returns bigint language sql
    return (select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) from pg_stat_xact_user_tables
             where relid = 'crm.product'::regclass);

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000044a1', true), set_config('role', 'crm_unit', true);
-- Six orders first: the session's plans are made and kept (and a custom plan, were there one,
-- would have given way to the generic one by now).
select count(crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'SKU-' || g), 'quantity', 1),
                      jsonb_build_object('product_id', (select id from crm.product where sku = 'SKU-' || (g + 100)), 'quantity', 2)),
    'confirmed', '2026-03-05 10:00+00')) from generate_series(1, 6) g;
reset role;
insert into product_reads values ('before', pg_temp.product_rows_read());
select set_config('role', 'crm_unit', true);
select count(crm.create_order((select id from crm.customer), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'SKU-' || g), 'quantity', 1),
                      jsonb_build_object('product_id', (select id from crm.product where sku = 'SKU-' || (g + 100)), 'quantity', 2)),
    'confirmed', '2026-03-06 10:00+00')) from generate_series(11, 20) g;
reset role;
insert into product_reads values ('after', pg_temp.product_rows_read());

select is((select count(*) from crm.order_line where tenant_id = '00000000-0000-0000-0000-0000000044a1'), 32::bigint,
          'sixteen orders of two lines each');
-- Per order of two lines: the test's own two look-ups by SKU, the check of the lines, the lines'
-- insert and their foreign keys read a product each (10 here); a hashed catalog is 3,000 and more.
select cmp_ok((select (a.n - b.n) / 10 from product_reads a, product_reads b where a.at = 'after' and b.at = 'before'),
              '<=', 20::bigint, 'an order reads its lines'' products by key, not the unit''s 3,000 products');
select is((select sum(quantity * unit_price) from crm.order_line where tenant_id = '00000000-0000-0000-0000-0000000044a1'
              and order_id in (select id from crm.sales_order where ordered_at = '2026-03-06 10:00+00')),
          (select sum(p1.list_price + 2 * p2.list_price) from generate_series(11, 20) g
             join crm.product p1 on p1.sku = 'SKU-' || g join crm.product p2 on p2.sku = 'SKU-' || (g + 100)),
          'the lines are priced from their own products');

select * from finish();
rollback;
