-- Issue "[7/7] Live events on the same connection": the outbox of events a unit's changes (and the
-- scheduled job) write in the same transaction as the change, read back by the server under each
-- subscriber's own role and unit, so row-level security decides who receives what.
--
--   crm.event         the outbox: one row per event, in a stream (a unit's own events, or the
--                     events addressed to one partner), numbered gap-free per stream (seq) once
--                     committed, by crm.stamp_events
--   crm.event_stream  the last number handed out per stream (a reference table: no request role
--                     reads it; the security-definer functions owned by crm_events write it)
--   crm.event_once    which time-based events (SLA due soon / breached, offer expiring, task due)
--                     the scheduled job has emitted already, so each is emitted once
--
-- How events are numbered: a reader that resumes "after seq N" must never skip a lower number
-- that commits later. With a sequence taken in the writing transaction, seq 7 may commit before
-- seq 6, and a reader that saw 7 and moved its cursor on would never see 6. Two ways out were
-- weighed: number each stream under a counter row's lock in the writing transaction (the lock is
-- then held through the commit, fsync included, so a unit's writes commit one after the other:
-- orders.create from 8 connections of one unit lost about 40% of its throughput), or read only
-- up to the oldest transaction in progress (one long transaction of any unit holds back every
-- unit's delivery). Instead the writer inserts its events without a number (seq NULL), and the
-- server numbers them after they committed: crm.stamp_events, one statement under an advisory
-- lock (one stamper at a time, across servers), numbers every committed unnumbered event, per
-- stream, after the stream's last number. A transaction that commits later is numbered in a
-- later round, so numbers are handed out in the order events became visible, with no gap; no
-- writer waits for another. Readers read numbered events only (seq > cursor); an event becomes
-- readable a round trip after its commit, when the NOTIFY it sent reaches a server.
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
    'The last event number handed out per stream (a unit''s own events, or one partner''s): advanced by crm.stamp_events as it numbers committed events.';
insert into crm.reference_table values ('crm.event_stream');

create sequence crm.event_id_seq as bigint minvalue 1 maxvalue 281474976710655;
create table crm.event (
    tenant_id  uuid        not null references crm.tenant (id),
    id         bigint      not null default crm.opaque_id(nextval('crm.event_id_seq')),
    stream_id  uuid        not null,             -- tenant_id for the unit's own events, partner_id for a partner's
    seq        bigint,                           -- NULL until crm.stamp_events numbers it (after its commit)
    topic      text        not null,
    partner_id uuid        references crm.partner (id),
    subject_id bigint,                           -- the order, case, campaign, lead offer, task or call
    at         timestamptz not null default clock_timestamp(),  -- when it was written: the stamper's order within a transaction
    data       jsonb       not null default '{}',
    primary key (tenant_id, id),
    check ((partner_id is null and stream_id = tenant_id) or stream_id = partner_id)
);
alter sequence crm.event_id_seq owned by crm.event.id;
comment on table crm.event is
    'The event outbox: written in the transaction of the change it tells of (crm.emit_events), numbered per stream once committed (crm.stamp_events), read by events.since and the server''s subscribers under the reader''s own role; kept event_retention_days (unit setting).';
comment on column crm.event.seq is 'The event''s number in its stream (gap-free, in the order events became visible; NULL until numbered); a client''s cursor is crm.event_cursor(seq).';
comment on column crm.event.partner_id is 'The partner the event is addressed to (lead offers); NULL for the unit''s own events.';

-- A stream's events by number: a unit's stream is its tenant_id, a partner's spans the units
-- that offer it leads.
create unique index event_stream_seq on crm.event (stream_id, seq) where seq is not null;
-- What the stamper numbers next.
create index event_unnumbered on crm.event (at) where seq is null;
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
grant select, insert, update (seq, data), delete on crm.event to crm_events;
grant usage on sequence crm.event_id_seq to crm_events;
grant execute on function crm.opaque_id(bigint) to crm_events;
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
