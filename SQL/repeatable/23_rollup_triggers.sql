-- The triggers that keep the sales rollups (0008_baseline_rollups.sql), and their functions: the
-- one definition of each. Set-based: row triggers fired once per imported order line, each with
-- three upserts, and every upsert of the monthly rollup fired the yearly one again; statement
-- triggers over transition tables put one statement's rows into the rollups in one grouped pass,
-- whoever writes them. Nothing can switch them off (no flag a unit's role could set), and a
-- single-row write (an order through crm.create_order) does the same work as before. The status
-- trigger on crm.sales_order stays a row trigger (crm.rollup_order, below). (The contact index's
-- triggers: 19_customer_contact_index.sql.)
set local role crm_owner;

-- Existing or new (the reports of existing against new customers): a customer whose first sale
-- (crm.customer_first_sale) came more than 12 months before the month, before the year; kept on
-- the monthly (0053) and yearly (0052) rollups.
create or replace function crm.is_existing_in_month(p_first_month date, p_month date) returns boolean
    language sql immutable parallel safe
    return p_first_month < (p_month - interval '12 months')::date;
create or replace function crm.is_existing_in_year(p_first_month date, p_year int) returns boolean
    language sql immutable parallel safe
    return p_first_month < make_date(p_year, 1, 1);

-- Lines inserted by one statement go into every sales rollup in one pass (statement trigger,
-- transition table new_lines): an import of a million lines is three grouped upserts, an order
-- made through crm.create_order is one statement of its lines. Only lines of orders that are
-- sales count (lines of a quoted order are added by crm.rollup_order when it is confirmed). An
-- order counts once, by its line 1. Amounts are summed per order (per order and product for the
-- product rollup) and rounded to cents there, as crm.rollup_order does when a status change adds
-- a whole order, so an imported order adds exactly what the same order made by create_order adds.
create or replace function crm.order_lines_rollup() returns trigger language plpgsql as $$
declare
    v_units bigint;
begin
    with per_order as materialized (
        select o.tenant_id, o.id as order_id, o.customer_id, o.staff_id, o.campaign_id, o.partner_id,
               date_trunc('month', o.ordered_at at time zone 'UTC')::date as month, (o.ordered_at at time zone 'UTC')::date as day,
               l.product_id, count(*) filter (where l.line_no = 1) as orders, sum(l.quantity) as units,
               sum(l.quantity * l.unit_price) as revenue, sum(l.quantity * l.unit_cost) as cost
          from new_lines l join crm.sales_order o on o.tenant_id = l.tenant_id and o.id = l.order_id
         where crm.is_sale(o.status)
         group by o.tenant_id, o.id, l.product_id),
    by_order as (
        select tenant_id, order_id, customer_id, staff_id, campaign_id, partner_id, month, day, sum(orders) as orders,
               sum(units) as units, sum(revenue)::numeric(16,2) as revenue, sum(cost)::numeric(16,2) as cost
          from per_order group by tenant_id, order_id, customer_id, staff_id, campaign_id, partner_id, month, day),
    customer_month as (
        insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units, existing)
        select b.tenant_id, b.customer_id, b.month, sum(b.revenue), sum(b.cost), sum(b.orders), sum(b.units),
               coalesce(bool_or(crm.is_existing_in_month(f.first_month, b.month)), false)
          from by_order b left join crm.customer_first_sale f on f.tenant_id = b.tenant_id and f.customer_id = b.customer_id
         group by b.tenant_id, b.customer_id, b.month
        on conflict (tenant_id, customer_id, month) do update
           set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
               orders = s.orders + excluded.orders, units = s.units + excluded.units
        returning 1),
    product_month as (
        insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
        select tenant_id, month, product_id, staff_id, sum(units), sum(revenue::numeric(16,2)), sum(cost::numeric(16,2))
          from per_order group by tenant_id, month, product_id, staff_id
        returning 1),
    sales_day as (
        insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
        select tenant_id, day, staff_id, campaign_id, partner_id, sum(orders), sum(units), sum(revenue), sum(cost)
          from by_order group by tenant_id, day, staff_id, campaign_id, partner_id
        returning 1),
    -- What each customer bought on each day (exact: the unrounded per-order amounts summed).
    customer_day as (
        select tenant_id, customer_id, day, sum(revenue) as amount from per_order group by tenant_id, customer_id, day)
    -- The RFM summary of the customers whose sales the lines added to (one unit per statement), in
    -- the same statement: the lines and their orders are joined once.
    select count(crm.add_customer_rfm_sales(k.tenant_id, k.customers, k.days, k.amounts)) into v_units
      from (select d.tenant_id, array_agg(d.customer_id) as customers, array_agg(d.day) as days, array_agg(d.amount) as amounts
              from customer_day d group by d.tenant_id) k;
    -- The channel summaries (0054, 23_channel_months.sql): lines change no other order's last
    -- contact, so each sale order's conversion (counted by its line 1, as above) and its new lines'
    -- margin are added to the channel of its last contact in the 30 days before it, in place. The
    -- customers' lock (crm.lock_customer_rfm) is held: taken for the RFM summary by the statement above.
    with per_order as (
        select o.tenant_id, o.customer_id, o.ordered_at, count(*) filter (where l.line_no = 1) as conversions,
               sum(l.quantity * (l.unit_price - l.unit_cost)) as gross_margin
          from new_lines l join crm.sales_order o on o.tenant_id = l.tenant_id and o.id = l.order_id
         where crm.is_sale(o.status)
         group by o.tenant_id, o.id),
    attributed as (
        select p.tenant_id, p.customer_id, last.channel, date_trunc('month', p.ordered_at at time zone 'UTC')::date as month,
               sum(p.conversions)::int as conversions, sum(p.gross_margin) as gross_margin
          from per_order p
          join lateral (select i.channel from crm.interaction i
                         where i.tenant_id = p.tenant_id and i.customer_id = p.customer_id
                           and i.occurred_at between p.ordered_at - interval '30 days' and p.ordered_at
                         order by i.occurred_at desc limit 1) last on true
         group by 1, 2, 3, 4),
    kept as (
        insert into crm.customer_channel_month as c (tenant_id, customer_id, channel, month, conversions, gross_margin)
        select a.tenant_id, a.customer_id, a.channel, a.month, a.conversions, a.gross_margin from attributed a
        on conflict (tenant_id, customer_id, month, channel) do update
           set conversions = c.conversions + excluded.conversions, gross_margin = c.gross_margin + excluded.gross_margin
        returning 1)
    insert into crm.channel_month_summary (tenant_id, month, channel, conversions, gross_margin)
    select a.tenant_id, a.month, a.channel, sum(a.conversions), sum(a.gross_margin) from attributed a group by 1, 2, 3;
    return null;
