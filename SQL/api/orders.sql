-- orders.*, payments.record, goals.set: one function per method (Sources/CRMServer/Methods/Orders+RPC.swift
-- declares them). PL/pgSQL, so each statement's plan is kept for the session.
set local role crm_owner;

create or replace function api.orders_create(customer_id bigint, staff_id bigint, campaign_id bigint, lines jsonb,
                                             status text, ordered_at timestamptz, idempotency_key text) returns json
    language plpgsql as $$
declare
    placed record;
begin
    if jsonb_typeof(lines) is distinct from 'array' or jsonb_array_length(lines) = 0 then
        raise exception 'invalid params: lines needs at least one line' using errcode = 'CR422', detail = 'field=lines',
            hint = 'needs at least one line';
    end if;
    -- The new order's JSON from the rows written; a retry's from the order it made before.
    placed := crm.place_order(customer_id, staff_id, campaign_id, lines, coalesce(status, 'confirmed'),
                              coalesce(ordered_at, now()), idempotency_key);
    return coalesce(placed.answer, crm.order_json(placed.order_id));
end $$;

create or replace function api.orders_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return crm.order_json(id);
end $$;

create or replace function api.orders_list(customer_id bigint, status text, after_at timestamptz, after_id bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select o.ordered_at::text || '|' || o.id, crm.order_json(o.id)::text
      from crm.sales_order o
     where o.tenant_id = any(crm.visible_tenants())
       and (after_at is null or (o.ordered_at, o.id) < (after_at, after_id))
       and (orders_list.customer_id is null or o.customer_id = orders_list.customer_id)
       and (orders_list.status is null or o.status = orders_list.status)
     order by o.ordered_at desc, o.id desc
     limit lim;
end $$;

create or replace function api.orders_set_status(id bigint, status text, version int) returns json
    language plpgsql as $$
begin
    if crm.set_order_status(id, status, version) then
        return crm.order_json(id);
    end if;
    return null;
end $$;

create or replace function api.payments_record(customer_id bigint, amount numeric, invoice_id bigint, method text,
                                               paid_at timestamptz, idempotency_key text) returns json
    language plpgsql as $$
begin
    return json_build_object('id', crm.record_payment(customer_id, amount, invoice_id, method, coalesce(paid_at, now()),
                                                      idempotency_key)::text);
end $$;

create or replace function api.goals_set(metric text, target numeric, period_start date, period_end date, staff_id bigint,
                                         team text) returns json
    language plpgsql as $$
declare
    g crm.goal;
begin
    -- The metrics report.goal_progress measures (31_reports_products_goals.sql defines each).
    if metric is null or not metric = any (array['revenue', 'gross_margin', 'orders', 'new_customers', 'contacts', 'nps',
                                                 'churn_rate', 'retention_rate', 'margin_rate']) then
        raise exception 'invalid params: metric is not a goal metric' using errcode = 'CR422', detail = 'field=metric',
            hint = 'must be one of revenue, gross_margin, orders, new_customers, contacts, nps, churn_rate, retention_rate, margin_rate';
    end if;
    if metric in ('nps', 'churn_rate', 'retention_rate') and (staff_id is not null or team is not null) then
        raise exception 'invalid params: % is measured for the whole unit', metric using errcode = 'CR422',
            detail = 'field=' || case when staff_id is not null then 'staff_id' else 'team' end,
            hint = metric || ' is measured for the whole unit, not for a staff member or team';
    end if;
    if metric in ('churn_rate', 'retention_rate', 'margin_rate') and target not between 0 and 1 then
        raise exception 'invalid params: target of a rate is a fraction' using errcode = 'CR422', detail = 'field=target',
            hint = 'a rate is a fraction between 0 and 1 (0.25 for 25%)';
    end if;
    if metric = 'nps' and target not between -100 and 100 then
        raise exception 'invalid params: target of nps is between -100 and 100' using errcode = 'CR422', detail = 'field=target',
            hint = 'nps is between -100 and 100';
    end if;
    insert into crm.goal (tenant_id, metric, target, period_start, period_end, staff_id, team)
    values (crm.current_tenant(), goals_set.metric, goals_set.target, goals_set.period_start, goals_set.period_end,
            goals_set.staff_id, goals_set.team)
    returning * into g;
    return json_build_object('id', g.id::text, 'metric', g.metric, 'target', g.target::text, 'period_start', g.period_start,
                             'period_end', g.period_end, 'staff_id', g.staff_id::text, 'team', g.team);
end $$;

grant execute on function api.orders_get(bigint), api.orders_list(bigint, text, timestamptz, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.orders_create(bigint, bigint, bigint, jsonb, text, timestamptz, text),
    api.orders_set_status(bigint, text, int), api.payments_record(bigint, numeric, bigint, text, timestamptz, text),
    api.goals_set(text, numeric, date, date, bigint, text) to crm_unit;
