-- report.customer_value's RFM columns are report.rfm's as of today, by day, for every customer:
-- one whose purchases all lie on or before today (from the kept summary), one with a purchase
-- after today (from the orders), and one without a purchase (no RFM: null, not 0).
begin;
select plan(3);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f5', 'cv-rfm', 'Customer value RFM');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f5', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Ann'), (crm.current_tenant(), 'Ben'), (crm.current_tenant(), 'Cid');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);
create function pg_temp.buy(p_who text, p_at timestamptz, p_qty int) returns bigint language sql as $$
    select crm.create_order((select id from crm.customer where name = p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', p_qty)), 'confirmed', p_at)
$$;
-- Ann: 40 days ago (2 units), 10 days ago (3) and 5 days ago (1); Ben: 20 days ago (1) and in 3 days (4).
select pg_temp.buy('Ann', now() - interval '40 days', 2), pg_temp.buy('Ann', now() - interval '10 days', 3),
       pg_temp.buy('Ann', now() - interval '5 days', 1), pg_temp.buy('Ben', now() - interval '20 days', 1),
       pg_temp.buy('Ben', now() + interval '3 days', 4);

select is((select (frequency, recency, monetary_value)::text from report.customer_value where name = 'Ann'), '(2,35,20.00)',
          'Ann: two repeat days, 35 days from first to last, (30 + 10) / 2 a repeat day');
select is((select (frequency, recency, monetary_value)::text from report.customer_value where name = 'Cid'), '(,,)',
          'Cid bought nothing: no RFM');
select set_eq($$select customer_id, frequency, recency, t, monetary_value from report.customer_value$$,
              $$select c.id, r.frequency, r.recency, r.t, r.monetary_value from crm.customer c
                  left join report.rfm(current_date, 'day') r on r.customer_id = c.id$$,
              'every customer''s RFM is report.rfm''s (Ben''s later purchase read from his orders)');

select * from finish();
rollback;