end $$;

-- Writers of one customer's RFM summary take turns: a transaction lock per customer (in key
-- order, so two never wait on each other; one lock for the whole unit when there are many), taken
-- before the statement that reads the summary or the orders, whose snapshot (read committed) then
-- sees what the writer before it committed; figures from an older snapshot would lose its order.
-- The channel summaries' writers take the same lock (23_channel_months.sql), contacts included: an
-- order and a contact of one customer committed at once would otherwise each miss the other.
create or replace function crm.lock_customer_rfm(p_tenant uuid, p_customers bigint[]) returns void
    language plpgsql as $$
begin
    if cardinality(p_customers) > 64 then
        perform pg_advisory_xact_lock(1179012710, hashtext(p_tenant::text));
    elsif cardinality(p_customers) = 1 then
        -- (one customer, the common case: the same two locks without a query over the array)
        perform pg_advisory_xact_lock_shared(1179012710, hashtext(p_tenant::text));
        perform pg_advisory_xact_lock(1179012711, hashint8(p_customers[1]));
    else
        perform pg_advisory_xact_lock_shared(1179012710, hashtext(p_tenant::text));
        perform pg_advisory_xact_lock(1179012711, k.h) from (select distinct hashint8(c) as h from unnest(p_customers) c order by 1) k;
    end if;
end $$;

-- Sales added on days (p_customers[i] bought p_amounts[i] on p_days[i], one entry per customer
-- and day): a customer whose new days all lie on or outside its first and last purchase day is
-- brought up to date from its summary row alone (the common case: an order today); one with a
-- day in between (was that day already a purchase day?) is recomputed from its orders.
create or replace function crm.add_customer_rfm_sales(p_tenant uuid, p_customers bigint[], p_days date[], p_amounts numeric[])
    returns void language plpgsql set plan_cache_mode = force_generic_plan as $$
declare
    v_inside bigint[];
