-- Goals measure what they say (report.goal_progress, SQL/repeatable/31_reports_products_goals.sql):
-- contacts, NPS, churn rate, retention rate and margin rate with figures worked by hand, for the
-- unit, a staff member and a team; rates with nothing to measure are null; goals.set refuses an
-- unknown metric, a unit-wide rate for one staff member and a rate target that is no fraction.
begin;
select plan(22);

insert into crm.tenant (id, slug, name) values ('00000000-0000-0000-0000-0000000027a1', 'goal-a', 'A');

create function pg_temp.error_of(p_sql text) returns text language plpgsql as $$
declare
    v_detail text;
    v_state text;
begin
    execute p_sql;
    return 'ok';
exception when others then
    get stacked diagnostics v_detail = pg_exception_detail, v_state = returned_sqlstate;
    return v_state || ' ' || coalesce(v_detail, '-');
end $$;
grant execute on function pg_temp.error_of(text) to crm_unit;

set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000027a1', true);
select set_config('crm.app_role', 'manager', true);
insert into crm.staff (tenant_id, name, team) values (crm.current_tenant(), 'S1', 'north'), (crm.current_tenant(), 'S2', 'south');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost) values
    (crm.current_tenant(), 'P', 'Rich', 10.00, 4.00), (crm.current_tenant(), 'Q', 'Poor', 10.00, 9.00);
insert into crm.customer (tenant_id, name) select crm.current_tenant(), n from unnest('{A,B,C,D,E}'::text[]) n;

-- The period is March 1-10 2026 (10 days); the previous period February 19-28.
--   A: Feb 20 and Mar 5 (retained)     B: Feb 25 only (churned)
--   C: Feb 19, and Mar 2 cancelled (churned: a cancelled order is no sale)
--   D: Feb 18 (before the previous period) and Mar 3       E: Mar 1 only (2 units)
-- Buyers of the previous period: A, B, C; again in March: A. Churn 2/3, retention 1/3.
create temp table buy (who text, day date, sku text, qty int, seller text) on commit drop;
insert into buy values ('A', '2026-02-20', 'P', 1, 'S1'), ('A', '2026-03-05', 'P', 1, 'S1'), ('B', '2026-02-25', 'P', 1, 'S2'),
                       ('C', '2026-02-19', 'P', 1, 'S2'), ('D', '2026-02-18', 'P', 1, 'S1'), ('D', '2026-03-03', 'Q', 1, 'S2'),
                       ('E', '2026-03-01', 'P', 2, 'S1');
select crm.create_order((select id from crm.customer where name = b.who), (select id from crm.staff where name = b.seller), null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = b.sku), 'quantity', b.qty)),
    'confirmed', b.day::timestamp at time zone 'UTC' + interval '10 hours') from buy b;
select crm.set_order_status(crm.create_order((select id from crm.customer where name = 'C'), null, null,
    jsonb_build_array(jsonb_build_object('product_id', (select id from crm.product where sku = 'P'), 'quantity', 5)),
    'confirmed', '2026-03-02 10:00+00'), 'cancelled');

-- Contacts: Feb 28 (before), three in March by S1, S1, S2, Mar 10 23:00 by S2 (the last day counts),
-- Mar 11 00:00 (after). The unit: 4; S1: 2; team south: 2.
insert into crm.interaction (tenant_id, customer_id, channel, direction, staff_id, occurred_at)
select crm.current_tenant(), (select id from crm.customer where name = 'A'), 'phone', 'outbound', (select id from crm.staff where name = x.s), x.at
  from (values ('S1', timestamptz '2026-02-28 12:00+00'), ('S1', '2026-03-02 12:00+00'), ('S1', '2026-03-04 12:00+00'),
               ('S2', '2026-03-06 12:00+00'), ('S2', '2026-03-10 23:00+00'), ('S2', '2026-03-11 00:00+00')) x(s, at);
-- Survey answers in March: 10, 9, 9 (promoters), 7 (passive), 3 (detractor); a 0 on Mar 11 does not count.
-- NPS = (3 - 1) / 5 x 100 = 40.
insert into crm.survey_response (tenant_id, customer_id, score, responded_at)
select crm.current_tenant(), (select id from crm.customer where name = 'A'), x.score, x.at
  from (values (10, timestamptz '2026-03-01 09:00+00'), (9, '2026-03-03 09:00+00'), (9, '2026-03-05 09:00+00'),
               (7, '2026-03-07 09:00+00'), (3, '2026-03-10 09:00+00'), (0, '2026-03-11 09:00+00')) x(score, at);

