-- The channel summaries (0054): crm.customer_channel_month per customer, channel and month, and
-- the unit's delta rows crm.channel_month_summary that report.channel_effectiveness sums. A write
-- that can change them recomputes the customers it touched from the month of the change on
-- (crm.refresh_channel_months), as crm.refresh_customer_rfm does for RFM: exact after back-dated
-- contacts, cancellations and merges. Called by the order status rollup (23_rollup_triggers.sql: a status that makes or stops a
-- sale), by the trigger below (contacts added) and by crm.merge_customers (contacts and
-- orders moved to another customer: the only write that moves them). Order lines added change no
-- other order's attribution: crm.order_lines_rollup adds them in place. Contacts and orders are
-- not deleted, and their time and channel do not change.
set local role crm_owner;

-- What each contact and each sale gives its customer's channel months: a contact one contact and
-- its cost in its month and channel; a sale (confirmed, shipped, delivered) one conversion and its
-- margin in its month, for the channel of its customer's last contact in the 30 days before it (a
-- sale with no such contact gives nothing). `at` is the contact's or the sale's time. The one text
-- of the rule, read by crm.refresh_channel_months (some customers, from a month on) and by the
-- seed's rebuild (a whole unit); 0054 filled the table with a copy of it (a migration runs before
-- this file exists).
create or replace view crm.channel_touches with (security_invoker = true) as
select i.tenant_id, i.customer_id, i.channel, i.occurred_at as at, date_trunc('month', i.occurred_at at time zone 'UTC')::date as month,
       1 as contacts, i.cost, 0 as conversions, 0::numeric as gross_margin
  from crm.interaction i
union all
select o.tenant_id, o.customer_id, last.channel, o.ordered_at, date_trunc('month', o.ordered_at at time zone 'UTC')::date,
       0, 0, 1, coalesce(l.margin, 0)
  from crm.sales_order o
  join lateral (select sum(ol.quantity * (ol.unit_price - ol.unit_cost)) as margin from crm.order_line ol
                 where ol.tenant_id = o.tenant_id and ol.order_id = o.id) l on true
  join lateral (select i.channel from crm.interaction i
                 where i.tenant_id = o.tenant_id and i.customer_id = o.customer_id
                   and i.occurred_at between o.ordered_at - interval '30 days' and o.ordered_at
                 order by i.occurred_at desc limit 1) last on true
 where crm.is_sale(o.status);
comment on view crm.channel_touches is
    'What each contact and each sale gives its customer''s channel months (the rule of report.channel_effectiveness): a contact one contact and its cost; a sale one conversion and its margin, for the channel of the customer''s last contact in the 30 days before it.';
grant select on crm.channel_touches to crm_unit;

-- What the rows of the given customers of a unit are from p_from (a month's first day) on, from
-- their contacts and sales; the rows that changed are rewritten and what changed goes into the
-- unit's summary as one delta row per month and channel. A conversion is a sale (confirmed,
-- shipped, delivered) whose last contact in the 30 days before it came through the channel; it
-- counts in the month of the sale. Writers of a customer take turns (crm.lock_customer_rfm: the
-- same lock as the RFM summary's, taken by the same writes). A generic plan, kept for the session.
create or replace function crm.refresh_channel_months(p_tenant uuid, p_customers bigint[], p_from date) returns void
    language plpgsql set plan_cache_mode = force_generic_plan as $$
declare
    v_from timestamptz := p_from::timestamp at time zone 'UTC';
begin
    perform crm.lock_customer_rfm(p_tenant, p_customers);
    with fresh as materialized (
        select x.customer_id, x.channel, x.month, sum(x.contacts)::int as contacts, sum(x.cost) as cost,
               sum(x.conversions)::int as conversions, sum(x.gross_margin) as gross_margin
          from crm.channel_touches x
         where x.tenant_id = p_tenant and x.customer_id = any (p_customers) and x.at >= v_from
         group by 1, 2, 3),
    old as materialized (
        select c.customer_id, c.channel, c.month, c.contacts, c.cost, c.conversions, c.gross_margin
          from crm.customer_channel_month c
         where c.tenant_id = p_tenant and c.customer_id = any (p_customers) and c.month >= p_from),
    delta as (
        insert into crm.channel_month_summary (tenant_id, month, channel, contacts, cost, customers_reached, conversions, gross_margin)
        select p_tenant, d.month, d.channel, sum(d.contacts), sum(d.cost), sum(d.reached), sum(d.conversions), sum(d.gross_margin)
          from (select f.month, f.channel, f.contacts, f.cost, (f.contacts > 0)::int as reached, f.conversions, f.gross_margin
                  from fresh f
                union all
                select o.month, o.channel, -o.contacts, -o.cost, -(o.contacts > 0)::int, -o.conversions, -o.gross_margin
                  from old o) d
         group by d.month, d.channel
        having sum(d.contacts) <> 0 or sum(d.cost) <> 0 or sum(d.reached) <> 0 or sum(d.conversions) <> 0
            or sum(d.gross_margin) <> 0
        returning 1),
    kept as (
        insert into crm.customer_channel_month as c (tenant_id, customer_id, channel, month, contacts, cost, conversions, gross_margin)
        select p_tenant, f.customer_id, f.channel, f.month, f.contacts, f.cost, f.conversions, f.gross_margin
          from fresh f
        on conflict (tenant_id, customer_id, month, channel) do update
           set contacts = excluded.contacts, cost = excluded.cost, conversions = excluded.conversions,
               gross_margin = excluded.gross_margin
         where (c.contacts, c.cost, c.conversions, c.gross_margin)
               is distinct from (excluded.contacts, excluded.cost, excluded.conversions, excluded.gross_margin)
        returning 1)
    delete from crm.customer_channel_month c
     using old o
     where c.tenant_id = p_tenant and c.customer_id = o.customer_id and c.month = o.month and c.channel = o.channel
       and not exists (select from fresh f where f.customer_id = o.customer_id and f.month = o.month and f.channel = o.channel);
end $$;

-- Contacts added by one statement (interactions.log, an import). A contact can be the last before
-- a sale up to 30 days later: when one of its customers has a sale at or after the earliest new
-- contact, those customers are recomputed from that contact's month on. Otherwise (a contact of
-- now: the common case) only contacts and cost change, added to the customers' rows in place;
-- a row whose contacts were 0 reaches one more customer. After the customers' lock, so that an
-- order committed meanwhile is seen (and one committed later recomputes with these contacts).
-- The check for a later sale and the additions in place are one statement (the additions only
-- when there is none): two statements after the lock, not three.
create or replace function crm.interaction_channel_months() returns trigger language plpgsql as $$
declare
    k record;
    v_later boolean;