begin
    perform crm.lock_customer_rfm(p_tenant, p_customers);
    with added as (
        select a.customer_id, a.day, a.amount from unnest(p_customers, p_days, p_amounts) as a(customer_id, day, amount)),
    per_customer as (
        select a.customer_id, r.first_day, r.last_day, r.days, r.revenue, r.first_revenue,
               min(a.day) as min_day, max(a.day) as max_day, sum(a.amount) as amount,
               (array_agg(a.amount order by a.day))[1] as min_day_amount,
               count(*) filter (where r.customer_id is null or a.day not in (r.first_day, r.last_day)) as new_days,
               coalesce(bool_or(a.day > r.first_day and a.day < r.last_day), false) as inside
          from added a
          left join crm.customer_rfm_summary r on r.tenant_id = p_tenant and r.customer_id = a.customer_id
         group by a.customer_id, r.customer_id, r.first_day, r.last_day, r.days, r.revenue, r.first_revenue),
    kept as (
        insert into crm.customer_rfm_summary as r (tenant_id, customer_id, first_day, last_day, days, revenue, first_revenue)
        select p_tenant, c.customer_id, least(c.first_day, c.min_day), greatest(c.last_day, c.max_day),
               coalesce(c.days, 0) + c.new_days, coalesce(c.revenue, 0) + c.amount,
               case when c.first_day is null or c.min_day < c.first_day then c.min_day_amount
                    when c.min_day = c.first_day then c.first_revenue + c.min_day_amount
                    else c.first_revenue end
          from per_customer c where not c.inside
        on conflict (tenant_id, customer_id) do update
           set first_day = excluded.first_day, last_day = excluded.last_day, days = excluded.days,
               revenue = excluded.revenue, first_revenue = excluded.first_revenue
        returning 1)
    select array_agg(c.customer_id) into v_inside from per_customer c where c.inside;
    if v_inside is not null then
        perform crm.refresh_customer_rfm(p_tenant, v_inside);
    end if;
end $$;

-- What the RFM summary (crm.customer_rfm_summary, 0051) of each customer with a sale is, from its
-- sale orders and lines: the one text of that computation, read by crm.refresh_customer_rfm (a few
-- customers: the conditions on tenant_id and customer_id reach the orders' index through both
-- groupings) and crm.rebuild_sales_rollups (a whole unit). Under the reader's own policies.
create or replace view crm.customer_rfm_from_orders with (security_invoker = true) as
select d.tenant_id, d.customer_id, min(d.day) as first_day, max(d.day) as last_day, count(*)::int as days,
       sum(d.value) as revenue, (array_agg(d.value order by d.day))[1] as first_revenue
  from (select o.tenant_id, o.customer_id, (o.ordered_at at time zone 'UTC')::date as day,
               sum(l.quantity * l.unit_price) as value
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where crm.is_sale(o.status)
         group by 1, 2, 3) d
 group by 1, 2;
grant select on crm.customer_rfm_from_orders to crm_unit;

-- The RFM summary (crm.customer_rfm_summary, 0051) of the given customers of a unit, recomputed
-- from their sale orders and lines (crm.customer_rfm_from_orders; a few index reads per customer): exact after any change
-- (an order that becomes or stops being a sale, a sale on a day inside its purchase history, a
-- merge); a customer without a sale has no row. Called by crm.add_customer_rfm_sales,
-- crm.rollup_order and crm.merge_customers. Writers take turns (crm.lock_customer_rfm, above).
-- A generic plan, kept for the session: planning this statement under the policies of four tables
-- costs ~4 ms, and a custom plan for each new array would be made again on every call.
create or replace function crm.refresh_customer_rfm(p_tenant uuid, p_customers bigint[]) returns void
    language plpgsql set plan_cache_mode = force_generic_plan as $$
begin
    perform crm.lock_customer_rfm(p_tenant, p_customers);
    with fresh as (
        insert into crm.customer_rfm_summary as r (tenant_id, customer_id, first_day, last_day, days, revenue, first_revenue)
        select v.tenant_id, v.customer_id, v.first_day, v.last_day, v.days, v.revenue, v.first_revenue
          from crm.customer_rfm_from_orders v
         where v.tenant_id = p_tenant and v.customer_id = any (p_customers)
        on conflict (tenant_id, customer_id) do update
           set first_day = excluded.first_day, last_day = excluded.last_day, days = excluded.days,
               revenue = excluded.revenue, first_revenue = excluded.first_revenue
        returning r.customer_id)
    delete from crm.customer_rfm_summary r
     where r.tenant_id = p_tenant and r.customer_id = any (p_customers)
       and r.customer_id not in (select f.customer_id from fresh f);
