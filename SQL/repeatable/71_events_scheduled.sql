-- The time-based events and the outbox's retention, run by the scheduled job for each unit
-- under the unit role (TaskRulesService: `crm.emit_due_events(horizon)`, `crm.purge_events()`).
--
--   topic                 when                                                    addressed to
--   case.sla_due_soon     an open case's SLA falls due within the horizon          the unit
--   case.sla_breached     an open case's SLA due time has passed                   the unit
--   lead.offer_expiring   an unanswered lead offer expires within the horizon      the partner offered it
--   task.due              an open task falls due within the horizon (or is due)    the unit
--
-- The horizon is the job's interval, at least an hour and at most a day: a subject whose time comes before the
-- next run is announced on this one. Each event is emitted once per subject: crm.event_once
-- keeps which were (insert ... on conflict do nothing: two servers running the job at once emit
-- each once). Only subjects whose time is within the retention window are looked at, so a
-- subject forgotten by the purge (older than the window) is never announced again.
set local role crm_owner;

-- The unit's event_retention_days (unit setting, default 7).
create or replace function crm.event_retention_days() returns int language sql stable
    return coalesce((select (t.settings->>'event_retention_days')::int from crm.tenant t where t.id = (select crm.current_tenant())), 7);
comment on function crm.event_retention_days() is 'How many days the caller''s unit keeps its events (setting event_retention_days, default 7).';

create or replace function crm.emit_due_events(p_horizon interval default interval '1 hour') returns int language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_since timestamptz := now() - make_interval(days => crm.event_retention_days());
    v_until timestamptz := now() + least(greatest(p_horizon, interval '1 hour'), interval '1 day');
    v_drafts crm.event_draft[];
begin
    if v_tenant is null then
        raise exception 'forbidden: the scheduled events belong to a business unit' using errcode = 'CR403';
    end if;
    with due as (
        select 'case.sla_due_soon' as topic, null::uuid as partner_id, k.id as subject_id,
               jsonb_build_object('case_id', k.id::text, 'customer_id', k.customer_id::text, 'priority', k.priority,
                                  'subject', k.subject, 'sla_due_at', k.sla_due_at, 'assigned_to', k.assigned_to::text) as data
          from crm.service_case k
         where k.tenant_id = v_tenant and k.status not in ('resolved', 'closed') and k.sla_due_at > now() and k.sla_due_at <= v_until
        union all
        select 'case.sla_breached', null, k.id,
               jsonb_build_object('case_id', k.id::text, 'customer_id', k.customer_id::text, 'priority', k.priority,
                                  'subject', k.subject, 'sla_due_at', k.sla_due_at, 'assigned_to', k.assigned_to::text)
          from crm.service_case k
         where k.tenant_id = v_tenant and k.status not in ('resolved', 'closed') and k.sla_due_at <= now() and k.sla_due_at > v_since
        union all
        select 'lead.offer_expiring', o.partner_id, o.id,
               jsonb_build_object('lead_id', o.lead_id::text, 'offered_at', o.offered_at, 'expires_at', o.expires_at)
          from crm.lead_offer o
         where o.tenant_id = v_tenant and o.response is null and o.expires_at > now() and o.expires_at <= v_until
        union all
        select 'task.due', null, t.id,
               jsonb_build_object('task_id', t.id::text, 'kind', t.kind, 'customer_id', t.customer_id::text,
                                  'owner_id', t.owner_id::text, 'due_at', t.due_at, 'note', t.note)
          from crm.task t
         where t.tenant_id = v_tenant and t.done_at is null and t.due_at <= v_until and t.due_at > v_since
    ),
    fresh as (
        insert into crm.event_once (tenant_id, topic, subject_id)
        select v_tenant, d.topic, d.subject_id from due d
        on conflict do nothing
        returning topic, subject_id
    )
    select array_agg(row(v_tenant, d.partner_id, d.topic, d.subject_id, d.data)::crm.event_draft order by d.topic, d.subject_id)
      into v_drafts
      from due d join fresh f on f.topic = d.topic and f.subject_id = d.subject_id;
    if v_drafts is not null then
        perform crm.emit_events(v_drafts);
    end if;
    return coalesce(cardinality(v_drafts), 0);
end $$;
comment on function crm.emit_due_events(interval) is
    'The scheduled job''s time-based events for the caller''s unit (SLA due soon / breached, lead offers expiring, tasks due), each once; returns how many it emitted.';

-- Deletes the caller's unit's events older than its retention, and the marks of time-based
-- events whose subjects' times lie before the window (they are no longer looked at). Security
-- definer (crm_events): the unit role deletes nothing of the outbox itself.
create or replace function crm.purge_events() returns int
    language plpgsql security definer set search_path = pg_catalog, crm as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_before timestamptz := now() - make_interval(days => crm.event_retention_days());
    n int;
begin
    if v_tenant is null then
        raise exception 'forbidden: events belong to a business unit' using errcode = 'CR403';
    end if;
    -- Numbered events only: an event the stamper is numbering right now stays for the next purge.
    delete from crm.event e where e.tenant_id = v_tenant and e.at < v_before and e.seq is not null;
    get diagnostics n = row_count;
    -- A mark is kept a day longer than the window in which its subject is looked at.
    delete from crm.event_once o where o.tenant_id = v_tenant and o.at < v_before - interval '1 day';
    return n;
end $$;
comment on function crm.purge_events() is
    'Deletes the caller''s unit''s events older than its event_retention_days (and old marks of time-based events); returns how many events.';

reset role;
alter function crm.purge_events() owner to crm_events;
grant execute on function crm.current_tenant(), crm.tenant_of_slug_setting() to crm_events;
set local role crm_owner;
grant execute on function crm.event_retention_days() to crm_unit, crm_events;
grant execute on function crm.emit_due_events(interval) to crm_unit;
reset role;
grant execute on function crm.purge_events() to crm_unit;
set local role crm_owner;
