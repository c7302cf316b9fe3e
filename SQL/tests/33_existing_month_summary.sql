-- The kept existing-against-new summaries (crm.existing_month_summary, 0058, and
-- crm.existing_year_summary, 0061) stay what the monthly and yearly rollups say through every
-- path that changes them: orders made, a back-dated first sale (which
-- moves `existing`), a cancellation, a quote confirmed, an import of orders (COPY into the
-- staging table, crm.import_orders), a merge, a rebuild of the rollups (triggers on, and off as the
-- seed runs it), and the fold of the
-- delta rows; report.existing_vs_new_monthly, report.existing_vs_new_yearly and
-- reports.existing_vs_new (report.existing_vs_new_json) give what their former text computed from
-- the rollups' rows, to the character.
begin;
select plan(16);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000000f5', 'evn-keep', 'Existing keep');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000000f5', true);
insert into crm.customer (tenant_id, id, name, emails) values (crm.current_tenant(), 58001, 'Ann', '{ann@evn.example}'),
    (crm.current_tenant(), 58002, 'Ben', '{ben@evn.example}'), (crm.current_tenant(), 58003, 'Cid', '{cid@evn.example}');
insert into crm.product (tenant_id, id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 58100, 'P', 'Product', 10.00, 4.00);

-- The reports as computed from the rollup's rows (the texts before 0058).
create function pg_temp.monthly_from_rollup() returns setof text language sql as $$
    select (r.tenant, r.month,
            count(*) filter (where r.existing),
            coalesce(sum(r.revenue) filter (where r.existing), 0),
            coalesce(sum(r.gross_margin) filter (where r.existing), 0),
            count(*) filter (where not r.existing),
            coalesce(sum(r.revenue) filter (where not r.existing), 0),
            coalesce(sum(r.gross_margin) filter (where not r.existing), 0),
            round(sum(r.gross_margin) filter (where r.existing) / nullif(sum(r.gross_margin), 0), 4))::text
      from report.customer_month_status r
     group by r.tenant, r.month
$$;
create function pg_temp.json_from_rollup(p_year int) returns text language sql as $$
    with y as (select coalesce(p_year, extract(year from now() at time zone 'UTC')::int) as year),
    g as (
        select r.month, r.existing, count(*) as customers, sum(r.revenue) as revenue, sum(r.gross_margin) as gross_margin
          from report.customer_month_status r, y
         where r.month >= make_date(y.year, 1, 1) and r.month < make_date(y.year + 1, 1, 1)
         group by r.month, r.existing),
    m as (
        select g.month,
               coalesce(sum(g.customers) filter (where g.existing), 0) as existing_customers,
               coalesce(sum(g.revenue) filter (where g.existing), 0) as existing_revenue,
               coalesce(sum(g.gross_margin) filter (where g.existing), 0) as existing_gross_margin,
               coalesce(sum(g.customers) filter (where not g.existing), 0) as new_customers,
               coalesce(sum(g.revenue) filter (where not g.existing), 0) as new_revenue,
               coalesce(sum(g.gross_margin) filter (where not g.existing), 0) as new_gross_margin,
               round(sum(g.gross_margin) filter (where g.existing) / nullif(sum(g.gross_margin), 0), 4) as existing_share_of_margin
          from g group by g.month)
    select json_build_object(
        'year', (select year from y),
        'months', (select coalesce(json_agg(m order by m.month), '[]') from m),
        'total', (select json_build_object(
                             'existing_revenue', coalesce(sum(g.revenue) filter (where g.existing), 0),
                             'existing_gross_margin', coalesce(sum(g.gross_margin) filter (where g.existing), 0),
                             'new_revenue', coalesce(sum(g.revenue) filter (where not g.existing), 0),
                             'new_gross_margin', coalesce(sum(g.gross_margin) filter (where not g.existing), 0),
                             'existing_share_of_margin',
                             round(sum(g.gross_margin) filter (where g.existing) / nullif(sum(g.gross_margin), 0), 4))
                    from g))::text
$$;
-- The yearly report as computed from the yearly rollup's rows (the text before 0061).
create function pg_temp.yearly_from_rollup() returns setof text language sql as $$
    select (t.slug, y.year,
            count(*) filter (where y.existing),
            coalesce(sum(y.revenue) filter (where y.existing), 0),
            coalesce(sum(y.gross_margin) filter (where y.existing), 0),
            count(*) filter (where not y.existing),
            coalesce(sum(y.revenue) filter (where not y.existing), 0),
            coalesce(sum(y.gross_margin) filter (where not y.existing), 0),
            round(sum(y.gross_margin) filter (where y.existing) / nullif(sum(y.gross_margin), 0), 4))::text
      from crm.customer_year_summary y join crm.tenant t on t.id = y.tenant_id
     where y.orders > 0
     group by t.slug, y.year