end $$;

-- The yearly rollup follows the monthly one statement by statement (transition tables): what a
-- statement inserted is added, what it deleted is taken away, and an update adds the new rows
-- minus the old ones per customer and year (which stays right even if a key changed).
-- An upsert (INSERT ... ON CONFLICT DO UPDATE) fires both the insert and the update statement
-- triggers, one of them over an empty transition table (an order adds to one customer month,
-- inserted or updated): that one stops at a look at its table, not a full upsert of nothing.
-- It also keeps the period before on both rollups (previous_gross_margin, 0059; the profit
-- reports read it instead of joining each rollup to itself): a new yearly row reads the year
-- before as it is inserted (crm.rollup_year_margin; the yearly rollup has no other writer), a new
-- monthly row the month before (its row trigger, crm.customer_month_previous_row), and when a
-- customer whose months the statement wrote has a later row (crm.rollup_later_months: an order of
-- the current month finds none, one index probe), the month and the year after each month and
-- year it wrote take their margin, where it differs. Exact with concurrent writers: every writer
-- of a customer's rollup rows holds the customer's lock (crm.lock_customer_rfm) when they are
-- written (crm.order_lines_rollup takes it in the statement whose upserts run after it,
-- crm.rollup_order first; a merge holds both customers' rows, which an order's foreign key check
-- waits for), and these statements read with a new snapshot: of two writers of adjacent periods,
-- the second sees the first's rows.
create or replace function crm.customer_year_rollup_statement() returns trigger language plpgsql as $$
declare
    v_months boolean;
    v_years boolean;
    v_later boolean;
