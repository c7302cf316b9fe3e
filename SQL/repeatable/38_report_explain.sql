-- "Where does this figure come from?" (issue 19): for one row of a report, the figure as the
-- report gives it, the source rows it was computed from, the formula, and the figure computed
-- again from those rows (`recomputed`, `matches`), so a manager who doubts a number can check it.
-- Security invoker: the caller's policies decide which rows exist, exactly as in the report.
-- `reports.explain {report, key}` calls report.explain; in psql, as a unit:
--   set role crm_unit; set crm.tenant = 'slug';
--   select report.explain('profit_contribution', '{"customer_id": "…", "month": "2026-03"}');
-- Source rows are capped at 500 per explanation (`sources_truncated` says when there were more).
set local role crm_owner;

-- A key's field, or a clear error naming it (CR422 → -32602 with data.field).
create or replace function report.explain_key(p_key jsonb, p_field text) returns text
    language plpgsql immutable as $$
begin
    if coalesce(p_key->>p_field, '') = '' then
        raise exception 'invalid params: key.% is required for this report', p_field using errcode = 'CR422', detail = 'field=key.' || p_field;
    end if;
    return p_key->>p_field;
end $$;

create or replace function report.explain_id(p_key jsonb, p_field text) returns bigint
    language plpgsql immutable as $$
declare
    v text := report.explain_key(p_key, p_field);
begin
    if v !~ '^[0-9]{1,18}$' then
        raise exception 'invalid params: key.% is not an id', p_field using errcode = 'CR422', detail = 'field=key.' || p_field;
    end if;
    return v::bigint;
end $$;

-- key.month (YYYY-MM) as the month's first day, or a clear error naming it.
create or replace function report.explain_month(p_key jsonb) returns date
    language plpgsql immutable as $$
declare
    v text := report.explain_key(p_key, 'month');
begin
    if v !~ '^\d{4}-\d{2}$' then
        raise exception 'invalid params: key.month must be YYYY-MM' using errcode = 'CR422', detail = 'field=key.month';
    end if;
    return (v || '-01')::date;
end $$;

-- The unit of a customer the caller may read (so that every read after it is an index probe
-- within that unit), or not found.
create or replace function report.explain_customer_unit(p_customer bigint) returns uuid
    language plpgsql stable as $$
declare
    v uuid;
begin
    select c.tenant_id into v from crm.customer c where c.id = p_customer;
    if v is null then
        raise exception 'customer % not found', p_customer using errcode = 'CR404', detail = 'field=key.customer_id';
    end if;
    return v;
end $$;

-- A customer's profit contribution in one month (report.customer_profit_monthly): the sales
-- orders and their lines, from which the rollup crm.customer_month_summary is kept.
create or replace function report.explain_profit_contribution(p_key jsonb) returns json
    language plpgsql stable as $$
declare
    v_customer bigint := report.explain_id(p_key, 'customer_id');
    v_month date := report.explain_month(p_key);
    v_tenant uuid;
    v_figure record;
    v_lines json;
    v_count int;
    v_revenue numeric;
    v_cost numeric;
