-- Customer-lifetime prediction per customer (issue 19): each customer of the caller's unit scored
-- with the unit's fitted model (crm.customer_prediction_model, refreshed daily by the scheduled job
-- or by reports.refresh_prediction) on the RFM summary the model was fitted to, report.rfm(as_of,
-- period): the probability of being alive, the expected purchases in the next p_periods periods of
-- the model (BG/NBD), the expected mean value of a purchase (Gamma-Gamma) and their product.
-- The formulas are in 29_prediction_formulas.sql.
set local role crm_owner;

-- p_customers (optional) names the customers to score: a page scores only its own rows, and
-- report.rfm, inlined, then reads only their orders (by the index on customer). A unit without a
-- model (or whose model has no fit) has no rows; a reporter who chose no unit sees every unit's
-- customers scored with their unit's model.
create or replace function report.customer_prediction(p_periods int default 30, p_customers bigint[] default null)
    returns table (tenant text, customer_id bigint, frequency int, recency int, t int, monetary_value numeric,
                   p_alive double precision, expected_purchases double precision, expected_avg_value numeric,
                   expected_value numeric, period text, as_of date)
    language sql stable security invoker as $$
    select r.tenant, r.customer_id, r.frequency, r.recency, r.t, r.monetary_value,
           s.p_alive, s.expected_purchases, round(s.expected_avg_value::numeric, 2),
           round((s.expected_purchases * s.expected_avg_value)::numeric, 2),
           m.period, m.as_of
      from crm.customer_prediction_model m
      join crm.tenant u on u.id = m.tenant_id
     cross join lateral report.rfm(m.as_of, m.period) r
     cross join lateral (select report.bgnbd_p_alive(m.r, m.alpha, m.a, m.b, r.frequency, r.recency, r.t) as p_alive,
                                report.bgnbd_expected_purchases(m.r, m.alpha, m.a, m.b, r.frequency, r.recency, r.t,
                                                                greatest(p_periods, 0)) as expected_purchases,
                                report.gamma_gamma_expected_value(m.p, m.q, m.v, r.frequency, r.monetary_value) as expected_avg_value
                         offset 0) s   -- a fence: each figure computed once per customer
     where m.r is not null and r.tenant = u.slug and (p_customers is null or r.customer_id = any (p_customers))
$$;
comment on function report.customer_prediction(int, bigint[]) is
    'Per customer of the caller''s unit, scored with the unit''s fitted BG/NBD and Gamma-Gamma model on report.rfm(model as_of, model period): P(alive), expected purchases in the next p_periods periods, expected mean value and expected value; only the customers in p_customers when given.';

create or replace view report.customer_prediction with (security_invoker = true) as
select r.tenant, r.customer_id, r.frequency, r.recency, r.t, r.monetary_value, r.p_alive, r.expected_purchases,
       r.expected_avg_value, r.expected_value, r.period, r.as_of
  from report.customer_prediction(30) r;
comment on view report.customer_prediction is 'Customer-lifetime prediction per customer for the next 30 periods of the unit''s model (BG/NBD and Gamma-Gamma, fitted daily); call report.customer_prediction(periods) for another horizon.';
comment on column report.customer_prediction.tenant is 'The business unit (slug).';
comment on column report.customer_prediction.customer_id is 'The customer.';
comment on column report.customer_prediction.frequency is 'RFM frequency as of the model''s date: repeat purchase periods.';
comment on column report.customer_prediction.recency is 'RFM recency: periods from the first to the last purchase.';
comment on column report.customer_prediction.t is 'RFM T: periods from the first purchase to the model''s date.';
comment on column report.customer_prediction.monetary_value is 'RFM monetary value: mean value of the repeat purchase periods (0 without repeats).';
comment on column report.customer_prediction.p_alive is 'BG/NBD probability that the customer is still active (has not dropped out).';
comment on column report.customer_prediction.expected_purchases is 'BG/NBD expected purchase periods in the next 30 periods after the model''s date.';
comment on column report.customer_prediction.expected_avg_value is 'Gamma-Gamma expected mean value of a future purchase period (null when the unit''s spend model is not fitted).';
comment on column report.customer_prediction.expected_value is 'Expected purchases times expected mean value: the expected sales of the next 30 periods (undiscounted).';
comment on column report.customer_prediction.period is 'The time unit of the model and of every figure here: day or week.';
comment on column report.customer_prediction.as_of is 'The model''s date: the end of observation of the RFM figures and the start of the prediction horizon.';

-- reports.customer_prediction: one page by customer id, as (key, json) rows. The page's customers
-- (the next p_limit after p_after with a sale by the model's date, as report.rfm counts them) are
-- found first along the index on (tenant_id, customer_id), and only they are summarised and
-- scored: a page costs milliseconds at a million customers, where the whole unit's RFM takes
-- seconds. EXECUTE (a constant text, the values bound) plans each call for its own array, so the
-- customer filter reaches the orders' index. A unit without a usable model is told why (CR404:
-- never fitted, or the note of a failed fit).
create or replace function report.customer_prediction_page(p_periods int, p_after bigint, p_limit int)
    returns table (key text, json text)
    language plpgsql stable security invoker as $$
declare
    m crm.customer_prediction_model;
    ids bigint[];
begin
    select * into m from crm.customer_prediction_model x where x.tenant_id = (select crm.current_tenant());
    if not found then
        raise exception 'no customer prediction model for this unit yet: the scheduled job fits one daily, or call reports.refresh_prediction'
            using errcode = 'CR404';
    elsif m.r is null then
        raise exception 'no customer prediction model for this unit: %', m.note using errcode = 'CR404';
    end if;
    ids := array(select o.customer_id
                   from crm.sales_order o
                  where o.tenant_id = m.tenant_id and o.customer_id > p_after
                    and crm.is_sale(o.status) and (o.ordered_at at time zone 'UTC')::date <= m.as_of
                    and exists (select 1 from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id)
                  group by o.customer_id
                  order by o.customer_id
                  limit p_limit);
    return query execute
        'select r.customer_id::text, (to_jsonb(r) || jsonb_build_object(''customer_id'', r.customer_id::text))::text
           from report.customer_prediction($1, $2) r
          where r.tenant = $3
          order by r.customer_id'
        using p_periods, ids, (select u.slug from crm.tenant u where u.id = m.tenant_id);
end $$;
comment on function report.customer_prediction_page(int, bigint, int) is
    'One page of report.customer_prediction(p_periods) for reports.customer_prediction: customers after p_after by id, at most p_limit, as (key, json); CR404 when the unit has no usable model.';

grant execute on function report.customer_prediction(int, bigint[]), report.customer_prediction_page(int, bigint, int)
    to crm_unit, crm_viewer, crm_reporter;
grant select on report.customer_prediction to crm_unit, crm_reporter;