begin
    -- (the customers as logged, a customer twice in a statement of several contacts: every use
    -- below takes them as a set, and no sort is paid for the one contact of interactions.log)
    for k in select n.tenant_id, array_agg(n.customer_id) as customers, min(n.occurred_at) as first_at
               from new_rows n group by n.tenant_id loop
        perform crm.lock_customer_rfm(k.tenant_id, k.customers);
        with later as materialized (
            select exists (select from crm.sales_order o
                            where o.tenant_id = k.tenant_id and o.customer_id = any (k.customers)
                              and o.ordered_at >= k.first_at) as found),
        added as (
            select n.customer_id, n.channel, date_trunc('month', n.occurred_at at time zone 'UTC')::date as month,
                   count(*)::int as contacts, sum(n.cost) as cost
              from new_rows n where n.tenant_id = k.tenant_id group by 1, 2, 3),
        kept as (
            insert into crm.customer_channel_month as c (tenant_id, customer_id, channel, month, contacts, cost)
            select k.tenant_id, a.customer_id, a.channel, a.month, a.contacts, a.cost
              from added a where not (select l.found from later l)
            on conflict (tenant_id, customer_id, month, channel) do update
               set contacts = c.contacts + excluded.contacts, cost = c.cost + excluded.cost
            returning c.customer_id, c.month, c.channel, c.contacts),
        summed as (
            insert into crm.channel_month_summary (tenant_id, month, channel, contacts, cost, customers_reached)
            select k.tenant_id, a.month, a.channel, sum(a.contacts), sum(a.cost), count(*) filter (where t.contacts = a.contacts)
              from kept t join added a on a.customer_id = t.customer_id and a.month = t.month and a.channel = t.channel
             group by a.month, a.channel
            returning 1),
        -- The customers' contacts per channel for the customer value summary (0060,
        -- 38_customer_value_summary.sql), whatever their attribution: appended as delta rows,
        -- folded by the scheduled job (a summary row rewritten here would cost a random page, and
        -- its WAL, on every contact).
        valued as (
            insert into crm.customer_channel_delta (tenant_id, customer_id, channel, contacts)
            select k.tenant_id, a.customer_id, a.channel, a.contacts from added a)
        select l.found into v_later from later l;
        if v_later then
            perform crm.refresh_channel_months(k.tenant_id, k.customers, date_trunc('month', k.first_at at time zone 'UTC')::date);
        end if;
    end loop;
    return null;
end $$;

create or replace trigger interaction_channel_months after insert on crm.interaction
    referencing new table as new_rows for each statement execute function crm.interaction_channel_months();

grant execute on function crm.refresh_channel_months(uuid, bigint[], date), crm.interaction_channel_months() to crm_unit;
