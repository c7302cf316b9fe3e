-- reports.rfm pages the caller's own customers: report.rfm shows the unit's own (it joins the
-- unit), so the page's keys are picked from the unit's own RFM summary rows, by key. The picker
-- read every summary row the caller may see, shared units' included, in id order: a unit that
-- was shared another unit's customers got pages short of (or empty of) its own, and paging
-- stopped early; it also sorted every visible row for each page (146 ms at 1M customers).
begin;
select plan(3);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000048a1', 'rfm-page-x', 'X'), ('00000000-0000-0000-0000-0000000048b1', 'rfm-page-y', 'Y');
-- Three buyers in Y, shared with X, and two in X (ids are opaque: the two units' interleave).
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000048b1', true), set_config('role', 'crm_unit', true);
insert into crm.customer (tenant_id, name) select crm.current_tenant(), 'Y buyer ' || g from generate_series(1, 3) g;
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'Y1', 'Y item', 10, 4);
select count(crm.create_order(c.id, null, null, jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 1)),
                              'confirmed', now() - interval '3 days'))
  from crm.customer c;
select crm.share_all_customers('rfm-page-x');
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000048a1', true);
insert into crm.customer (tenant_id, name) select crm.current_tenant(), 'X buyer ' || g from generate_series(1, 2) g;
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'X1', 'X item', 20, 5);
select count(crm.create_order(c.id, null, null, jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'X1'), 'quantity', 1)),
                              'confirmed', now() - interval '2 days'))
  from crm.customer c where c.tenant_id = crm.current_tenant();

select is((select count(*)::int from crm.customer_rfm_summary), 5, 'X may read Y''s shared buyers'' RFM rows as well as its own');
select is(array(select p.key from api.reports_rfm(null, null, 0, 3) p),
          array(select c.id::text from crm.customer c where c.tenant_id = crm.current_tenant() order by c.id),
          'a page of three holds X''s two buyers (the shared ones are not X''s report)');
select is(array(select p.key from api.reports_rfm(null, null, 0, 2) p),
          array(select c.id::text from crm.customer c where c.tenant_id = crm.current_tenant() order by c.id limit 2),
          'a page of two is full: its rows are X''s');

select * from finish();
rollback;