begin
    if tg_op = 'DELETE' then
        if not exists (select from old_months) then
            return null;
        end if;
        update crm.customer_year_summary y
           set revenue = y.revenue - d.revenue, cost = y.cost - d.cost, orders = y.orders - d.orders, units = y.units - d.units
          from (select o.tenant_id, o.customer_id, date_part('year', o.month)::int as year, sum(o.revenue) as revenue,
                       sum(o.cost) as cost, sum(o.orders) as orders, sum(o.units) as units
                  from old_months o group by 1, 2, 3) d
         where y.tenant_id = d.tenant_id and y.customer_id = d.customer_id and y.year = d.year;
        -- The periods after: the months removed have no margin now, their years a new one.
        with k as materialized (
            select distinct o.tenant_id, o.customer_id, o.month, (o.month + interval '1 month')::date as next_month,
                   date_part('year', o.month)::int as year, date_part('year', o.month)::int + 1 as next_year
              from old_months o)
        select exists (select from k join crm.customer_month_summary x
                         on x.tenant_id = k.tenant_id and x.customer_id = k.customer_id and x.month = k.next_month
                        where x.previous_gross_margin is distinct from
                              (select p.gross_margin from crm.customer_month_summary p
                                where p.tenant_id = k.tenant_id and p.customer_id = k.customer_id and p.month = k.month)),
               exists (select from k join crm.customer_year_summary x
                         on x.tenant_id = k.tenant_id and x.customer_id = k.customer_id and x.year = k.next_year
                        where x.previous_gross_margin is distinct from
                              (select p.gross_margin from crm.customer_year_summary p
                                where p.tenant_id = k.tenant_id and p.customer_id = k.customer_id and p.year = k.year))
          into v_months, v_years;
        if v_months then
            update crm.customer_month_summary x set previous_gross_margin = m.gross_margin
              from (select distinct o.tenant_id, o.customer_id, o.month, (o.month + interval '1 month')::date as next_month,
                           p.gross_margin
                      from old_months o
                      left join crm.customer_month_summary p on p.tenant_id = o.tenant_id and p.customer_id = o.customer_id and p.month = o.month) m
             where x.tenant_id = m.tenant_id and x.customer_id = m.customer_id and x.month = m.next_month
               and x.previous_gross_margin is distinct from m.gross_margin;
        end if;
        if v_years then
            update crm.customer_year_summary x set previous_gross_margin = m.gross_margin
              from (select distinct k.tenant_id, k.customer_id, k.next_year, p.gross_margin
                      from (select o.tenant_id, o.customer_id, date_part('year', o.month)::int as year,
                                   date_part('year', o.month)::int + 1 as next_year from old_months o offset 0) k
                      left join crm.customer_year_summary p on p.tenant_id = k.tenant_id and p.customer_id = k.customer_id and p.year = k.year) m
             where x.tenant_id = m.tenant_id and x.customer_id = m.customer_id and x.year = m.next_year
               and x.previous_gross_margin is distinct from m.gross_margin;
        end if;
        return null;
    end if;
    -- A new yearly row is existing when the customer's first sale came before its year (the first
    -- sales' trigger on the same statement runs first: triggers fire by name).
    if not exists (select from new_months) then
        return null;
    end if;
    -- The statement that adds to the yearly rows also looks for a later row of the customers whose
    -- months it wrote, up to the end of the following year; only if there is one are the month and
    -- the year after them brought up to date (below). (A year inserted by the statement reads the
    -- year before as it was when the statement began: one also inserted by it is a later row.)
    if tg_op = 'INSERT' then
        -- (a yearly row may be new only here: its first month row is inserted; it reads the year before)
        with years as (
            insert into crm.customer_year_summary as s (tenant_id, customer_id, year, revenue, cost, orders, units, existing, previous_gross_margin)
            select g.tenant_id, g.customer_id, g.year, g.revenue, g.cost, g.orders, g.units,
                   coalesce((select crm.is_existing_in_year(f.first_month, g.year) from crm.customer_first_sale f
                              where f.tenant_id = g.tenant_id and f.customer_id = g.customer_id), false),
                   crm.rollup_year_margin(g.tenant_id, g.customer_id, g.previous_year)
              from (select n.tenant_id, n.customer_id, date_part('year', n.month)::int as year, sum(n.revenue) as revenue,
                           sum(n.cost) as cost, sum(n.orders) as orders, sum(n.units) as units,
                           date_part('year', n.month)::int - 1 as previous_year
                      from new_months n
                     group by 1, 2, 3) g
            on conflict (tenant_id, customer_id, year) do update
               set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
                   orders = s.orders + excluded.orders, units = s.units + excluded.units
            returning 1)
        select crm.rollup_later_months(array_agg(n.tenant_id), array_agg(n.customer_id), array_agg(n.month),
                                       array_agg(make_date(date_part('year', n.month)::int + 2, 1, 1)))
          into v_later from new_months n;
    else
        with years as (
            insert into crm.customer_year_summary as s (tenant_id, customer_id, year, revenue, cost, orders, units, existing)
            select g.*, coalesce((select crm.is_existing_in_year(f.first_month, g.year) from crm.customer_first_sale f
                                   where f.tenant_id = g.tenant_id and f.customer_id = g.customer_id), false)
              from (select d.tenant_id, d.customer_id, d.year, sum(d.revenue), sum(d.cost), sum(d.orders), sum(d.units)
                      from (select n.tenant_id, n.customer_id, date_part('year', n.month)::int as year, n.revenue, n.cost, n.orders, n.units
                              from new_months n
                            union all
                            select o.tenant_id, o.customer_id, date_part('year', o.month)::int, -o.revenue, -o.cost, -o.orders, -o.units
                              from old_months o) d
                     group by d.tenant_id, d.customer_id, d.year
                     -- (an update that changed no amount, e.g. of `existing` alone, adds nothing)
                    having sum(d.revenue) <> 0 or sum(d.cost) <> 0 or sum(d.orders) <> 0 or sum(d.units) <> 0) g
            on conflict (tenant_id, customer_id, year) do update
               set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
                   orders = s.orders + excluded.orders, units = s.units + excluded.units
            returning 1)
        select crm.rollup_later_months(array_agg(n.tenant_id), array_agg(n.customer_id), array_agg(n.month),
                                       array_agg(make_date(date_part('year', n.month)::int + 2, 1, 1)))
          into v_later from new_months n;
    end if;
    if v_later then
        -- The month after each month written, and the year after its year, take their margin as
        -- it is now, where it differs. (Only the new rows: a row's key never changes; the update
        -- of previous_gross_margin comes back here and changes nothing more.)
        update crm.customer_month_summary x set previous_gross_margin = k.gross_margin
          from (select n.tenant_id, n.customer_id, n.gross_margin, (n.month + interval '1 month')::date as next_month
                  from new_months n offset 0) k
         where x.tenant_id = k.tenant_id and x.customer_id = k.customer_id and x.month = k.next_month
           and x.previous_gross_margin is distinct from k.gross_margin;
        update crm.customer_year_summary x set previous_gross_margin = p.gross_margin
          from (select distinct n.tenant_id, n.customer_id, date_part('year', n.month)::int as year,
                       date_part('year', n.month)::int + 1 as next_year from new_months n) m
          join crm.customer_year_summary p on p.tenant_id = m.tenant_id and p.customer_id = m.customer_id and p.year = m.year
         where x.tenant_id = m.tenant_id and x.customer_id = m.customer_id and x.year = m.next_year
           and x.previous_gross_margin is distinct from p.gross_margin;
    end if;
    return null;
