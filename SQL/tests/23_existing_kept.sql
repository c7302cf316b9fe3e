-- Existing or new on the yearly (0052) and monthly (0053) rollups: set when a row is made, and
-- moved for every row of a customer whose first sale moves earlier (a back-dated order); the
-- existing-vs-new reports read them.
begin;
select plan(9);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f4', 'year-existing', 'Year existing');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f4', true);
insert into crm.customer (tenant_id, name) values (crm.current_tenant(), 'Xia'), (crm.current_tenant(), 'Yul');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);
create function pg_temp.buy(p_who text, p_day date) returns bigint language sql as $$
    select crm.create_order((select id from crm.customer where name = p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', 1)),
        'confirmed', p_day::timestamptz + interval '10 hours')
$$;
create function pg_temp.month_existing(p_who text, p_month date) returns boolean language sql as $$
    select s.existing from crm.customer_month_summary s
     where s.customer_id = (select id from crm.customer where name = p_who) and s.month = p_month
$$;
create function pg_temp.existing(p_who text, p_year int) returns boolean language sql as $$
    select y.existing from crm.customer_year_summary y
     where y.customer_id = (select id from crm.customer where name = p_who) and y.year = p_year
$$;

-- Xia first buys in March 2026: new in 2026. Yul bought in January 2024, again in February 2026.
select pg_temp.buy('Xia', '2026-03-02');
select pg_temp.buy('Yul', '2024-01-15');
select pg_temp.buy('Yul', '2026-02-10');
select is(pg_temp.existing('Xia', 2026), false, 'Xia: new in 2026, her first year');
select is(pg_temp.existing('Yul', 2026), true, 'Yul: existing in 2026 (first sale 2024), set when the row was made');
-- A back-dated order of Xia in June 2025 moves her first sale: 2026 becomes an existing year.
select pg_temp.buy('Xia', '2025-06-20');
select is((pg_temp.existing('Xia', 2025), pg_temp.existing('Xia', 2026))::text, '(f,t)', 'Xia after a back-dated order: new in 2025, existing in 2026');
-- Months: March 2026 is new for Xia (first sale June 2025, not before March 2025); February 2026
-- is existing for Yul (January 2024).
select is((pg_temp.month_existing('Xia', '2026-03-01'), pg_temp.month_existing('Yul', '2026-02-01'))::text, '(f,t)',
          'months: Xia new in March 2026, Yul existing in February 2026');
-- Another back-dated order of Xia, December 2024: March 2026 and the year 2025 become existing.
select pg_temp.buy('Xia', '2024-12-05');
select is((pg_temp.month_existing('Xia', '2026-03-01'), pg_temp.existing('Xia', 2025))::text, '(t,t)',
          'Xia after a second back-dated order: existing in March 2026 and in 2025');
select is((select count(*)::int from crm.customer_month_summary s join crm.customer_first_sale f
            on f.tenant_id = s.tenant_id and f.customer_id = s.customer_id
           where s.tenant_id = crm.current_tenant() and s.existing is distinct from (f.first_month < (s.month - interval '12 months')::date)), 0,
          'every monthly row agrees with its customer''s first sale');
select is((select count(*)::int from crm.customer_year_summary y join crm.customer_first_sale f
            on f.tenant_id = y.tenant_id and f.customer_id = y.customer_id
           where y.tenant_id = crm.current_tenant() and y.existing is distinct from (f.first_month < make_date(y.year, 1, 1))), 0,
          'every yearly row agrees with its customer''s first sale');
select is((select (existing_customers, new_customers, existing_revenue)::text from report.existing_vs_new_yearly where year = 2026),
          '(2,0,20.00)', 'the yearly report: both 2026 buyers existing');
select is((select (existing_customers, new_customers)::text from report.existing_vs_new_monthly where month = '2026-03-01'),
          '(1,0)', 'the monthly report: Xia existing in March 2026');

select * from finish();
rollback;
