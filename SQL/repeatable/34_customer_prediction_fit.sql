-- What the server's fit of the customer-lifetime models (Sources/CRMCore/Analytics,
-- CustomerPredictionRefresh) reads and writes, as the unit's role in the unit: the period to fit
-- in, the unit's RFM summary grouped, and the upsert of the result. Run by the scheduled job (no
-- principal: the server's own work, at most once a day per unit) and by reports.refresh_prediction
-- (managers and directors); any other unit role is refused (CR403).
set local role crm_owner;

-- The period the next fit of the caller's unit uses: its model's, else 'week'. With
-- p_only_when_stale, null when the unit's model (or its note) is already as of today.
create or replace function crm.customer_prediction_period(p_only_when_stale boolean default false) returns text
    language sql stable as $$
    select case when m.tenant_id is null then 'week'
                when not p_only_when_stale or m.as_of < current_date then m.period end
      from (select 1) one
      left join crm.customer_prediction_model m on m.tenant_id = (select crm.current_tenant())
$$;
comment on function crm.customer_prediction_period(boolean) is
    'The period (day or week) the next customer-prediction fit of the caller''s unit uses; with p_only_when_stale null when its model is as of today.';

-- The caller's unit's RFM summary as of p_as_of in p_period, one row per distinct summary with
-- the number of customers that share it (most customers without repeats share a few).
create or replace function crm.customer_prediction_inputs(p_period text, p_as_of date)
    returns table (frequency int, recency int, t int, monetary_value numeric, customers int)
    language sql stable as $$
    select r.frequency, r.recency, r.t, r.monetary_value, count(*)::int
      from report.rfm(p_as_of, p_period) r
     where r.tenant = (select u.slug from crm.tenant u where u.id = (select crm.current_tenant()))
     group by 1, 2, 3, 4
$$;
comment on function crm.customer_prediction_inputs(text, date) is
    'The caller''s unit''s report.rfm(as_of, period) grouped by (frequency, recency, t, monetary_value), with the customers of each: what the prediction fit reads.';

-- Writes the caller's unit's model (one row per unit, replaced). Parameters null with a note when
-- the fit failed; p, q, v null when only the spend model failed.
create or replace function crm.save_customer_prediction_model(
        p_period text, p_as_of date, p_customers int, p_repeat_customers int,
        p_r double precision, p_alpha double precision, p_a double precision, p_b double precision, p_log_likelihood double precision,
        p_p double precision, p_q double precision, p_v double precision, p_note text) returns void
    language plpgsql as $$
begin
    if crm.current_principal() is not null and coalesce(crm.current_app_role(), '') not in ('manager', 'director') then
        raise exception 'forbidden: fitting the customer prediction needs a manager or a director' using errcode = 'CR403';
    end if;
    insert into crm.customer_prediction_model as m (tenant_id, period, as_of, fitted_at, customers, repeat_customers,
                                                    r, alpha, a, b, log_likelihood, p, q, v, note)
    values (crm.current_tenant(), p_period, p_as_of, now(), p_customers, p_repeat_customers,
            p_r, p_alpha, p_a, p_b, p_log_likelihood, p_p, p_q, p_v, p_note)
    on conflict (tenant_id) do update
       set period = excluded.period, as_of = excluded.as_of, fitted_at = excluded.fitted_at, customers = excluded.customers,
           repeat_customers = excluded.repeat_customers, r = excluded.r, alpha = excluded.alpha, a = excluded.a, b = excluded.b,
           log_likelihood = excluded.log_likelihood, p = excluded.p, q = excluded.q, v = excluded.v, note = excluded.note;
end $$;
comment on function crm.save_customer_prediction_model(text, date, int, int, double precision, double precision, double precision, double precision, double precision, double precision, double precision, double precision, text) is
    'Stores the caller''s unit''s customer-prediction fit (BG/NBD r, alpha, a, b and Gamma-Gamma p, q, v, or a note why not) in crm.customer_prediction_model.';

grant execute on function crm.customer_prediction_period(boolean), crm.customer_prediction_inputs(text, date),
    crm.save_customer_prediction_model(text, date, int, int, double precision, double precision, double precision, double precision,
                                       double precision, double precision, double precision, double precision, text)
    to crm_unit;

-- The caller's unit's model as JSON (null when never fitted): what reports.refresh_prediction
-- answers and reports.prediction_model reads.
create or replace function crm.customer_prediction_model_json() returns json
    language sql stable as $$
    select json_build_object('period', m.period, 'as_of', m.as_of, 'fitted_at', m.fitted_at, 'customers', m.customers,
                             'repeat_customers', m.repeat_customers, 'r', m.r, 'alpha', m.alpha, 'a', m.a, 'b', m.b,
                             'log_likelihood', m.log_likelihood, 'p', m.p, 'q', m.q, 'v', m.v, 'note', m.note)
      from crm.customer_prediction_model m where m.tenant_id = (select crm.current_tenant())
$$;
comment on function crm.customer_prediction_model_json() is
    'The caller''s unit''s customer-prediction model (crm.customer_prediction_model without tenant_id) as JSON; null when never fitted.';

grant execute on function crm.customer_prediction_model_json() to crm_unit, crm_viewer;