end $$;

grant execute on function crm.order_lines_rollup(), crm.customer_year_rollup_statement(),
    crm.is_existing_in_month(date, date), crm.is_existing_in_year(date, int) to crm_unit;

-- A whole order into (p_sign 1) or out of (-1) every sales rollup, when its status makes it a sale
-- or stops it being one (the status trigger on crm.sales_order). PL/pgSQL, so that its statements
-- keep their plans for the session (as a SQL function, 0030, they were planned on every call).
-- The order and its lines are read once, by one statement that writes the three rollups. An
-- order that becomes a sale (a quote accepted) adds to its customer's RFM summary and channel
-- months in place, as new lines of a sale do (crm.order_lines_rollup: a sale changes no other
-- order's attribution; the channel's statement comes after the customers' lock, taken for the
-- RFM summary, so it sees every contact committed before); one that stops being a sale
-- recomputes them (exact, and the rows it empties go).
create or replace function crm.rollup_order(p_tenant uuid, p_order bigint, p_sign int) returns void language plpgsql as $$
declare
    v record;
begin
    -- The customer's lock first (crm.lock_customer_rfm, taken again below): the rollup rows'
    -- triggers read the customer's rows of the periods around the order's (previous_gross_margin).
    perform crm.lock_customer_rfm(p_tenant, array[o.customer_id]) from crm.sales_order o where o.tenant_id = p_tenant and o.id = p_order;
    with lines as materialized (
        select o.tenant_id, o.customer_id, o.staff_id, o.campaign_id, o.partner_id, o.ordered_at,
               date_trunc('month', o.ordered_at at time zone 'UTC')::date as month, (o.ordered_at at time zone 'UTC')::date as day,
               l.product_id, l.quantity, l.unit_price, l.unit_cost
          from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
         where o.tenant_id = p_tenant and o.id = p_order),
    customer_month as (
        insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units, existing)
        select l.tenant_id, l.customer_id, l.month,
               p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost), p_sign, p_sign * sum(l.quantity),
               coalesce(crm.is_existing_in_month((select f.first_month from crm.customer_first_sale f
                                                   where f.tenant_id = l.tenant_id and f.customer_id = l.customer_id), l.month), false)
          from lines l
         group by l.tenant_id, l.customer_id, l.month
        on conflict (tenant_id, customer_id, month) do update
           set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
               orders = s.orders + excluded.orders, units = s.units + excluded.units
        returning 1),
    product_month as (
        insert into crm.product_month_summary (tenant_id, month, product_id, staff_id, units, revenue, cost)
        select l.tenant_id, l.month, l.product_id, l.staff_id,
               p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
          from lines l
         group by l.tenant_id, l.month, l.product_id, l.staff_id
        returning 1),
    sales_day as (
        insert into crm.sales_day_summary (tenant_id, day, staff_id, campaign_id, partner_id, orders, units, revenue, cost)
        select l.tenant_id, l.day, l.staff_id, l.campaign_id, l.partner_id,
               p_sign, p_sign * sum(l.quantity), p_sign * sum(l.quantity * l.unit_price), p_sign * sum(l.quantity * l.unit_cost)
          from lines l
         group by l.tenant_id, l.day, l.staff_id, l.campaign_id, l.partner_id
        returning 1)
    select l.customer_id, l.ordered_at, l.month, l.day, sum(l.quantity * l.unit_price) as amount,
           sum(l.quantity * (l.unit_price - l.unit_cost)) as gross_margin
      into v
      from lines l
     group by l.customer_id, l.ordered_at, l.month, l.day;
    if v.customer_id is null then
        return;   -- (an order without lines adds nothing)
    end if;
    if p_sign < 0 then
        perform crm.refresh_customer_rfm(p_tenant, array[v.customer_id]);
        perform crm.refresh_channel_months(p_tenant, array[v.customer_id], v.month);
        return;
    end if;
    perform crm.add_customer_rfm_sales(p_tenant, array[v.customer_id], array[v.day], array[v.amount]);
    with last as (
        select i.channel from crm.interaction i
         where i.tenant_id = p_tenant and i.customer_id = v.customer_id
           and i.occurred_at between v.ordered_at - interval '30 days' and v.ordered_at
         order by i.occurred_at desc limit 1),
    kept as (
        insert into crm.customer_channel_month as c (tenant_id, customer_id, channel, month, conversions, gross_margin)
        select p_tenant, v.customer_id, l.channel, v.month, 1, v.gross_margin from last l
        on conflict (tenant_id, customer_id, month, channel) do update
           set conversions = c.conversions + excluded.conversions, gross_margin = c.gross_margin + excluded.gross_margin
        returning 1)
    insert into crm.channel_month_summary (tenant_id, month, channel, conversions, gross_margin)
    select p_tenant, v.month, l.channel, 1, v.gross_margin from last l;
