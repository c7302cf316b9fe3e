-- Issue "[7/7] Live events on the same connection": the outbox of events a unit's changes (and the
-- scheduled job) write in the same transaction as the change, read back by the server under each
-- subscriber's own role and unit, so row-level security decides who receives what.
--
--   crm.event         the outbox: one row per event, in a stream (a unit's own events, or the
--                     events addressed to one partner), numbered gap-free per stream (seq)
--   crm.event_stream  the last number handed out per stream (a reference table: no request role
--                     reads it; the security-definer crm.emit_events, owned by crm_events, writes it)
--   crm.event_once    which time-based events (SLA due soon / breached, offer expiring, task due)
--                     the scheduled job has emitted already, so each is emitted once
--
-- Why a counter row per stream (taken under its row lock until commit) and not a sequence: a
-- reader that resumes "after seq N" must never skip a lower number that commits later. With a
-- sequence, seq 7 may commit before seq 6; a reader that saw 7 and moved its cursor on would
-- never see 6. Under the counter row's lock the stream's numbers are handed out in commit order:
-- the next writer of the stream waits for the lock, and PostgreSQL makes a transaction visible
-- before it releases its locks, so when seq n+1 is visible, seq n already is (or was rolled back
-- with its number, and the counter row with it: no hole). The cost: the transactions of one
-- unit that write events take the counter row one after the other from their event to their
-- commit (crm-bench events measures what that costs orders.create). The alternative, reading
-- only up to the oldest transaction still in progress (pg_snapshot_xmin), keeps writers apart
-- but lets one long transaction of any unit hold back every unit's delivery.
set local role crm_owner;

-- The narrow role that owns the event writer and the purge (security definer): it may write the
-- outbox and the counters and nothing else; request roles only read the outbox through policies.
reset role;
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_events') then
        create role crm_events nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
end $$;
grant crm_events to crm_owner;
alter default privileges for role crm_events revoke execute on functions from public;
grant usage on schema crm to crm_events;
set local role crm_owner;

create table crm.event_stream (
    stream_id uuid   not null primary key,       -- a unit's id, or a partner's id
    last_seq  bigint not null check (last_seq > 0)
);
comment on table crm.event_stream is
    'The last event number handed out per stream (a unit''s own events, or one partner''s): taken under its row lock by crm.emit_events, so numbers are gap-free and visible in order.';
insert into crm.reference_table values ('crm.event_stream');

create table crm.event (
    tenant_id  uuid        not null references crm.tenant (id),
    stream_id  uuid        not null,             -- tenant_id for the unit's own events, partner_id for a partner's
    seq        bigint      not null,
    topic      text        not null,
    partner_id uuid        references crm.partner (id),
    subject_id bigint,                           -- the order, case, campaign, lead offer, task or call
    at         timestamptz not null default now(),
    data       jsonb       not null default '{}',
    primary key (tenant_id, stream_id, seq),
    check ((partner_id is null and stream_id = tenant_id) or stream_id = partner_id)
);
comment on table crm.event is
    'The event outbox: written in the transaction of the change it tells of (crm.emit_events), read by events.since and the server''s subscribers under the reader''s own role; kept event_retention_days (unit setting).';
comment on column crm.event.seq is 'The event''s number in its stream (gap-free, in commit order); a client''s cursor is crm.event_cursor(seq).';
comment on column crm.event.partner_id is 'The partner the event is addressed to (lead offers); NULL for the unit''s own events.';

-- A partner reads its stream across the units that offer it leads.
create index event_partner_stream on crm.event (stream_id, seq) where partner_id is not null;
-- Retention deletes a unit's oldest events.
create index event_unit_age on crm.event (tenant_id, at);

create table crm.event_once (
    tenant_id  uuid        not null references crm.tenant (id),
    topic      text        not null,
    subject_id bigint      not null,
    at         timestamptz not null default now(),
    primary key (tenant_id, topic, subject_id)
);
comment on table crm.event_once is
    'Time-based events the scheduled job emitted (case.sla_due_soon, case.sla_breached, lead.offer_expiring, task.due), one row per subject, so each is emitted once.';

-- An event before it has its number: what the triggers hand crm.emit_events (SQL/repeatable/70_events.sql).
create type crm.event_draft as (tenant_id uuid, partner_id uuid, topic text, subject_id bigint, data jsonb);

alter table crm.event_stream enable row level security;
alter table crm.event_stream force row level security;
alter table crm.event enable row level security;
alter table crm.event force row level security;

grant select, insert, update on crm.event_stream to crm_events;
grant select, insert, delete on crm.event to crm_events;
grant select on crm.event to crm_unit, crm_partner, crm_reporter;
grant select, insert on crm.event_once to crm_unit;
grant select, delete on crm.event_once to crm_events;
grant select on crm.event_once to crm_reporter;

create policy "the event writer keeps the counters" on crm.event_stream for all to crm_events using (true) with check (true);
create policy "the event writer and the purge keep the outbox" on crm.event for all to crm_events using (true) with check (true);
create policy "unit users see their own unit's events" on crm.event for select to crm_unit
    using (tenant_id = (select crm.current_tenant()) and partner_id is null);
create policy "partners see the events addressed to them by units that grant them" on crm.event for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
create policy "reporters see every unit's events, or the unit they chose" on crm.event for select to crm_reporter
    using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()));
-- The purge (security definer, crm_events) reads the retention setting of the caller's unit.
grant select (id, settings) on crm.tenant to crm_events;
create policy "the event purge reads the caller's unit's settings" on crm.tenant for select to crm_events
    using (id = (select crm.current_tenant()));
select crm.add_unit_policies('crm.event_once', 'emitted time-based events');
create policy "the purge forgets emitted time-based events" on crm.event_once for all to crm_events using (true) with check (true);
