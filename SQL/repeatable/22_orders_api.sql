-- The JSON the orders.* methods answer. Volatile on purpose: called right after crm.create_order
-- or crm.set_order_status in the same statement, it must see what they wrote (a stable function
-- would read the statement's starting snapshot).
set local role crm_owner;

-- The tier service an order shows (crm.order_json_of; the rules: 47_tier_service.sql): null when
-- none was applied. Stable, as its body is (json_build_object, to_char), so that PostgreSQL inlines
-- it (declared immutable it was not, and was planned on every call).
create or replace function crm.order_tier_service_json(o crm.sales_order) returns json
    language sql stable
    return case when o.service_tier is not null then
        json_build_object('tier', o.service_tier, 'discount_percent', trim_scale(o.discount_percent)::text,
                          'discount', coalesce(o.discount_amount, 0)::numeric(14,2)::text, 'delivery_days', o.delivery_days,
                          'deliver_by', case when o.delivery_days is not null
                                             then to_char((o.ordered_at at time zone 'UTC')::date + o.delivery_days, 'YYYY-MM-DD') end)
    end;
comment on function crm.order_tier_service_json(crm.sales_order) is
    'The tier, discount percent and amount, and delivery promise (days, date in UTC) applied to an order; null when its unit had no rule for the customer''s tier.';

grant execute on function crm.order_tier_service_json(crm.sales_order) to crm_unit, crm_viewer;

-- An order as the API shows it, from its row, its lines as JSON and their total: the one definition
-- of the shape, read by crm.order_json (from the tables) and crm.place_order (from the rows it has
-- just written). Stable, as their bodies are, so that PostgreSQL inlines them (a SQL function it
-- cannot inline is planned on every call).
create or replace function crm.order_line_json(l crm.order_line) returns json
    language sql stable
    return json_build_object('line_no', l.line_no, 'product_id', l.product_id::text, 'quantity', l.quantity::text,
                             'unit_price', l.unit_price::text, 'amount', (l.quantity * l.unit_price)::numeric(14,2)::text);
create or replace function crm.order_json_of(o crm.sales_order, p_lines json, p_total numeric) returns json
    language sql stable
    return json_build_object('id', o.id::text, 'customer_id', o.customer_id::text, 'staff_id', o.staff_id::text,
        'campaign_id', o.campaign_id::text, 'status', o.status, 'ordered_at', o.ordered_at, 'version', o.version,
        'lines', p_lines, 'total', coalesce(p_total, 0)::numeric(14,2)::text, 'tier_service', crm.order_tier_service_json(o));

-- PL/pgSQL so that its statement keeps its plan (as a SQL function with sub-selects it was planned
-- on every call, in every orders.get and orders.list).
create or replace function crm.order_json(p_order_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select crm.order_json_of(o,
            (select json_agg(crm.order_line_json(l) order by l.line_no)
               from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id),
            (select sum(l.quantity * l.unit_price) from crm.order_line l where l.tenant_id = o.tenant_id and l.order_id = o.id))
          from crm.sales_order o
         where o.tenant_id = any(crm.visible_tenants()) and o.id = p_order_id);
end $$;

grant execute on function crm.order_json(bigint), crm.order_line_json(crm.order_line),
    crm.order_json_of(crm.sales_order, json, numeric) to crm_unit;

-- Order writes as functions: one statement from the server does the checks, the lines with the
-- price and cost of the day, the history, invoices and the audit entry.
-- orders.create: the order goes in with its final status and its lines in one statement, so the
-- lines' statement trigger (crm.order_lines_rollup, the path imports take too) adds a sale to the
-- rollups once; no second version of the order row, no per-line statements. The lines are checked
-- first, in their order: the first whose product is not the unit's, or whose quantity is not
-- positive, is the error.
-- A unit's tier_service rule for the customer's tier (47_tier_service.sql) takes its discount off the
-- list price of the lines without a price of their own; without a rule the lines are as before.
-- crm.place_order answers the new order's id and its JSON (crm.order_json_of), built from the rows
-- it wrote (RETURNING) rather than read again; for a retry of an idempotency key that already
-- made an order, the id alone (answer null: the caller reads it with crm.order_json).
-- crm.create_order is the same without the JSON. Generic plans, kept for the session: with the
-- lines as a parameter PostgreSQL chose a custom plan for the statements over them on every call
-- (planning the lines' insert under its policies cost more than running it). A generic plan knows
-- neither the unit nor the number of lines, and joined the lines to the products by hashing the
-- unit's whole catalog (12 ms an order in a unit of 33,000 products): each line reads its product
-- by key (a LATERAL sub-select with LIMIT 1, which the planner keeps as a per-line index probe).
create or replace function crm.place_order(p_customer_id bigint, p_staff_id bigint, p_campaign_id bigint, p_lines jsonb,
                                           p_status text, p_ordered_at timestamptz, p_idempotency_key text,
                                           out order_id bigint, out answer json)
    language plpgsql set plan_cache_mode = force_generic_plan as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_order bigint;
    v_row crm.sales_order;
    v_placed record;
    v_lines json;
    v_total numeric;
    v_bad record;
    v_service record;            -- the customer check and its tier's rule (47_tier_service.sql)
    v_discount numeric;
begin
    if p_idempotency_key is not null then
        select o.id into order_id from crm.sales_order o where o.tenant_id = v_tenant and o.idempotency_key = p_idempotency_key;
        if found then return; end if;   -- a retry of a request that already succeeded
    end if;
    if p_status not in ('quoted', 'confirmed') then
        raise exception 'invalid params: a new order is quoted or confirmed' using errcode = 'CR422', detail = 'field=status';
    end if;
    v_service := crm.order_tier_service(v_tenant, p_customer_id);
    if not v_service.customer_found then
        raise exception 'customer % not found', p_customer_id using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    if p_staff_id is not null and not exists (select 1 from crm.staff where tenant_id = v_tenant and id = p_staff_id) then
        raise exception 'staff member % not found', p_staff_id using errcode = 'CR404', detail = 'field=staff_id';
    end if;
    select e.no - 1 as no, e.line->>'product_id' as product_id, p.id is null as missing into v_bad
      from jsonb_array_elements(p_lines) with ordinality as e(line, no)
      left join lateral (select p.id from crm.product p
                          where p.tenant_id = v_tenant and p.id = (e.line->>'product_id')::bigint limit 1) p on true
     where p.id is null or (e.line->>'quantity')::numeric <= 0
     order by e.no
     limit 1;
    if v_bad.missing then
        raise exception 'product % not found', v_bad.product_id
            using errcode = 'CR404', detail = format('field=lines[%s].product_id', v_bad.no);
    elsif found then
        raise exception 'invalid params: lines[%].quantity must be positive', v_bad.no
            using errcode = 'CR422', detail = format('field=lines[%s].quantity', v_bad.no);
    end if;
    if v_service.discount_percent > 0 then
        select coalesce(sum((e.line->>'quantity')::numeric
                            * (p.list_price - round(p.list_price * (100 - v_service.discount_percent) / 100, 2))), 0)
          into v_discount
          from jsonb_array_elements(p_lines) as e(line)
          cross join lateral (select p.list_price from crm.product p
                               where p.tenant_id = v_tenant and p.id = (e.line->>'product_id')::bigint limit 1) p
         where e.line->>'unit_price' is null;
    end if;
    -- The order, its lines, its first status and the audit entry in one statement (the lines'
    -- rollup trigger and the order's event trigger fire at its end, and see the order).
    with placed as (
        insert into crm.sales_order as s (tenant_id, customer_id, staff_id, campaign_id, status, ordered_at, idempotency_key,
                                     service_tier, discount_percent, discount_amount, delivery_days)
        values (v_tenant, p_customer_id, p_staff_id, p_campaign_id, p_status, p_ordered_at, p_idempotency_key,
                v_service.tier, v_service.discount_percent,
                case when v_service.tier is not null then round(coalesce(v_discount, 0), 2) end, v_service.delivery_days)
        on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
        returning s as ord, s.tenant_id, s.id),
    written as (
        insert into crm.order_line as l (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
        select o.tenant_id, o.id, e.no, p.id, (e.line->>'quantity')::numeric,
               coalesce((e.line->>'unit_price')::numeric,
                        case when v_service.discount_percent > 0
                             then round(p.list_price * (100 - v_service.discount_percent) / 100, 2) else p.list_price end), p.unit_cost
          from placed o
          cross join jsonb_array_elements(p_lines) with ordinality as e(line, no)
          cross join lateral (select p.id, p.list_price, p.unit_cost from crm.product p
                               where p.tenant_id = v_tenant and p.id = (e.line->>'product_id')::bigint limit 1) p
        returning l),
    history as (
        insert into crm.order_status_history (tenant_id, order_id, status, by_principal)
        select o.tenant_id, o.id, p_status, crm.current_principal() from placed o
        returning 1),
    audit as (
        insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
        select o.tenant_id, crm.current_principal(), 'create', 'order', o.id::text, jsonb_build_object('status', p_status)
          from placed o
        returning 1)
    select (select o.ord from placed o) as ord,
           (select json_agg(crm.order_line_json(w.l) order by (w.l).line_no) from written w) as lines,
           (select sum((w.l).quantity * (w.l).unit_price) from written w) as total
      into v_placed;
    if v_placed.ord is null then
        -- A concurrent retry with the same idempotency key committed first: its order is the answer.
        -- (ON CONFLICT, not an exception block: a block would start a subtransaction on every call.)
        select o.id into order_id from crm.sales_order o where o.tenant_id = v_tenant and o.idempotency_key = p_idempotency_key;
        return;
    end if;
    v_row := v_placed.ord;
    v_order := v_row.id;
    v_lines := v_placed.lines;
    v_total := v_placed.total;
    order_id := v_order;
    answer := crm.order_json_of(v_row, v_lines, v_total);
end $$;

create or replace function crm.create_order(p_customer_id bigint, p_staff_id bigint, p_campaign_id bigint, p_lines jsonb,
                                 p_status text default 'confirmed', p_ordered_at timestamptz default now(),
                                 p_idempotency_key text default null) returns bigint
    language plpgsql as $$
begin
    return (crm.place_order(p_customer_id, p_staff_id, p_campaign_id, p_lines, p_status, p_ordered_at, p_idempotency_key)).order_id;
end $$;

-- Allowed moves; anything else is a conflict. Shipping invoices the order; a return credits it.
create or replace function crm.set_order_status(p_order_id bigint, p_status text, p_version int default null) returns boolean
    language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();   -- (a variable: a function call beside a policy is no index condition)
    o crm.sales_order;
    v_total numeric;
begin
    select * into o from crm.sales_order where tenant_id = v_tenant and id = p_order_id for update;
    if not found then
        raise exception 'order % not found', p_order_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if p_version is not null and o.version <> p_version then
        raise exception 'conflict: order % was changed since version %', p_order_id, p_version
            using errcode = 'CR409', detail = 'field=version', hint = 'stale_version';
    end if;
    if not (o.status, p_status) in (('quoted', 'confirmed'), ('quoted', 'cancelled'), ('confirmed', 'shipped'),
                                    ('confirmed', 'cancelled'), ('shipped', 'delivered'), ('shipped', 'returned'),
                                    ('delivered', 'returned')) then
        raise exception 'conflict: an order cannot go from % to %', o.status, p_status
            using errcode = 'CR409', detail = 'field=status', hint = 'transition';
    end if;
    update crm.sales_order set status = p_status, version = version + 1 where tenant_id = o.tenant_id and id = o.id;
    insert into crm.order_status_history (tenant_id, order_id, status, by_principal)
    values (o.tenant_id, o.id, p_status, crm.current_principal());
    if p_status in ('shipped', 'returned') then
        select sum(quantity * unit_price) into v_total from crm.order_line where tenant_id = o.tenant_id and order_id = o.id;
        insert into crm.invoice (tenant_id, order_id, customer_id, amount, due_at)
        values (o.tenant_id, o.id, o.customer_id, case when p_status = 'returned' then -v_total else v_total end,
                case when p_status = 'shipped' then now() + interval '30 days' end);
    end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (o.tenant_id, crm.current_principal(), 'set_status', 'order', o.id::text,
            jsonb_build_object('from', o.status, 'to', p_status));
    return true;
end $$;

create or replace function crm.record_payment(p_customer_id bigint, p_amount numeric, p_invoice_id bigint, p_method text,
                                   p_paid_at timestamptz default now(), p_idempotency_key text default null) returns bigint
    language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v bigint;
begin
    if p_idempotency_key is not null then
        select id into v from crm.payment where tenant_id = v_tenant and idempotency_key = p_idempotency_key;
        if found then return v; end if;
    end if;
    if not exists (select 1 from crm.customer where tenant_id = v_tenant and id = p_customer_id) then
        raise exception 'customer % not found', p_customer_id using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    if p_invoice_id is not null and not exists (select 1 from crm.invoice where tenant_id = v_tenant
                                                   and id = p_invoice_id and customer_id = p_customer_id) then
        raise exception 'invoice % of customer % not found', p_invoice_id, p_customer_id
            using errcode = 'CR404', detail = 'field=invoice_id';
    end if;
    insert into crm.payment (tenant_id, customer_id, invoice_id, amount, paid_at, method, idempotency_key)
    values (v_tenant, p_customer_id, p_invoice_id, p_amount, p_paid_at, p_method, p_idempotency_key)
    returning id into v;
    return v;
end $$;

-- Invoiced minus paid, per customer.
create or replace function crm.customer_balance(p_tenant uuid, p_customer bigint) returns numeric language sql stable
    return coalesce((select sum(amount) from crm.invoice where tenant_id = p_tenant and customer_id = p_customer), 0)
         - coalesce((select sum(amount) from crm.payment where tenant_id = p_tenant and customer_id = p_customer), 0);

-- Sales are orders in status confirmed, shipped or delivered.
create or replace function crm.is_sale(p_status text) returns boolean language sql immutable
    return p_status in ('confirmed', 'shipped', 'delivered');

-- A product's profit tier from its margin rate and the unit's thresholds.
create or replace function crm.product_tier(p_list_price numeric, p_unit_cost numeric) returns text
    language sql stable
    return case
        when p_list_price <= 0 then 'C'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((select (t.settings #>> '{product_tiers,A}')::numeric
                 from crm.tenant t where t.id = (select crm.current_tenant())), 0.40) then 'A'
        when (p_list_price - p_unit_cost) / p_list_price >= coalesce((select (t.settings #>> '{product_tiers,B}')::numeric
                 from crm.tenant t where t.id = (select crm.current_tenant())), 0.20) then 'B'
        else 'C' end;

grant execute on function crm.create_order(bigint, bigint, bigint, jsonb, text, timestamptz, text),
    crm.place_order(bigint, bigint, bigint, jsonb, text, timestamptz, text),
    crm.set_order_status(bigint, text, int), crm.record_payment(bigint, numeric, bigint, text, timestamptz, text),
    crm.customer_balance(uuid, bigint), crm.is_sale(text), crm.product_tier(numeric, numeric) to crm_unit;
grant execute on function crm.customer_balance(uuid, bigint), crm.is_sale(text), crm.product_tier(numeric, numeric) to crm_reporter;