end $$;

-- Each customer's first month with a sale (crm.customer_first_sale, 0041), from the monthly rows a
-- statement inserted: one upsert per statement, moved back only when a sale lands earlier. Only
-- inserts: a customer's first sale in a month always inserts its monthly row.
create or replace function crm.customer_first_sale_statement() returns trigger language plpgsql as $$
declare
    v_moved int;
begin
    if not exists (select from new_months n where n.orders > 0) then
        return null;   -- (the insert half of an upsert that updated, or months without a sale)
    end if;
    with moved as (
        insert into crm.customer_first_sale as f (tenant_id, customer_id, first_month)
        select n.tenant_id, n.customer_id, min(n.month) from new_months n where n.orders > 0 group by 1, 2
        on conflict (tenant_id, customer_id) do update set first_month = excluded.first_month
         where excluded.first_month < f.first_month
        returning f.tenant_id, f.customer_id, f.first_month),
    -- The rows of a customer whose first sale this statement set or moved earlier (the rows it
    -- inserts took `existing` from the first sale known before it): existing again, by the rule.
    years as (
        update crm.customer_year_summary y set existing = crm.is_existing_in_year(m.first_month, y.year)
          from moved m
         where y.tenant_id = m.tenant_id and y.customer_id = m.customer_id
           and y.existing is distinct from crm.is_existing_in_year(m.first_month, y.year)
        returning 1)
    select count(*) into v_moved from moved;
    -- The monthly rows too, only when there are such customers (an update of the table fires its
    -- statement triggers even for no row). Their first sale is now this statement's earliest month
    -- of theirs. Only `existing` changes: the yearly rollup's update trigger adds nothing.
    if v_moved > 0 then
        update crm.customer_month_summary s set existing = crm.is_existing_in_month(m.first_month, s.month)
          from (select n.tenant_id, n.customer_id, min(n.month) as first_month from new_months n
                 where n.orders > 0 group by 1, 2) m
          join crm.customer_first_sale f on f.tenant_id = m.tenant_id and f.customer_id = m.customer_id
                                        and f.first_month = m.first_month
         where s.tenant_id = m.tenant_id and s.customer_id = m.customer_id
           and s.existing is distinct from crm.is_existing_in_month(m.first_month, s.month);
    end if;
    return null;
end $$;
grant execute on function crm.customer_first_sale_statement() to crm_unit;

create or replace trigger order_line_rollup after insert on crm.order_line
    referencing new table as new_lines for each statement execute function crm.order_lines_rollup();
create or replace trigger customer_year_rollup_insert after insert on crm.customer_month_summary
    referencing new table as new_months for each statement execute function crm.customer_year_rollup_statement();
create or replace trigger customer_first_sale_insert after insert on crm.customer_month_summary
    referencing new table as new_months for each statement execute function crm.customer_first_sale_statement();
create or replace trigger customer_year_rollup_update after update on crm.customer_month_summary
    referencing old table as old_months new table as new_months for each statement execute function crm.customer_year_rollup_statement();
create or replace trigger customer_year_rollup_delete after delete on crm.customer_month_summary
    referencing old table as old_months for each statement execute function crm.customer_year_rollup_statement();

