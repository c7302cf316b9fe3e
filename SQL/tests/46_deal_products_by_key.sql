-- A partner's deal registration checks its products by key, whatever the size of the unit's
-- catalog. crm.register_deal's check was an anti-join, which the function's kept plan ran by
-- reading every product of the unit the partner may see (each through the grant policy): 50-70 ms
-- a deal in a unit of 33,000 products, 0.65 ms now. The test counts the product rows the
-- registrations read in this transaction (pg_stat_xact_user_tables) in a unit of 3,000 products,
-- and that the check still names the first product the partner may not see.
begin;
select plan(4);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000046a1', 'deal-catalog', 'Deal catalog');
insert into crm.partner (id, slug, name) values ('00000000-0000-0000-0000-0000000046f1', 'deal-reseller', 'Reseller');
insert into crm.partner_grant (tenant_id, partner_id, product_groups)
values ('00000000-0000-0000-0000-0000000046a1', '00000000-0000-0000-0000-0000000046f1', '{pumps}');
insert into crm.product (tenant_id, sku, name, product_group, list_price, unit_cost)
select '00000000-0000-0000-0000-0000000046a1', 'D-' || g, 'Item ' || g, case when g % 10 = 0 then 'secret' else 'pumps' end, 10, 5
  from generate_series(1, 3000) g;
analyze crm.product;

create temporary table product_reads (at text, n bigint) on commit drop;
create function pg_temp.product_rows_read() returns bigint language sql
    return (select coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) from pg_stat_xact_user_tables
             where relid = 'crm.product'::regclass);
create function pg_temp.deal(p_n int, p_first text, p_second text) returns json language sql as $$
    select crm.register_deal('deal-catalog', jsonb_build_object(
        'prospect', jsonb_build_object('name', 'Prospect ' || p_n, 'company', 'Company ' || p_n),
        'products', jsonb_build_array(
            jsonb_build_object('product_id', (select id::text from crm.product where tenant_id = '00000000-0000-0000-0000-0000000046a1' and sku = p_first), 'quantity', 1),
            jsonb_build_object('product_id', (select id::text from crm.product where tenant_id = '00000000-0000-0000-0000-0000000046a1' and sku = p_second), 'quantity', 2))))
$$;
-- The ids of a product the partner may see and of one it may not (group "secret"), read as the owner.
select id::text as secret_id from crm.product where tenant_id = '00000000-0000-0000-0000-0000000046a1' and sku = 'D-10' \gset
select id::text as pump_id from crm.product where tenant_id = '00000000-0000-0000-0000-0000000046a1' and sku = 'D-11' \gset

select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000046f1', true), set_config('crm.app_role', 'partner', true),
       set_config('role', 'crm_partner', true);
-- Six deals first: the session's plans are made and kept.
select count(pg_temp.deal(g, 'D-' || g, 'D-' || (g + 100))) from generate_series(1, 6) g;
reset role;
insert into product_reads values ('before', pg_temp.product_rows_read());
select set_config('role', 'crm_partner', true);
select count(pg_temp.deal(g, 'D-' || g, 'D-' || (g + 100))) from generate_series(11, 19) g where g % 10 <> 0;
reset role;
insert into product_reads values ('after', pg_temp.product_rows_read());

select is((select count(*) from crm.deal_product where tenant_id = '00000000-0000-0000-0000-0000000046a1'), 30::bigint,
          'fifteen deals of two products each');
-- Per deal of two products: the test's own two look-ups by SKU, the check and the foreign keys of
-- the deal's products (8 here); the anti-join read 121 here, and all 33,334 of a bench unit.
select cmp_ok((select (a.n - b.n) / 9 from product_reads a, product_reads b where a.at = 'after' and b.at = 'before'),
              '<=', 20::bigint, 'a deal checks its products by key, not the unit''s 3,000 products');

select set_config('role', 'crm_partner', true);
select throws_ok(format($$select crm.register_deal('deal-catalog', '{"prospect": {"name": "X", "company": "X Co"},
                          "products": [{"product_id": "%s", "quantity": 1}, {"product_id": "%s", "quantity": 1}]}')$$, :'pump_id', :'secret_id'),
                 'CR404', 'product not found in the catalog of deal-catalog',
                 'a product of a group the unit did not grant is not found');
select is((select count(*) from crm.deal where prospect_name = 'X'), 0::bigint, 'and no deal is registered');

select * from finish();
rollback;
