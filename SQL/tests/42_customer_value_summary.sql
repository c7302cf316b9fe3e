-- report.customer_value from its kept summary (0060, 38_customer_value_summary.sql): after
-- contacts (one by one and several in a statement, before and after the scheduled fold), survey
-- answers, sales, a tier refresh, a merge and an erasure, the kept figures equal those computed
-- from the contacts, answers and snapshot, and the report's rows equal the old definition's (the
-- live computation, spelled out below), column for column as text; the 12-month figures once the
-- job has refreshed them, and from the rollup while it has not.
begin;
select plan(21);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000042a1', 'cv-kept', 'Customer value kept'),
                                               ('00000000-0000-0000-0000-0000000042b1', 'cv-other', 'Other');

-- The old definition (before 0060), read under the caller's policies like the report.
create temp view old_customer_value with (security_invoker = true) as
select t.slug as tenant, c.id as customer_id, c.name, c.emails, c.phones, c.segment, c.lifecycle_stage,
       coalesce(p.gross_margin, 0) as gross_margin_12m, coalesce(p.revenue, 0) as revenue_12m,
       (select r.tier from crm.customer_tier_snapshot r where r.tenant_id = c.tenant_id and r.customer_id = c.id
         and r.year = extract(year from now())::int) as tier,
       coalesce(rk.days - 1, ro.frequency) as frequency, coalesce(rk.last_day - rk.first_day, ro.recency) as recency,
       coalesce(current_date - rk.first_day, ro.t) as t,
       case when rk.customer_id is not null then report.rfm_monetary_value(rk.revenue, rk.first_revenue, rk.days)
            else ro.monetary_value end as monetary_value,
       (select round(avg(s.score), 2) from crm.survey_response s where s.tenant_id = c.tenant_id and s.customer_id = c.id) as average_score,
       -- (ties at the third place broken by name, as the kept rule does; the old one left them to the sort)
       (select array_agg(ch.channel order by ch.n desc, ch.channel) from
           (select i.channel, count(*) as n from crm.interaction i where i.tenant_id = c.tenant_id and i.customer_id = c.id
             group by i.channel order by count(*) desc, i.channel limit 3) ch) as preferred_channels,
       array(select k from jsonb_each(c.consent) e(k, v) where v = 'true'::jsonb order by k) as consented_channels
  from crm.customer c
  join crm.tenant t on t.id = c.tenant_id
  left join (select s.tenant_id, s.customer_id, sum(s.revenue) as revenue, sum(s.revenue - s.cost) as gross_margin
               from crm.customer_month_summary s where s.month >= date_trunc('month', now() - interval '11 months')
              group by 1, 2) p on p.tenant_id = c.tenant_id and p.customer_id = c.id
  left join crm.customer_rfm_summary rk on rk.tenant_id = c.tenant_id and rk.customer_id = c.id and rk.last_day <= current_date
  left join report.rfm_from_orders(current_date, 'day') ro on ro.tenant = t.slug and ro.customer_id = c.id
 where c.merged_into is null;
grant select on old_customer_value to crm_unit;

-- The report's rows and the old ones, as text (numbers with their scale), by customer.
create function pg_temp.report_rows() returns text[] language sql as $$
    select array_agg((to_jsonb(r) - 'figures_as_of')::text order by r.customer_id) from report.customer_value r
$$;
create function pg_temp.old_rows() returns text[] language sql as $$
    select array_agg(to_jsonb(r)::text order by r.customer_id) from old_customer_value r
$$;
-- The kept figures against the base rows: score sum and count, contacts per channel (kept plus
-- deltas), this year's tier. Returns the customers that differ.
create function pg_temp.kept_off() returns text[] language sql as $$
    select coalesce(array_agg(c.name order by c.name), '{}')
      from crm.customer c
      left join crm.customer_value_summary v on v.tenant_id = c.tenant_id and v.customer_id = c.id
     where c.tenant_id = crm.current_tenant()
       and ((coalesce(v.score_sum, 0), coalesce(v.score_count, 0)::bigint)
             is distinct from (select (coalesce(sum(s.score), 0), count(*)) from crm.survey_response s
                                where s.tenant_id = c.tenant_id and s.customer_id = c.id)
            or (select coalesce(jsonb_object_agg(x.channel, x.n), '{}') from (
                    select k.key as channel, sum(k.value::int)::int as n
                      from (select e.key, e.value from jsonb_each_text(coalesce(v.channel_contacts, '{}')) e
                            union all
                            select d.channel, d.contacts::text from crm.customer_channel_delta d
                             where d.tenant_id = c.tenant_id and d.customer_id = c.id) k
                     group by 1 having sum(k.value::int) <> 0) x)
               is distinct from (select coalesce(jsonb_object_agg(x.channel, x.n), '{}') from (
                    select i.channel, count(*)::int as n from crm.interaction i
                     where i.tenant_id = c.tenant_id and i.customer_id = c.id group by 1) x)
            or (v.tier_year = extract(year from now())::int
                and v.tier is distinct from (select r.tier from crm.customer_tier_snapshot r
                                              where r.tenant_id = c.tenant_id and r.customer_id = c.id
                                                and r.year = extract(year from now())::int)))
$$;

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000042a1', true);
select set_config('crm.app_role', 'manager', true);
insert into crm.customer (tenant_id, name, emails, consent) values
    (crm.current_tenant(), 'Ann', '{ann@x.example}', '{"email": true, "phone": false}'),
    (crm.current_tenant(), 'Ben', '{ben@x.example}', '{"phone": true, "email": true}'),
    (crm.current_tenant(), 'Cy', '{cy@x.example}', '{}'),
    (crm.current_tenant(), 'Dee', '{}', '{"mail": true}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values (crm.current_tenant(), 'P', 'Product', 10.00, 4.00);
create function pg_temp.who(p_name text) returns bigint language sql as $$ select id from crm.customer where name = p_name $$;
create function pg_temp.buy(p_who text, p_at timestamptz, p_qty int) returns bigint language sql as $$
    select crm.create_order(pg_temp.who(p_who), null, null,
        jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product), 'quantity', p_qty)), 'confirmed', p_at)
