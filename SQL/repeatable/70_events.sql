-- Live events (0046_events.sql): the one writer of the outbox and its numbering, the cursor
-- clients see, and the triggers that write an event in the transaction of each change it tells
-- of, so an event exists exactly when its change committed. The time-based events and the retention purge, which the
-- scheduled job runs: 71_events_scheduled.sql.
--
--   topic                        written by                                   addressed to
--   call.incoming                insert on crm.call_record (calls.record)     the unit (with the caller lookup)
--   order.created                insert on crm.sales_order                    the unit
--   order.status                 update of crm.sales_order.status             the unit
--   case.opened                  insert on crm.service_case                   the unit
--   campaign.approval_requested  crm.campaign.status -> pending_approval      the unit
--   campaign.approved            crm.campaign.status -> approved              the unit
--   lead.offered                 insert on crm.lead_offer                     the partner offered the lead
--
-- The triggers run as the writer (security invoker: they read what the writer may read, e.g. the
-- caller lookup); only crm.emit_events runs as crm_events, the narrow role that may write the
-- outbox and the counters. Statement triggers over transition tables: an import of many orders
-- takes each stream's counter once, not once per row.
set local role crm_owner;

-- The cursor a client sees for an event: the paging cursor (Paging.encode in the server: the
-- base64url of the number's text, unpadded) that events.since takes to answer what came after it.
create or replace function crm.event_cursor(p_seq bigint) returns text language sql immutable parallel safe
    return rtrim(translate(encode(convert_to(p_seq::text, 'UTF8'), 'base64'), '+/', '-_'), '=');
comment on function crm.event_cursor(bigint) is
    'The opaque cursor of an event (its number in its stream, as events.since''s paging cursor).';

-- An event as a client receives it: the params of the `event` notification, and an item of events.since.
-- (The unit's slug is the caller's: a unit's reader looks it up once, not per event.)
drop function if exists crm.event_json(crm.event);
create or replace function crm.event_json(e crm.event, p_unit text) returns json language sql immutable
    return json_build_object('topic', e.topic, 'cursor', crm.event_cursor(e.seq), 'at', e.at, 'unit', p_unit, 'data', e.data);
comment on function crm.event_json(crm.event, text) is 'An event as a client receives it: topic, cursor, at, unit (the slug given) and data.';

-- Writes events, without numbers (crm.stamp_events numbers them once committed: see
-- 0046_events.sql). The servers poll (EventService): no NOTIFY here, because a transaction that
-- notifies takes PostgreSQL's one notification lock at commit and keeps it through the WAL flush,
-- so every writer of an event would commit alone, one after the other (no group commit).
-- Security definer (crm_events): the caller cannot write the outbox itself. A unit's request
-- writes only its own unit's events; a partner's none (no partner write fires these triggers).
create or replace function crm.emit_events(p crm.event_draft[]) returns void
    language plpgsql security definer set search_path = pg_catalog, crm as $$
declare
    -- The request role the caller took (SET ROLE: a security definer does not change it); a
    -- DBA's session, or the migrating superuser's tests, may write any unit's rows.
    v_role text := current_setting('role');
begin
    if v_role = 'crm_partner' then
        raise exception 'forbidden: partners write no events' using errcode = 'CR403';
    end if;
    if v_role = 'crm_unit' and exists (select 1 from unnest(p) d where d.tenant_id is distinct from crm.current_tenant()) then
        raise exception 'forbidden: events of another unit' using errcode = 'CR403';
    end if;
    insert into crm.event (tenant_id, stream_id, topic, partner_id, subject_id, data)
    select d.tenant_id, coalesce(d.partner_id, d.tenant_id), d.topic, d.partner_id, d.subject_id, coalesce(d.data, '{}')
      from unnest(p) d;
end $$;
comment on function crm.emit_events(crm.event_draft[]) is
    'Writes events to the outbox, unnumbered until committed and stamped (the servers poll: crm.stamp_events).';

-- Numbers every committed event that has no number yet, per stream after the stream's last
-- number, in the order the events were written (time, then id), and answers the streams that
-- got new events. One stamper at a time (an advisory lock, across servers); the statement after
-- the lock takes a fresh snapshot (READ COMMITTED), so it sees what the previous stamper
-- numbered. Events that commit while it runs are numbered by the next round, higher: a reader
-- that has seen number n never gets a number below n later. The server runs it on every
-- poll (EventService, EventHub); a DBA may run it by hand.
create or replace function crm.stamp_events() returns setof uuid
    language plpgsql volatile security definer set search_path = pg_catalog, crm as $$
begin
    perform pg_advisory_xact_lock(hashtext('crm.stamp_events'));
    return query
    with pending as (
        select e.tenant_id, e.id, e.stream_id,
               row_number() over (partition by e.stream_id order by e.at, e.id) as n
          from crm.event e where e.seq is null
    ),
    counts as (select p.stream_id, count(*) as n from pending p group by p.stream_id),
    bumped as (
        insert into crm.event_stream as es (stream_id, last_seq)
        select c.stream_id, c.n from counts c
        on conflict (stream_id) do update set last_seq = es.last_seq + excluded.last_seq
        returning es.stream_id, es.last_seq
    ),
    stamped as (
        update crm.event e set seq = b.last_seq - c.n + p.n
          from pending p join counts c on c.stream_id = p.stream_id join bumped b on b.stream_id = p.stream_id
         where e.tenant_id = p.tenant_id and e.id = p.id
        returning e.stream_id
    )
    select distinct st.stream_id from stamped st;
end $$;
comment on function crm.stamp_events() is
    'Numbers the committed events that have no number yet (per stream, gap-free, in the order they became visible); answers the streams that got new events.';

-- order.created: the orders one statement inserted. (orders.create inserts an order as quoted and
-- sets its status after its lines, in the same transaction: the event names no status, and that
-- first status change is no order.status event, see the trigger's condition below.)
create or replace function crm.event_orders_created() returns trigger language plpgsql as $$
begin
    perform crm.emit_events(array(
        select row(o.tenant_id, null, 'order.created', o.id,
                   jsonb_build_object('order_id', o.id::text, 'customer_id', o.customer_id::text,
                                      'staff_id', o.staff_id::text, 'ordered_at', o.ordered_at))::crm.event_draft
          from new_orders o));
    return null;
end $$;

-- order.status: an order moved along (orders.set_status, returns, cancellations), in a later
-- transaction than the one that created it (created_at is that transaction's now()).
create or replace function crm.event_order_status() returns trigger language plpgsql as $$
begin
    perform crm.emit_events(array[row(new.tenant_id, null, 'order.status', new.id,
        jsonb_build_object('order_id', new.id::text, 'customer_id', new.customer_id::text, 'from', old.status, 'to', new.status))::crm.event_draft]);
    return null;
end $$;

-- case.opened: the cases one statement opened.
create or replace function crm.event_cases_opened() returns trigger language plpgsql as $$
begin
    perform crm.emit_events(array(
        select row(c.tenant_id, null, 'case.opened', c.id,
                   jsonb_build_object('case_id', c.id::text, 'customer_id', c.customer_id::text, 'category', c.category,
                                      'priority', c.priority, 'subject', c.subject, 'sla_due_at', c.sla_due_at,
                                      'assigned_to', c.assigned_to::text))::crm.event_draft
          from new_cases c));
    return null;
end $$;

-- campaign.approval_requested / campaign.approved: a campaign's status became pending_approval
-- (its budget and designs wait for the roles the unit named) or approved.
create or replace function crm.event_campaign_status() returns trigger language plpgsql as $$
begin
    if new.status in ('pending_approval', 'approved') then
        perform crm.emit_events(array[row(new.tenant_id, null,
            case new.status when 'pending_approval' then 'campaign.approval_requested' else 'campaign.approved' end, new.id,
            jsonb_build_object('campaign_id', new.id::text, 'name', new.name, 'status', new.status, 'budget', new.budget::text,
                               'budget_approved', new.budget_approved,
                               'missing_approvals', case when new.status = 'pending_approval'
                                                         then to_jsonb(crm.campaign_missing_approvals(new.id)) end))::crm.event_draft]);
    end if;
    return null;
end $$;

-- lead.offered: to each partner offered a lead, what the partner may read of it (the lead's
-- name, company, region, score; never a cost or margin) and when the offer expires.
create or replace function crm.event_leads_offered() returns trigger language plpgsql as $$
begin
    perform crm.emit_events(array(
        select row(o.tenant_id, o.partner_id, 'lead.offered', o.id,
                   jsonb_build_object('lead_id', o.lead_id::text, 'name', l.name, 'company', l.company, 'region', l.region,
                                      'score', l.score, 'offered_at', o.offered_at, 'expires_at', o.expires_at))::crm.event_draft
          from new_offers o join crm.lead l on l.tenant_id = o.tenant_id and l.id = o.lead_id));
    return null;
end $$;

-- call.incoming: a call recorded (calls.record), with the caller lookup for a screen-pop: the
-- customer as customers.lookup answers it, by the caller's number, else by the call's customer.
create or replace function crm.event_call_incoming() returns trigger language plpgsql as $$
declare
    v_caller json;
begin
    if new.phone is not null then
        v_caller := crm.lookup_customer(new.phone);
    end if;
    if v_caller is null and new.customer_id is not null then
        v_caller := json_build_object('customer', crm.get_customer(new.customer_id));
    end if;
    perform crm.emit_events(array[row(new.tenant_id, null, 'call.incoming', new.id,
        jsonb_build_object('call_id', new.id::text, 'phone', new.phone, 'customer_id', new.customer_id::text, 'reason', new.reason,
                           'abandoned', new.abandoned, 'wait_seconds', new.wait_seconds, 'started_at', new.started_at,
                           'caller', v_caller))::crm.event_draft]);
    return null;
end $$;

-- A customer erased (customers.erase) leaves nothing personal in the outbox either: the unit's
-- events about it (by customer_id, or the caller lookup of a call) keep only their ids. Security
-- definer (crm_events), the one writer of the outbox; the unit's events within its retention.
create or replace function crm.event_customer_erased() returns trigger
    language plpgsql security definer set search_path = pg_catalog, crm as $$
begin
    update crm.event e
       set data = (select coalesce(jsonb_object_agg(x.key, x.value), '{}') from jsonb_each(e.data) x
                    where x.key like '%\_id' and jsonb_typeof(x.value) in ('string', 'null')) || '{"erased": true}'
     where e.tenant_id = new.tenant_id and e.partner_id is null
       and (e.data->>'customer_id' = new.id::text or e.data #>> '{caller,customer,id}' = new.id::text);
    return null;
end $$;

create or replace trigger event_orders_created after insert on crm.sales_order
    referencing new table as new_orders for each statement execute function crm.event_orders_created();
create or replace trigger event_order_status after update of status on crm.sales_order
    for each row when (old.status is distinct from new.status and old.created_at is distinct from now())
    execute function crm.event_order_status();
create or replace trigger event_cases_opened after insert on crm.service_case
    referencing new table as new_cases for each statement execute function crm.event_cases_opened();
create or replace trigger event_campaign_status after update of status on crm.campaign
    for each row when (old.status is distinct from new.status) execute function crm.event_campaign_status();
create or replace trigger event_leads_offered after insert on crm.lead_offer
    referencing new table as new_offers for each statement execute function crm.event_leads_offered();
create or replace trigger event_call_incoming after insert on crm.call_record
    for each row execute function crm.event_call_incoming();
create or replace trigger event_customer_erased after update of erased_at on crm.customer
    for each row when (old.erased_at is null and new.erased_at is not null) execute function crm.event_customer_erased();

-- Which of these API keys (and their principals) are still live: the server drops the event
-- subscriptions of the others (EventHub), as crm.enter_request stops their requests.
create or replace function crm.live_keys(p_keys uuid[]) returns setof uuid
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select k.id from crm.api_key k join crm.principal p on p.id = k.principal_id
     where k.id = any(p_keys) and k.revoked_at is null and p.revoked_at is null
$$;
comment on function crm.live_keys(uuid[]) is 'The keys of the list that are not revoked (nor their principals): for the server''s event subscriptions.';
grant execute on function crm.live_keys(uuid[]) to crm_app;

-- The last number of each of these streams: the server's periodic sweep reads only the
-- subscribers whose cursor is behind their stream's (one query, not one per unit). Security
-- definer (crm_events), executable by the login role only: numbers, no event.
create or replace function crm.event_stream_heads(p_streams uuid[]) returns table (stream_id uuid, last_seq bigint)
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select s.stream_id, s.last_seq from crm.event_stream s where s.stream_id = any(p_streams)
$$;
comment on function crm.event_stream_heads(uuid[]) is 'The last event number of each stream of the list (for the server''s sweep of its subscriptions).';

-- Handed to the narrow role as the migrating superuser.
reset role;
alter function crm.emit_events(crm.event_draft[]) owner to crm_events;
alter function crm.stamp_events() owner to crm_events;
alter function crm.event_customer_erased() owner to crm_events;
grant execute on function crm.event_customer_erased() to crm_unit;
grant execute on function crm.stamp_events() to crm_app;
alter function crm.event_stream_heads(uuid[]) owner to crm_events;
grant execute on function crm.event_stream_heads(uuid[]) to crm_app;
set local role crm_owner;

grant execute on function crm.event_cursor(bigint), crm.event_json(crm.event, text) to crm_unit, crm_viewer, crm_partner, crm_reporter;
grant execute on function crm.event_orders_created(), crm.event_order_status(), crm.event_cases_opened(),
    crm.event_campaign_status(), crm.event_leads_offered(), crm.event_call_incoming() to crm_unit;
-- Partners update lead offers (their answers), which fires no event; the catalog check of
-- 06_least_privilege.sql counts every trigger of a table a role writes.
grant execute on function crm.event_leads_offered() to crm_partner;
reset role;
grant execute on function crm.emit_events(crm.event_draft[]) to crm_unit, crm_partner, crm_events;
grant execute on function crm.current_tenant(), crm.tenant_of_slug_setting() to crm_events;
set local role crm_owner;