create function pg_temp.goal(p_metric text, p_target numeric, p_staff text default null, p_team text default null,
                             p_start date default '2026-03-01', p_end date default '2026-03-10') returns text language plpgsql as $$
declare
    v bigint := (api.goals_set(p_metric, p_target, p_start, p_end, (select id from crm.staff where name = p_staff), p_team)::jsonb->>'id')::bigint;
begin
    return (select (actual, attainment)::text from report.goal_progress where goal_id = v);
end $$;
grant execute on function pg_temp.goal(text, numeric, text, text, date, date) to crm_unit;

-- Revenue in March: A 10, D 10, E 20 = 40; cost 4 + 9 + 8 = 21; margin 19.
select is(pg_temp.goal('revenue', 80), '(40.00,0.5000)', 'revenue as before: 40 of 80');
select is(pg_temp.goal('margin_rate', 0.30), '(0.4750,1.5833)', 'margin rate 19 / 40 = 0.475 against 0.30');
select is(pg_temp.goal('margin_rate', 0.50, 'S1'), '(0.6000,1.2000)', 'S1''s margin rate: 18 / 30');
select is(pg_temp.goal('margin_rate', 0.50, null, 'south'), '(0.1000,0.2000)', 'team south''s margin rate: 1 / 10');
select is(pg_temp.goal('margin_rate', 0.30, null, null, '2026-04-01', '2026-04-30'), '(,)', 'no revenue: no margin rate');
select is(pg_temp.goal('contacts', 8), '(4,0.5000)', 'contacts: 4 in the period, the last day included');
select is(pg_temp.goal('contacts', 4, 'S1'), '(2,0.5000)', 'S1''s contacts: 2');
select is(pg_temp.goal('contacts', 4, null, 'south'), '(2,0.5000)', 'team south''s contacts: 2');
select is(pg_temp.goal('nps', 50), '(40.00,0.8000)', 'NPS: (3 promoters - 1 detractor) / 5 answers = 40');
select is(pg_temp.goal('nps', 50, null, null, '2026-04-01', '2026-04-30'), '(,)', 'no answers: no NPS');
select is(pg_temp.goal('churn_rate', 0.25), '(0.6667,0.3750)', 'churn 2 of 3 against 25%: attainment target / actual');
select is(pg_temp.goal('retention_rate', 0.75), '(0.3333,0.4444)', 'retention 1 of 3');
select is(pg_temp.goal('churn_rate', 0.25, null, null, '2026-02-19', '2026-02-28'), '(1.0000,0.2500)',
    'Feb 19-28 against Feb 9-18: D bought on Feb 18 and not again until March: all churned');
select is(pg_temp.goal('churn_rate', 0.25, null, null, '2026-02-19', '2026-03-10'), '(0.0000,1)',
    'Feb 19 - Mar 10 against Jan 30 - Feb 18 (D only, who bought again on Mar 3): nobody churned');
select is(pg_temp.goal('churn_rate', 0.25, null, null, '2025-01-01', '2025-01-31'), '(,)', 'nobody bought before: no churn rate');

-- goals.set checks the metric and its target.
select is(pg_temp.error_of($$select api.goals_set('happiness', 1, '2026-03-01', '2026-03-10', null, null)$$), 'CR422 field=metric', 'an unknown metric');
select is(pg_temp.error_of(format($$select api.goals_set('churn_rate', 0.25, '2026-03-01', '2026-03-10', %s, null)$$, (select id from crm.staff where name = 'S1'))),
    'CR422 field=staff_id', 'churn is the unit''s, not a staff member''s');
select is(pg_temp.error_of($$select api.goals_set('nps', 40, '2026-03-01', '2026-03-10', null, 'north')$$), 'CR422 field=team', 'NPS is the unit''s, not a team''s');
select is(pg_temp.error_of($$select api.goals_set('churn_rate', 25, '2026-03-01', '2026-03-10', null, null)$$), 'CR422 field=target', 'a rate is a fraction');
select is(pg_temp.error_of($$select api.goals_set('nps', 120, '2026-03-01', '2026-03-10', null, null)$$), 'CR422 field=target', 'NPS is at most 100');
select is((select count(*)::int from report.goal_progress where actual is null and metric in ('revenue', 'gross_margin', 'orders', 'new_customers', 'contacts')), 0,
    'counts and sums are never null');
select ok((select bool_and(col_description('report.goal_progress'::regclass, a.attnum) is not null)
             from pg_attribute a where a.attrelid = 'report.goal_progress'::regclass and a.attnum > 0 and not a.attisdropped)
          and obj_description('report.goal_progress'::regclass) like '%churn%', 'the view and every column are described');

select * from finish();
rollback;