$$;
-- Rows of the monthly and yearly reports whose text differs from the rollups' (either way), years
-- whose reports.existing_vs_new differs, and classes whose summed summaries differ from the
-- rollup rows.
create function pg_temp.differences() returns bigint language sql as $$
    select (select count(*) from ((select * from pg_temp.monthly_from_rollup() except all select r::text from report.existing_vs_new_monthly r)
                                  union all
                                  (select r::text from report.existing_vs_new_monthly r except all select * from pg_temp.monthly_from_rollup())) x)
         + (select count(*) from ((select * from pg_temp.yearly_from_rollup() except all select r::text from report.existing_vs_new_yearly r)
                                  union all
                                  (select r::text from report.existing_vs_new_yearly r except all select * from pg_temp.yearly_from_rollup())) x)
         + (select count(*) from (
               (select s.year, s.existing, sum(s.customers)::bigint, sum(s.revenue), sum(s.cost) from crm.existing_year_summary s
                 group by 1, 2 having sum(s.customers) <> 0 or sum(s.revenue) <> 0 or sum(s.cost) <> 0
                except all
                select y.year, y.existing, count(*), sum(y.revenue), sum(y.cost) from crm.customer_year_summary y
                 where y.orders > 0 group by 1, 2)
               union all
               (select y.year, y.existing, count(*), sum(y.revenue), sum(y.cost) from crm.customer_year_summary y
                 where y.orders > 0 group by 1, 2
                except all
                select s.year, s.existing, sum(s.customers)::bigint, sum(s.revenue), sum(s.cost) from crm.existing_year_summary s
                 group by 1, 2 having sum(s.customers) <> 0 or sum(s.revenue) <> 0 or sum(s.cost) <> 0)) z)
         + (select count(*) from generate_series(2024, 2026) y
             where report.existing_vs_new_json(y)::text is distinct from pg_temp.json_from_rollup(y))
         + (select count(*) from (
               (select s.month, s.existing, sum(s.customers)::bigint, sum(s.revenue), sum(s.cost) from crm.existing_month_summary s
                 group by 1, 2 having sum(s.customers) <> 0 or sum(s.revenue) <> 0 or sum(s.cost) <> 0
                except all
                select m.month, m.existing, count(*), sum(m.revenue), sum(m.cost) from crm.customer_month_summary m
                 where m.orders > 0 group by 1, 2)
               union all
               (select m.month, m.existing, count(*), sum(m.revenue), sum(m.cost) from crm.customer_month_summary m
                 where m.orders > 0 group by 1, 2
                except all
                select s.month, s.existing, sum(s.customers)::bigint, sum(s.revenue), sum(s.cost) from crm.existing_month_summary s
                 group by 1, 2 having sum(s.customers) <> 0 or sum(s.revenue) <> 0 or sum(s.cost) <> 0)) z)