$$;

-- Sales last year (the tiers' basis) and this window; contacts: Ann's by interactions.log, one a
-- statement; Ben's and Cy's in one statement of several (three channels tied for Ben's third place).
select pg_temp.buy('Ann', date_trunc('year', now()) - interval '6 months', 5), pg_temp.buy('Ben', date_trunc('year', now()) - interval '6 months', 1),
       pg_temp.buy('Ann', now() - interval '2 months', 2), pg_temp.buy('Ben', now() - interval '20 days', 1);
select crm.log_interaction(jsonb_build_object('customer_id', pg_temp.who('Ann')::text, 'channel', x))
  from unnest(array['phone', 'email', 'phone', 'web']) x;
insert into crm.interaction (tenant_id, customer_id, channel, direction, occurred_at)
select crm.current_tenant(), pg_temp.who(v.who), v.channel, 'inbound', now() - v.ago
  from (values ('Ben', 'store', interval '1 hour'), ('Ben', 'store', interval '2 hours'), ('Ben', 'mail', interval '3 hours'),
               ('Ben', 'email', interval '4 hours'), ('Ben', 'web', interval '5 hours'), ('Cy', 'visit', interval '6 hours')) v(who, channel, ago);
insert into crm.survey_response (tenant_id, customer_id, score, responded_at)
select crm.current_tenant(), pg_temp.who(v.who), v.score, now()
  from (values ('Ann', 9), ('Ann', 8), ('Ann', 6), ('Ben', 3), ('Cy', 10)) v(who, score);

select is(pg_temp.kept_off(), '{}', 'after contacts and answers the kept figures are the live ones');
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'the report''s rows are the old definition''s (12-month figures from the rollup)');
select is((select (preferred_channels, average_score, consented_channels)::text from report.customer_value where name = 'Ben'),
          '("{store,email,mail}",3.00,"{email,phone}")', 'Ben: store twice, then the first two by name of three tied; mean 3; consents by name');
select is((select sum(contacts)::int from crm.customer_channel_delta), 4 + 6, 'the contacts wait as delta rows');

-- The scheduled job: tiers refreshed, the deltas folded, the 12-month figures computed.
select ok(crm.refresh_customer_tiers() >= 1, 'tiers refreshed');
select crm.compact_sales_rollups();
select is((select count(*)::int from crm.customer_channel_delta), 0, 'the job folded the deltas');
select is((select count(*)::int from report.customer_value where figures_as_of is null), 0,
          'every row''s 12-month figures are the job''s');
select is(pg_temp.kept_off(), '{}', 'after the job the kept figures are the live ones');
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'and the report''s rows the old definition''s');

-- More contacts after the fold (kept counts plus deltas), an answer, and Dee's first contact.
select crm.log_interaction(jsonb_build_object('customer_id', pg_temp.who(x)::text, 'channel', 'web'))
  from unnest(array['Ann', 'Ann', 'Ann', 'Dee']) x;
insert into crm.survey_response (tenant_id, customer_id, score) values (crm.current_tenant(), pg_temp.who('Ann'), 10);
select is((select preferred_channels from report.customer_value where name = 'Ann'), '{web,phone,email}',
          'Ann: web 4 (3 of them not folded yet), phone 2, email 1');
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'with deltas not folded the rows are the old definition''s');
-- The server's fold every minute (crm.fold_rollup_deltas): the contacts' deltas go into the counts,
-- the 12-month figures wait for the scheduled pass.
select cmp_ok(crm.fold_rollup_deltas(), '>=', 4, 'the minute''s fold removes the contacts'' delta rows');
select is((select count(*)::int from crm.customer_channel_delta), 0, 'no contact delta is left');
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'after the minute''s fold the rows are the old definition''s');

-- A sale after the job: the 12-month figures are the job's until the next run, which says when.
select pg_temp.buy('Cy', now() - interval '1 day', 3);
select is((select (gross_margin_12m, figures_as_of is not null)::text from report.customer_value where name = 'Cy'), '(0,t)',
          'Cy''s sale of yesterday waits for the job (figures_as_of says when they were computed)');
select crm.refresh_customer_value();
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'after the next run the rows are the old definition''s again');

-- Ben merged into Ann: his contacts, answers and sales move; his tier row goes.
select crm.merge_customers(pg_temp.who('Ann'), pg_temp.who('Ben'));
select is(pg_temp.kept_off(), '{}', 'after a merge the kept figures are the live ones');
select is((select array_agg((r.name, r.preferred_channels, r.average_score, r.tier)::text order by r.customer_id) from report.customer_value r),
          (select array_agg((r.name, r.preferred_channels, r.average_score, r.tier)::text order by r.customer_id) from old_customer_value r),
          'before the job runs, the moved contacts (delta rows), answers and tiers are already in the report');
select crm.refresh_customer_value();
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'and the report''s rows the old definition''s');

-- Cy erased: contact details and consent go, figures stay.
select crm.erase_customer(pg_temp.who('Cy'), true);
select is(pg_temp.report_rows(), pg_temp.old_rows(), 'after an erasure the rows are the old definition''s');

select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000042b1', true);
select is((select count(*)::int from report.customer_value) + (select count(*)::int from crm.customer_value_summary)
        + (select count(*)::int from crm.customer_channel_delta), 0, 'another unit sees none of it');

select * from finish();
rollback;