begin
    v_tenant := report.explain_customer_unit(v_customer);
    select s.revenue, s.cost, s.revenue - s.cost as gross_margin into v_figure
      from crm.customer_month_summary s where s.tenant_id = v_tenant and s.customer_id = v_customer and s.month = v_month;
    with lines as (
        select o.id as order_id, o.ordered_at, o.status, l.line_no, l.product_id, p.sku, l.quantity, l.unit_price, l.unit_cost,
               l.quantity * l.unit_price as revenue, l.quantity * l.unit_cost as cost
          from crm.sales_order o
          join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
          left join crm.product p on p.tenant_id = l.tenant_id and p.id = l.product_id
         where o.tenant_id = v_tenant and o.customer_id = v_customer and crm.is_sale(o.status)
           and o.ordered_at >= v_month::timestamp at time zone 'UTC'
           and o.ordered_at < (v_month + interval '1 month')::timestamp at time zone 'UTC')
    select count(*), sum(revenue), sum(cost),
           (select coalesce(json_agg(json_build_object('order_id', x.order_id::text, 'ordered_at', x.ordered_at, 'status', x.status,
                                                      'line_no', x.line_no, 'product_id', x.product_id::text, 'sku', x.sku,
                                                      'quantity', x.quantity, 'unit_price', x.unit_price, 'unit_cost', x.unit_cost,
                                                      'revenue', x.revenue, 'cost', x.cost)
                                     order by x.ordered_at, x.order_id, x.line_no), '[]')
              from (select * from lines order by ordered_at, order_id, line_no limit 500) x)
      into v_count, v_revenue, v_cost, v_lines
      from lines;
    return json_build_object(
        'report', 'profit_contribution', 'view', 'report.customer_profit_monthly',
        'key', json_build_object('customer_id', v_customer::text, 'month', to_char(v_month, 'YYYY-MM')),
        'figure', json_build_object('revenue', coalesce(v_figure.revenue, 0), 'cost', coalesce(v_figure.cost, 0),
                                    'gross_margin', coalesce(v_figure.gross_margin, 0)),
        'formula', 'gross_margin = sum(quantity x unit_price) - sum(quantity x unit_cost) over the lines of the customer''s sales '
                   '(orders confirmed, shipped or delivered) ordered in the month (UTC); unit_cost is the cost recorded on the line '
                   'when the order was made',
        'sources', v_lines, 'source_rows', v_count, 'sources_truncated', v_count > 500,
        'recomputed', json_build_object('revenue', coalesce(v_revenue, 0), 'cost', coalesce(v_cost, 0),
                                        'gross_margin', coalesce(v_revenue, 0) - coalesce(v_cost, 0)),
        'matches', coalesce(v_revenue, 0) = coalesce(v_figure.revenue, 0) and coalesce(v_cost, 0) = coalesce(v_figure.cost, 0));
end $$;

-- A customer's tier for a year (report.customer_tier / report.customer_tiers): the basis year's
-- gross margin of the customer, the unit's, the margin of the customers ranked above it, and the
-- unit's thresholds.
create or replace function report.explain_tier(p_key jsonb) returns json
    language plpgsql stable as $$
declare
    v_customer bigint := report.explain_id(p_key, 'customer_id');
    v_year_text text := coalesce(p_key->>'year', extract(year from now())::text);
    v_year int;
    v_tenant uuid;
    v_settings jsonb;
    v_margin numeric;
    v_unit numeric;
    v_before numeric;
    v_a numeric;
    v_b numeric;
    v_tier text;
    v_snapshot text;
    v_recomputed text;
