-- events.since, events.subscribe's starting point (Sources/CRMServer/Methods/Events+RPC.swift).
-- The caller's stream: a unit's own events (unit roles, viewers), or the events addressed to a
-- partner (partners); row-level security on crm.event decides what the caller sees, and the
-- server's subscribers read through the same function under each subscriber's own role and unit.
set local role crm_owner;

-- events.since: the caller's numbered events after a cursor (by number, oldest first), optionally
-- of some topics only (an event is numbered once committed: crm.stamp_events). The key of each row is the event's number: its cursor (crm.event_cursor) is the
-- paging cursor of what comes after it.
create or replace function api.events_since(topics jsonb, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
declare
    v_partner uuid := crm.current_partner();
    v_tenant uuid := crm.current_tenant();
    v_topics text[] := case when jsonb_typeof(events_since.topics) = 'array'
                            then array(select jsonb_array_elements_text(events_since.topics)) end;
    v_slug text;
begin
    if v_partner is not null then
        return query
        select e.seq::text, crm.event_json(e, (select t.slug from crm.tenant t where t.id = e.tenant_id))::text
          from crm.event e
         where e.stream_id = v_partner and e.partner_id = v_partner and e.seq > after
           and (v_topics is null or e.topic = any(v_topics))
         order by e.seq
         limit lim;
    else
        -- The unit's slug once, not per event.
        select t.slug into v_slug from crm.tenant t where t.id = v_tenant;
        return query
        select e.seq::text, crm.event_json(e, v_slug)::text
          from crm.event e
         where e.tenant_id = v_tenant and e.stream_id = v_tenant and e.seq > after
           and (v_topics is null or e.topic = any(v_topics))
         order by e.stream_id, e.seq
         limit lim;
    end if;
end $$;
comment on function api.events_since(jsonb, bigint, int) is
    'events.since: the caller''s events (its unit''s, or those addressed to the partner) after a cursor, oldest first; key = the event''s number.';

-- events.subscribe: the cursor of the caller's newest event (live events follow it).
create or replace function api.events_head() returns json language plpgsql stable as $$
declare
    v_partner uuid := crm.current_partner();
    v_tenant uuid := crm.current_tenant();
    v_seq bigint;
begin
    if v_partner is not null then
        select max(e.seq) into v_seq from crm.event e where e.stream_id = v_partner and e.partner_id = v_partner;
    else
        select max(e.seq) into v_seq from crm.event e where e.tenant_id = v_tenant and e.stream_id = v_tenant;
    end if;
    return json_build_object('cursor', crm.event_cursor(coalesce(v_seq, 0)), 'seq', coalesce(v_seq, 0)::text);
end $$;
comment on function api.events_head() is
    'The cursor of the caller''s newest event (cursor of 0 when there is none): where a subscription starts.';

grant execute on function api.events_since(jsonb, bigint, int), api.events_head() to crm_unit, crm_viewer, crm_partner;