$$;
create function pg_temp.buy(p_who text, p_day date, p_qty int, p_status text default 'confirmed') returns bigint language sql as $$
    select crm.create_order((select id from crm.customer where name = p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', 58100, 'quantity', p_qty)),
        p_status, p_day::timestamptz + interval '10 hours')
$$;

-- Ann bought in January 2024 and buys 2 in February 2026 (existing: margin 12); Ben buys 1 in
-- February 2026 (new: margin 6); Cid's order of March 2026 is a quote.
select pg_temp.buy('Ann', '2024-01-15', 1);
select pg_temp.buy('Ann', '2026-02-10', 2);
select pg_temp.buy('Ben', '2026-02-11', 1) as ben_sale \gset
select pg_temp.buy('Cid', '2026-03-02', 3, 'quoted') as cid_quote \gset
select is((select (existing_customers, existing_revenue, existing_gross_margin, new_customers, new_revenue, new_gross_margin,
                   existing_share_of_margin)::text from report.existing_vs_new_monthly where month = '2026-02-01'),
          '(1,20.00,12.00,1,10.00,6.00,0.6667)', 'February 2026: Ann existing (20, margin 12), Ben new (10, margin 6)');
select is(pg_temp.differences(), 0::bigint, 'after orders: the summary is what the rollup says');
select is((select (existing_customers, existing_revenue, existing_gross_margin, new_customers, new_revenue, new_gross_margin,
                   existing_share_of_margin)::text from report.existing_vs_new_yearly where year = 2026),
          '(1,20.00,12.00,1,10.00,6.00,0.6667)', '2026: Ann existing (bought in 2024), Ben new; Cid''s quote is no sale');

-- Ben's sale is cancelled: February has no new customer; Cid's quote is confirmed: March has one.
select crm.set_order_status(:ben_sale, 'cancelled');
select crm.set_order_status(:cid_quote, 'confirmed');
select is((select (existing_customers, new_customers, new_revenue)::text from report.existing_vs_new_monthly where month = '2026-02-01')
          || (select (existing_customers, new_customers, new_revenue)::text from report.existing_vs_new_monthly where month = '2026-03-01'),
          '(1,0,0)(0,1,30.00)', 'a cancelled sale leaves February''s new customers, a confirmed quote adds March''s');
select is(pg_temp.differences(), 0::bigint, 'after a cancellation and a confirmed quote: the summary is what the rollup says');

-- A back-dated order of Cid (December 2024) moves his first sale: March 2026 becomes existing.
select pg_temp.buy('Cid', '2024-12-05', 1);
select is((select (existing_customers, existing_revenue, new_customers)::text from report.existing_vs_new_monthly where month = '2026-03-01'),
          '(1,30.00,0)', 'a back-dated first sale makes Cid existing in March 2026');
select is(pg_temp.differences(), 0::bigint, 'after a back-dated first sale: the summary is what the rollup says');

-- An import of orders (crm import orders: the file COPYed into the staging table, then
-- crm.import_orders): Ben's and Cid's orders of April 2026, Cid's of two lines.
create temp table import_stage (line int primary key, order_ref text, ordered_at text, sku text, quantity text, customer_email text,
    customer_phone text, status text, unit_price text, unit_cost text, reason text, linked boolean not null default false);
copy import_stage (line, order_ref, ordered_at, sku, quantity, customer_email, status) from stdin;
2	I1	2026-04-06	P	1	ben@evn.example	delivered
3	I2	2026-04-07	P	2	cid@evn.example	delivered
4	I2	2026-04-07	P	1	cid@evn.example	delivered
\.
select is_empty('select * from crm.import_orders()', 'the import takes every row');
select is((select (existing_customers, existing_revenue, new_customers, new_revenue)::text from report.existing_vs_new_monthly
            where month = '2026-04-01'), '(1,30.00,1,10.00)', 'imported: Cid existing in April (30), Ben new (10)');
select is(pg_temp.differences(), 0::bigint, 'after an import: the summary is what the rollup says');

-- Cid merges into Ben: one customer in April (Ben's rows take Cid's sales).
select crm.merge_customers(58002, 58003);
select is(pg_temp.differences(), 0::bigint, 'after a merge: the summary is what the rollup says');

-- The rollups rebuilt from the orders (superuser only): the summary with them.
reset role;
select crm.rebuild_sales_rollups('00000000-0000-0000-0000-0000000000f5');
set local role crm_unit;
select is(pg_temp.differences(), 0::bigint, 'after a rebuild of the rollups: the summary is what the rollup says');
-- The seed's rebuild: triggers off (session_replication_role = replica), the summary refilled by
-- the rebuild itself. Ann's February order loses its lines first (no trigger follows that): the
-- rebuilt rollup has no February sale of hers.
reset role;
set local session_replication_role = replica;
delete from crm.order_line where tenant_id = '00000000-0000-0000-0000-0000000000f5'
   and order_id = (select o.id from crm.sales_order o where o.tenant_id = '00000000-0000-0000-0000-0000000000f5'
                      and o.ordered_at = '2026-02-10 10:00+00');
select crm.rebuild_sales_rollups('00000000-0000-0000-0000-0000000000f5');
set local session_replication_role = origin;
set local role crm_unit;
select is((select count(*) from report.existing_vs_new_monthly where month = '2026-02-01') || '/' || pg_temp.differences(), '0/0',
          'after the seed''s rebuild (triggers off): February gone, the summary is what the rollup says');

-- The fold of the delta rows keeps every figure.
select pg_temp.buy('Ann', '2026-04-20', 1);
select cmp_ok(crm.compact_sales_rollups(), '>', 0, 'the fold removes delta rows');
select is(pg_temp.differences() + (select count(*) from (select month, existing from crm.existing_month_summary group by 1, 2 having count(*) > 1) x),
          0::bigint, 'folded into one row per month and class, with the same figures');
select is((select count(*) from (select year, existing from crm.existing_year_summary group by 1, 2 having count(*) > 1) x),
          0::bigint, 'and the yearly one into one row per year and class');

select * from finish();
rollback;