begin
    if v_year_text !~ '^\d{4}$' then
        raise exception 'invalid params: key.year must be a year' using errcode = 'CR422', detail = 'field=key.year';
    end if;
    v_year := v_year_text::int;
    v_tenant := report.explain_customer_unit(v_customer);
    select t.settings into v_settings from crm.tenant t where t.id = v_tenant;
    v_a := coalesce((v_settings #>> '{customer_tiers,A}')::numeric, 0.5);
    v_b := coalesce((v_settings #>> '{customer_tiers,B}')::numeric, 0.8);
    select y.gross_margin into v_margin from crm.customer_year_summary y
     where y.tenant_id = v_tenant and y.customer_id = v_customer and y.year = v_year - 1;
    select coalesce(sum(y.gross_margin), 0) into v_unit from crm.customer_year_summary y
     where y.tenant_id = v_tenant and y.year = v_year - 1;
    -- Ranked above: a higher margin, or the same margin and a higher id (the report's order).
    select coalesce(sum(y.gross_margin), 0) into v_before from crm.customer_year_summary y
     where y.tenant_id = v_tenant and y.year = v_year - 1
       and (y.gross_margin > v_margin or (y.gross_margin = v_margin and y.customer_id > v_customer));
    v_recomputed := case when v_margin is null then null
                         when v_margin <= 0 or v_unit <= 0 then 'D'
                         when v_before / v_unit < v_a then 'A'
                         when v_before / v_unit < v_b then 'B'
                         else 'C' end;
    select s.tier into v_snapshot from crm.customer_tier_snapshot s
     where s.tenant_id = v_tenant and s.customer_id = v_customer and s.year = v_year;
    return json_build_object(
        'report', 'tier', 'view', 'report.customer_tier',
        'key', json_build_object('customer_id', v_customer::text, 'year', v_year),
        'figure', json_build_object('tier', v_snapshot),
        'formula', 'customers are ranked by the gross margin of the year before (ties: higher id first); share_before = margin of '
                   'the customers ranked above / the unit''s margin; tier A while share_before < customer_tiers.A, B while < '
                   'customer_tiers.B, else C; D with no positive margin; no sales that year: no tier',
        'sources', json_build_object('basis_year', v_year - 1, 'customer_gross_margin', v_margin, 'unit_gross_margin', v_unit,
                                     'margin_ranked_above', v_before,
                                     'share_before', case when v_unit <> 0 then round(v_before / v_unit, 6) end,
                                     'threshold_a', v_a, 'threshold_b', v_b),
        'recomputed', json_build_object('tier', v_recomputed),
        'matches', v_snapshot is not distinct from v_recomputed);
end $$;

-- A staff member's commission in one month (report.staff_commission): each product sold, its
-- tier under the unit's settings and the tier's rate.
create or replace function report.explain_commission(p_key jsonb) returns json
    language plpgsql stable as $$
declare
    v_staff bigint := report.explain_id(p_key, 'staff_id');
    v_month date := report.explain_month(p_key);
    v_tenant uuid;
    v_figure numeric;
    v_sources json;
    v_recomputed numeric;
    v_count int;
begin
    select s.tenant_id into v_tenant from crm.staff s where s.id = v_staff;
    if v_tenant is null then
        raise exception 'staff member % not found', v_staff using errcode = 'CR404', detail = 'field=key.staff_id';
    end if;
    select sum(c.commission) into v_figure from report.staff_commission c where c.staff_id = v_staff and c.month = v_month;
    with sold as (
        select m.tenant_id, m.product_id, sum(m.revenue) as revenue, sum(m.units) as units
          from crm.product_month_summary m
         where m.tenant_id = v_tenant and m.staff_id = v_staff and m.month = v_month
         group by m.tenant_id, m.product_id),
    rated as (
        select s.product_id, p.sku, p.list_price, p.unit_cost, s.units, s.revenue,
               crm.product_tier_of(t.settings, p.list_price, p.unit_cost) as product_tier, coalesce(r.rate, 0) as rate
          from sold s
          join crm.tenant t on t.id = s.tenant_id
          join crm.product p on p.tenant_id = s.tenant_id and p.id = s.product_id
          left join crm.commission_rate r on r.tenant_id = s.tenant_id and r.tier = crm.product_tier_of(t.settings, p.list_price, p.unit_cost))
    select count(*),
           (select coalesce(json_agg(json_build_object('product_id', x.product_id::text, 'sku', x.sku, 'list_price', x.list_price,
                                                      'unit_cost', x.unit_cost, 'product_tier', x.product_tier, 'units', x.units,
                                                      'revenue', x.revenue, 'rate', x.rate, 'commission', round(x.revenue * x.rate, 2))
                                     order by x.sku), '[]')
              from (select * from rated order by sku limit 500) x),
           (select sum(g.c) from (select round(sum(y.revenue) * y.rate, 2) as c from rated y group by y.product_tier, y.rate) g)
      into v_count, v_sources, v_recomputed
      from rated;
    return json_build_object(
        'report', 'commission', 'view', 'report.staff_commission',
        'key', json_build_object('staff_id', v_staff::text, 'month', to_char(v_month, 'YYYY-MM')),
        'figure', json_build_object('commission', coalesce(v_figure, 0)),
        'formula', 'commission = sum over product tiers of round(revenue sold in the tier x the tier''s rate, 2); a product''s '
                   'tier comes from its current margin rate (list_price - unit_cost) / list_price against product_tiers.A and .B; '
                   'rates from crm.commission_rate; revenue of the staff member''s sales (confirmed, shipped, delivered) in the month',
        'sources', v_sources, 'source_rows', v_count, 'sources_truncated', v_count > 500,
        'recomputed', json_build_object('commission', coalesce(v_recomputed, 0)),
        'matches', coalesce(v_figure, 0) = coalesce(v_recomputed, 0));
end $$;

-- A campaign's return on investment (report.campaign_results): its cost ledger and the sales
-- attributed to it.
create or replace function report.explain_campaign_roi(p_key jsonb) returns json
    language plpgsql stable as $$
declare
    v_campaign bigint := report.explain_id(p_key, 'campaign_id');
    v_tenant uuid;
    v_figure record;
    v_costs json;
    v_orders json;
    v_cost numeric;
    v_margin numeric;
    v_count int;
begin
    select c.tenant_id into v_tenant from crm.campaign c where c.id = v_campaign;
    select r.cost, r.gross_margin, r.roi into v_figure from report.campaign_results r where r.campaign_id = v_campaign;
    if v_tenant is null or not found then
        raise exception 'campaign % not found', v_campaign using errcode = 'CR404', detail = 'field=key.campaign_id';
    end if;
    select coalesce(sum(x.amount), 0),
           coalesce(json_agg(json_build_object('cost_id', x.id::text, 'category', x.category, 'channel', x.channel,
                                               'amount', x.amount, 'incurred_on', x.incurred_on) order by x.incurred_on, x.id), '[]')
      into v_cost, v_costs
      from crm.campaign_cost x where x.tenant_id = v_tenant and x.campaign_id = v_campaign;
    with orders as (
        select o.id, o.ordered_at, o.status, o.customer_id, sum(l.quantity * l.unit_price) as revenue, sum(l.quantity * l.unit_cost) as cost
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where o.tenant_id = v_tenant and o.campaign_id = v_campaign and crm.is_sale(o.status)
         group by o.id, o.ordered_at, o.status, o.customer_id)
    select count(*), coalesce(sum(revenue - cost), 0),
           (select coalesce(json_agg(json_build_object('order_id', x.id::text, 'ordered_at', x.ordered_at, 'status', x.status,
                                                      'customer_id', x.customer_id::text, 'revenue', x.revenue, 'cost', x.cost)
                                     order by x.ordered_at, x.id), '[]')
              from (select * from orders order by ordered_at, id limit 500) x)
      into v_count, v_margin, v_orders
      from orders;
    return json_build_object(
        'report', 'campaign_roi', 'view', 'report.campaign_results',
        'key', json_build_object('campaign_id', v_campaign::text),
        'figure', json_build_object('cost', v_figure.cost, 'gross_margin', v_figure.gross_margin, 'roi', v_figure.roi),
        'formula', 'roi = (gross margin of the attributed sales - cost) / cost; attributed sales are orders carrying the '
                   'campaign that are confirmed, shipped or delivered; cost is the sum of the campaign''s cost ledger; no cost: no roi',
        'sources', json_build_object('costs', v_costs, 'orders', v_orders), 'source_rows', v_count, 'sources_truncated', v_count > 500,
        'recomputed', json_build_object('cost', v_cost, 'gross_margin', v_margin,
                                        'roi', case when v_cost > 0 then round((v_margin - v_cost) / v_cost, 4) end),
        'matches', v_cost = v_figure.cost and v_margin = v_figure.gross_margin
                   and (case when v_cost > 0 then round((v_margin - v_cost) / v_cost, 4) end) is not distinct from v_figure.roi);
end $$;

-- A customer's RFM (report.rfm, lifetimes' definitions): the purchase periods it counts.
create or replace function report.explain_rfm(p_key jsonb) returns json
    language plpgsql stable as $$
declare
    v_customer bigint := report.explain_id(p_key, 'customer_id');
    v_as_of date;
    v_period text := coalesce(p_key->>'period', 'day');
    v_tenant uuid;
    v_figure record;
    v_periods json;
    v_frequency int;
    v_recency int;
    v_t int;
    v_monetary numeric;
    v_now int;
begin
    if v_period not in ('day', 'week') then
        raise exception 'invalid params: key.period must be day or week' using errcode = 'CR422', detail = 'field=key.period';
    end if;
    if coalesce(p_key->>'as_of', '') !~ '^(\d{4}-\d{2}-\d{2})?$' then
        raise exception 'invalid params: key.as_of must be a date' using errcode = 'CR422', detail = 'field=key.as_of';
    end if;
    v_as_of := coalesce(nullif(p_key->>'as_of', '')::date, current_date);
    v_tenant := report.explain_customer_unit(v_customer);
    select r.frequency, r.recency, r.t, r.monetary_value into v_figure
      from report.rfm(v_as_of, v_period) r where r.customer_id = v_customer;
    v_now := case v_period when 'week' then (date_trunc('week', v_as_of)::date - date '1970-01-05') / 7 else v_as_of - date '1970-01-01' end;
    with tx as (
        select case v_period when 'week' then (date_trunc('week', o.ordered_at at time zone 'UTC')::date - date '1970-01-05') / 7
                             else (o.ordered_at at time zone 'UTC')::date - date '1970-01-01' end as period_no,
               sum(l.quantity * l.unit_price) as value, count(distinct o.id) as orders
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where o.tenant_id = v_tenant and o.customer_id = v_customer and crm.is_sale(o.status)
           and (o.ordered_at at time zone 'UTC')::date <= v_as_of
         group by 1)
    select json_agg(json_build_object('period_no', period_no,
                                      'starts_on', case v_period when 'week' then date '1970-01-05' + period_no * 7 else date '1970-01-01' + period_no end,
                                      'orders', orders, 'value', value) order by period_no),
           count(*) - 1 as frequency, max(period_no) - min(period_no) as recency, v_now - min(period_no) as t,
           coalesce(round(avg(value) filter (where period_no > (select min(period_no) from tx)), 2), 0) as monetary_value
      into v_periods, v_frequency, v_recency, v_t, v_monetary
      from tx;
    return json_build_object(
        'report', 'rfm', 'view', 'report.rfm',
        'key', json_build_object('customer_id', v_customer::text, 'as_of', v_as_of, 'period', v_period),
        'figure', case when v_figure is null then null else json_build_object('frequency', v_figure.frequency, 'recency', v_figure.recency,
                                                                             't', v_figure.t, 'monetary_value', v_figure.monetary_value) end,
        'formula', 'sales (confirmed, shipped, delivered) summed per period (day or ISO week, UTC) up to as_of; frequency = periods '
                   'with a purchase - 1; recency = last - first purchase period; t = as_of''s period - first purchase period; '
                   'monetary_value = mean value of the periods after the first (0 without repeats)',
        'sources', coalesce(v_periods, '[]'),
        'recomputed', case when v_periods is null then null else json_build_object('frequency', v_frequency, 'recency', v_recency,
                                                                                  't', v_t, 'monetary_value', v_monetary) end,
        'matches', (v_figure.frequency is not distinct from v_frequency and v_figure.recency is not distinct from v_recency
                    and v_figure.t is not distinct from v_t and v_figure.monetary_value is not distinct from v_monetary));
end $$;

create or replace function report.explain(p_report text, p_key jsonb) returns json
    language plpgsql stable as $$
begin
    return case p_report
        when 'profit_contribution' then report.explain_profit_contribution(p_key)
        when 'tier' then report.explain_tier(p_key)
        when 'commission' then report.explain_commission(p_key)
        when 'campaign_roi' then report.explain_campaign_roi(p_key)
        when 'rfm' then report.explain_rfm(p_key)
        else report.explain_unknown(p_report) end;
end $$;

create or replace function report.explain_unknown(p_report text) returns json
    language plpgsql immutable as $$
begin
    raise exception 'invalid params: report must be one of profit_contribution, tier, commission, campaign_roi, rfm'
        using errcode = 'CR422', detail = 'field=report';
end $$;

comment on function report.explain(text, jsonb) is 'For one row of a report (profit_contribution {customer_id, month}, tier {customer_id, year}, commission {staff_id, month}, campaign_roi {campaign_id}, rfm {customer_id, as_of, period}): the figure as the report gives it, the source rows, the formula, the figure recomputed from the sources and whether they match.';

grant execute on function report.explain(text, jsonb), report.explain_key(jsonb, text), report.explain_id(jsonb, text),
    report.explain_month(jsonb), report.explain_customer_unit(bigint),
    report.explain_profit_contribution(jsonb), report.explain_tier(jsonb), report.explain_commission(jsonb),
    report.explain_campaign_roi(jsonb), report.explain_rfm(jsonb), report.explain_unknown(text) to crm_unit, crm_viewer, crm_reporter;