-- A new monthly row reads its customer's row of the month before (previous_gross_margin, 0059),
-- as it is inserted: one index probe, and no second write of the row (a row trigger; a row's key
-- never changes: its writers insert it and add amounts to it). The month after is kept by the
-- yearly rollup's statement trigger (crm.customer_year_rollup_statement, above), which sees every
-- statement's rows. These reads run as crm_rollup (0059; security definer), whose one policy on
-- the rollups lets it read their margins in the writer's unit only: under the writer's policies each of them set up the
-- shared-read policies' sub-selects again, more than the probe itself, on every order. They read
-- only the rows next to the one being written, named by its key, which the writer's own policies
-- admitted.
create or replace function crm.customer_month_previous_row() returns trigger
    language plpgsql security definer set search_path = pg_catalog, crm as $$
begin
    new.previous_gross_margin := (select p.revenue - p.cost from crm.customer_month_summary p
                                   where p.tenant_id = new.tenant_id and p.customer_id = new.customer_id
                                     and p.month = (new.month - interval '1 month')::date);
    return new;
end $$;

-- The customer's margin of a year (null: no row), for a new yearly row's previous_gross_margin.
-- (PL/pgSQL, here and below: a SQL function that is not inlined plans its statement on every call.)
create or replace function crm.rollup_year_margin(p_tenant uuid, p_customer bigint, p_year int) returns numeric
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return (select y.revenue - y.cost from crm.customer_year_summary y
             where y.tenant_id = p_tenant and y.customer_id = p_customer and y.year = p_year);
end $$;

-- Whether any of the customers has a monthly row after the month given and before the bound given
-- (element by element): a row whose previous_gross_margin a change of that month may concern.
-- (The bounds are arguments, not computed here from a column: such a comparison would be applied
-- after the policies' condition rather than as the index's. One element, an order's month, is
-- read with scalars: over arrays the planner guesses ten elements, and the custom plan for one,
-- which then looks cheaper than the generic plan, would be made again on every call.)
create or replace function crm.rollup_later_months(p_tenants uuid[], p_customers bigint[], p_months date[], p_bounds date[])
    returns boolean language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    if cardinality(p_tenants) = 1 then
        return exists (select from crm.customer_month_summary x
                        where x.tenant_id = p_tenants[1] and x.customer_id = p_customers[1]
                          and x.month > p_months[1] and x.month < p_bounds[1]);
    end if;
    return exists (select from unnest(p_tenants, p_customers, p_months, p_bounds) k(tenant_id, customer_id, month, bound)
                     join crm.customer_month_summary x
                       on x.tenant_id = k.tenant_id and x.customer_id = k.customer_id and x.month > k.month and x.month < k.bound);
end $$;

reset role;
alter function crm.customer_month_previous_row() owner to crm_rollup;
alter function crm.rollup_year_margin(uuid, bigint, int) owner to crm_rollup;
alter function crm.rollup_later_months(uuid[], bigint[], date[], date[]) owner to crm_rollup;
set local role crm_owner;
revoke execute on function crm.customer_month_previous_row(), crm.rollup_year_margin(uuid, bigint, int),
    crm.rollup_later_months(uuid[], bigint[], date[], date[]) from public;
grant execute on function crm.customer_month_previous_row(), crm.rollup_year_margin(uuid, bigint, int),
    crm.rollup_later_months(uuid[], bigint[], date[], date[]) to crm_unit;

create or replace trigger customer_month_previous before insert on crm.customer_month_summary
    for each row execute function crm.customer_month_previous_row();

-- The status trigger on crm.sales_order: a whole order goes into the rollups when its status makes
-- it a sale, and out when it stops being one.
create or replace function crm.order_status_rollup() returns trigger language plpgsql as $$
begin
    if crm.is_sale(old.status) and not crm.is_sale(new.status) then
        perform crm.rollup_order(new.tenant_id, new.id, -1);
    elsif not crm.is_sale(old.status) and crm.is_sale(new.status) then
        perform crm.rollup_order(new.tenant_id, new.id, 1);
    end if;
    return null;
end $$;

create or replace trigger order_status_rollup after update of status on crm.sales_order
    for each row execute function crm.order_status_rollup();

grant execute on function crm.rollup_order(uuid, bigint, int), crm.order_status_rollup(), crm.refresh_customer_rfm(uuid, bigint[]),
    crm.lock_customer_rfm(uuid, bigint[]), crm.add_customer_rfm_sales(uuid, bigint[], date[], numeric[]) to crm_unit;
