-- reports.* over the views of schema report (Sources/CRMServer/Methods/Reports+RPC.swift,
-- Reports+Contacts.swift, Reports+Campaigns.swift, Reports+Quality.swift, Reports+Sales.swift,
-- Reports+Explain.swift and Reports+Prediction.swift declare them). Read as the caller
-- (security_invoker views): the figures a DBA sees in psql, for one unit. The reports of
-- 33_reports_quality.sql, 34_reports_sales.sql, 33_reports_prediction.sql and 38_report_explain.sql
-- are built by one function each there (report.*_json); the methods' functions at the end of
-- this file take the methods' params by their names and call them.
set local role crm_owner;

-- Profit contribution per customer for a month (YYYY-MM) or a year (YYYY), best first.
create or replace function api.reports_customer_profit(granularity text, period text, customer_id bigint, after_rank numeric,
                                                       after_id bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    if granularity = 'month' then
        if period !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' then
            raise exception 'invalid params: period must be YYYY-MM' using errcode = 'CR422', detail = 'field=period', hint = 'must be YYYY-MM';
        end if;
        -- The page's customers from the rollup first (no index ranks a month by margin: a top-N of
        -- the month's rows), then their rows of the view: the month before is joined for the page only.
        return query
        with page as (
            select s.customer_id from crm.customer_month_summary s
             where s.month = (period || '-01')::date
               and (reports_customer_profit.customer_id is null or s.customer_id = reports_customer_profit.customer_id)
               and (after_rank is null or (s.revenue - s.cost, s.customer_id) < (after_rank, after_id))
             order by s.revenue - s.cost desc, s.customer_id desc
             limit lim)
        select r.gross_margin::text || '|' || r.customer_id, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
          from report.customer_profit_monthly r
         where r.month = (period || '-01')::date and r.customer_id in (select page.customer_id from page)
         order by r.gross_margin desc, r.customer_id desc;
    else
        if period !~ '^[0-9]{4}$' then
            raise exception 'invalid params: period must be YYYY' using errcode = 'CR422', detail = 'field=period', hint = 'must be YYYY';
        end if;
        return query
        select r.gross_margin::text || '|' || r.customer_id, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
          from report.customer_profit_yearly r
         where r.year = period::int
           and (reports_customer_profit.customer_id is null or r.customer_id = reports_customer_profit.customer_id)
           and (after_rank is null or (r.gross_margin, r.customer_id) < (after_rank, after_id))
         order by r.gross_margin desc, r.customer_id desc
         limit lim;
    end if;
end $$;

create or replace function api.reports_customer_tiers(year int, tier text, after_rank numeric, after_id bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.basis_gross_margin::text || '|' || r.customer_id, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
      from crm.customer_tiers_page(year, tier, after_rank, after_id, lim) r
     order by r.basis_gross_margin desc, r.customer_id desc;
end $$;

create or replace function api.reports_refresh_tiers(year int) returns json
    language plpgsql as $$
begin
    return to_json(crm.refresh_customer_tiers(coalesce(year, extract(year from now())::int)));
end $$;

create or replace function api.reports_product_profitability(profit_tier text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.product_id::text, (to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text))::text
      from report.product_profitability r
     where r.product_id > after and (reports_product_profitability.profit_tier is null or r.profit_tier = reports_product_profitability.profit_tier)
     order by r.product_id
     limit lim;
end $$;

create or replace function api.reports_staff_commission(month text, after text, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.staff_id::text || r.product_tier, (to_jsonb(r) || jsonb_build_object('staff_id', r.staff_id::text))::text
      from report.staff_commission r
     where r.month = (reports_staff_commission.month || '-01')::date and r.staff_id::text || r.product_tier > coalesce(after, '')
     order by 1
     limit lim;
end $$;

-- The page's customers first, from the RFM summary's key (a customer has a row as of a day when
-- its first sale is on or before it, in days or weeks alike), then their RFM: the ids reach each
-- part of report.rfm as an index condition, so a page reads its 50 customers' rows (and, by week,
-- their orders), not the unit's.
create or replace function api.reports_rfm(as_of date, period text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
declare
    v_ids bigint[];
begin
    -- The page's keys from the unit's own summary rows, by key: report.rfm shows the unit's own
    -- customers, and the summary's policy lets a unit read the rows of customers shared with it.
    select array_agg(p.customer_id) into v_ids
      from (select s.customer_id from crm.customer_rfm_summary s
             where s.tenant_id = (select crm.current_tenant())
               and s.customer_id > after and s.first_day <= coalesce(as_of, current_date)
             order by s.customer_id limit lim) p;
    return query
    select r.customer_id::text, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
      from report.rfm(coalesce(as_of, current_date), coalesce(period, 'day')) r
     where r.customer_id = any(v_ids)
     order by r.customer_id;
end $$;

create or replace function api.reports_goals(after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.goal_id::text, (to_jsonb(r) || jsonb_build_object('goal_id', r.goal_id::text, 'staff_id', r.staff_id::text))::text
      from report.goal_progress r
     where r.goal_id > after
     order by r.goal_id
     limit lim;
end $$;

create or replace function api.reports_crm_roi() returns json
    language plpgsql stable as $$
begin
    return (select row_to_json(r) from report.crm_roi r);
end $$;

-- Contacts, the call centre, satisfaction, the lifecycle and customer value.
create or replace function api.reports_channel_effectiveness(month text) returns json
    language plpgsql stable as $$
begin
    return (select coalesce(json_agg(r order by r.month, r.channel), '[]') from report.channel_effectiveness r
             where reports_channel_effectiveness.month is null or r.month = (reports_channel_effectiveness.month || '-01')::date);
end $$;

create or replace function api.reports_call_centre_daily(day date) returns json
    language plpgsql stable as $$
begin
    return (select coalesce(json_agg(to_jsonb(r) || jsonb_build_object('agent_id', r.agent_id::text) order by r.agent_id), '[]')
              from report.call_centre_daily r where r.day = reports_call_centre_daily.day);
end $$;

create or replace function api.reports_satisfaction(month text) returns json
    language plpgsql stable as $$
begin
    return (select coalesce(json_agg(to_jsonb(r) || jsonb_build_object('product_id', r.product_id::text) order by r.month, r.product_id), '[]')
              from report.satisfaction r
             where reports_satisfaction.month is null or r.month = (reports_satisfaction.month || '-01')::date);
end $$;

create or replace function api.reports_lifecycle_funnel() returns json
    language plpgsql stable as $$
begin
    return json_build_object(
        'funnel', (select coalesce(json_agg(r order by r.position), '[]') from report.lifecycle_funnel r),
        'data_capture', (select row_to_json(d) from report.data_capture d));
end $$;

create or replace function api.reports_customer_value(after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.customer_id::text, (to_jsonb(r) || jsonb_build_object('customer_id', r.customer_id::text))::text
      from report.customer_value r
     where r.customer_id > after
     order by r.customer_id
     limit lim;
end $$;

-- Campaigns: newest id first, and one campaign's weeks (the key is the week's first day).
create or replace function api.reports_campaign_results(campaign_id bigint, before bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.campaign_id::text, (to_jsonb(r) || jsonb_build_object('campaign_id', r.campaign_id::text))::text
      from report.campaign_results r
     where r.campaign_id < before
       and (reports_campaign_results.campaign_id is null or r.campaign_id = reports_campaign_results.campaign_id)
     order by r.campaign_id desc
     limit lim;
end $$;

create or replace function api.reports_campaign_weekly(campaign_id bigint, after text, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    if after is not null and after !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
        raise exception 'invalid params: cursor is not a cursor this server issued' using errcode = 'CR422', detail = 'field=cursor',
            hint = 'is not a cursor this server issued';
    end if;
    return query
    select r.week::text, (to_jsonb(r) || jsonb_build_object('campaign_id', r.campaign_id::text))::text
      from report.campaign_weekly r
     where r.campaign_id = reports_campaign_weekly.campaign_id and r.week > coalesce(after::date, '0001-01-01')
     order by r.week
     limit lim;
end $$;

grant execute on function api.reports_customer_profit(text, text, bigint, numeric, bigint, int),
    api.reports_customer_tiers(int, text, numeric, bigint, int), api.reports_product_profitability(text, bigint, int),
    api.reports_staff_commission(text, text, int), api.reports_rfm(date, text, bigint, int), api.reports_goals(bigint, int),
    api.reports_crm_roi(), api.reports_channel_effectiveness(text), api.reports_call_centre_daily(date), api.reports_satisfaction(text),
    api.reports_lifecycle_funnel(), api.reports_customer_value(bigint, int), api.reports_campaign_results(bigint, bigint, int),
    api.reports_campaign_weekly(bigint, text, int) to crm_unit, crm_viewer;
grant execute on function api.reports_refresh_tiers(int) to crm_unit;

-- The methods over report.*_json: each takes its method's params by name (a month as YYYY-MM)
-- and calls the report's function.
create or replace function api.reports_complaints(month text, "limit" int) returns json
    language plpgsql stable as $$
begin
    return report.complaints_json((month || '-01')::date, "limit");
end $$;

create or replace function api.reports_agent_service(month text, "limit" int) returns json
    language plpgsql stable as $$
begin
    return report.agent_service_json((month || '-01')::date, "limit");
end $$;

create or replace function api.reports_repair_costs(year int, "limit" int) returns json
    language plpgsql stable as $$
begin
    return report.repair_costs_json(year, "limit");
end $$;

create or replace function api.reports_basket_affinity(min_support numeric, "limit" int) returns json
    language plpgsql stable as $$
begin
    return report.basket_affinity_json(min_support, "limit");
end $$;

create or replace function api.reports_existing_vs_new(year int) returns json
    language plpgsql stable as $$
begin
    return report.existing_vs_new_json(year);
end $$;

create or replace function api.reports_referrals("limit" int) returns json
    language plpgsql stable as $$
begin
    return report.referrals_json("limit");
end $$;

create or replace function api.reports_adoption(weeks int) returns json
    language plpgsql stable as $$
begin
    return report.adoption_json(weeks);
end $$;

create or replace function api.reports_sales_forecast(months int) returns json
    language plpgsql stable as $$
begin
    return report.sales_forecast_json(months);
end $$;

create or replace function api.reports_explain(report text, key jsonb) returns json
    language plpgsql stable as $$
begin
    return report.explain(report, key);
end $$;

create or replace function api.reports_customer_prediction(periods int, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query select p.key, p.json from report.customer_prediction_page(coalesce(periods, 30), after, lim) p;
end $$;

create or replace function api.reports_prediction_model() returns json
    language plpgsql stable as $$
begin
    return crm.customer_prediction_model_json();
end $$;

grant execute on function api.reports_complaints(text, int), api.reports_agent_service(text, int), api.reports_repair_costs(int, int),
    api.reports_basket_affinity(numeric, int), api.reports_existing_vs_new(int), api.reports_referrals(int),
    api.reports_adoption(int), api.reports_sales_forecast(int), api.reports_explain(text, jsonb),
    api.reports_customer_prediction(int, bigint, int), api.reports_prediction_model() to crm_unit, crm_viewer;
