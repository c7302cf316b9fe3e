-- The event outbox (0046_events.sql, SQL/repeatable/70_events.sql, 71_events_scheduled.sql):
-- an event exists exactly when its change committed; once numbered (crm.stamp_events), each
-- stream (a unit's, a partner's) is numbered 1, 2, 3, ... with no gap; row-level security lets a unit read only its own events
-- and a partner only those addressed to it by a unit that grants it; nobody but the writer
-- writes the outbox; time-based events are emitted once; the purge keeps the retention.
begin;
select plan(35);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000060a1', 'ev-a', 'A'), ('00000000-0000-0000-0000-0000000060b1', 'ev-b', 'B');
insert into crm.partner (id, slug, name) values
    ('00000000-0000-0000-0000-0000000060f1', 'ev-p', 'P'), ('00000000-0000-0000-0000-0000000060f2', 'ev-q', 'Q');
insert into crm.partner_grant (tenant_id, partner_id, may_receive_leads) values
    ('00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060f1', true),
    ('00000000-0000-0000-0000-0000000060b1', '00000000-0000-0000-0000-0000000060f1', true),
    ('00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060f2', true);
insert into crm.customer (tenant_id, name, phones) values
    ('00000000-0000-0000-0000-0000000060a1', 'Ann', '{+4930600001}'), ('00000000-0000-0000-0000-0000000060b1', 'Bob', '{+4930600002}');

-- The events of one stream, as numbers, read past the policies (the superuser), after the
-- stamper numbered what is committed (here: written earlier in this transaction).
create function pg_temp.seqs(p_stream uuid) returns bigint[] language plpgsql as $$
begin
    perform crm.stamp_events();
    return array(select seq from crm.event where stream_id = p_stream order by seq);
end $$;

-- 1. Written iff committed: as unit A (the trigger runs as the writer).
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000060a1', true);
select set_config('crm.partner_id', '', true);
savepoint before_order;
insert into crm.sales_order (tenant_id, customer_id) select tenant_id, id from crm.customer where name = 'Ann';
rollback to savepoint before_order;
reset role;
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060a1'), '{}'::bigint[], 'a rolled-back order leaves no event (and no number used)');
set local role crm_unit;
insert into crm.sales_order (tenant_id, customer_id) select tenant_id, id from crm.customer where name = 'Ann';
insert into crm.sales_order (tenant_id, customer_id) select tenant_id, id from crm.customer cross join generate_series(1, 3) where name = 'Ann';
reset role;
-- (As if created in an earlier transaction: a status set in the creating one is no event, as
-- orders.create sets the status after the lines.)
update crm.sales_order set status = 'confirmed' where tenant_id = '00000000-0000-0000-0000-0000000060a1';
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060a1'), array(select generate_series(1, 4)::bigint),
          'a status set in the transaction that created the order is no order.status event');
update crm.sales_order set created_at = now() - interval '1 hour' where tenant_id = '00000000-0000-0000-0000-0000000060a1';
set local role crm_unit;
update crm.sales_order set status = 'shipped' where tenant_id = '00000000-0000-0000-0000-0000000060a1';
update crm.sales_order set note = 'no status change' where tenant_id = '00000000-0000-0000-0000-0000000060a1';
insert into crm.service_case (tenant_id, customer_id, category, subject, sla_due_at)
select tenant_id, id, 'question', 'Where is my order?', now() + interval '30 minutes' from crm.customer where name = 'Ann';
insert into crm.call_record (tenant_id, phone, reason) values ('00000000-0000-0000-0000-0000000060a1', '+49 30 600001', 'question');
select is((select count(*)::int from api.events_since(null, 4, 50)), 0, 'an event is not readable before the stamper numbered it (the 4 orders were)');
reset role;
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060a1'), array(select generate_series(1, 10)::bigint),
          'unit A''s stream: 4 orders, 4 status changes, a case, a call: numbered 1 to 10, no gap (the rolled-back number was not used)');
select is(array(select topic || ':' || count(*) from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060a1' group by topic order by topic),
          array['call.incoming:1', 'case.opened:1', 'order.created:4', 'order.status:4'], 'one event per change, none for an update that kept the status');
select is((select data->>'to' from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060a1' and topic = 'order.status' limit 1),
          'shipped', 'order.status tells the new status');
select is((select data #>> '{caller,customer,name}' from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060a1' and topic = 'call.incoming'),
          'Ann', 'call.incoming carries the caller lookup by number (a screen-pop)');

-- 2. Unit B has a stream of its own, numbered from 1.
insert into crm.sales_order (tenant_id, customer_id) select tenant_id, id from crm.customer where name = 'Bob';
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060b1'), '{1}'::bigint[], 'unit B''s stream starts at 1 whatever A wrote');

-- 3. Campaign approval events.
insert into crm.campaign (tenant_id, name) values ('00000000-0000-0000-0000-0000000060b1', 'Spring');
update crm.campaign set status = 'pending_approval' where tenant_id = '00000000-0000-0000-0000-0000000060b1';
update crm.campaign set status = 'approved' where tenant_id = '00000000-0000-0000-0000-0000000060b1';
select is(array(select topic from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060b1' order by seq),
          array['order.created', 'campaign.approval_requested', 'campaign.approved'], 'a campaign waiting for approval, then approved');

-- 4. Lead offers go to the partner's stream, numbered across the units that offer.
insert into crm.lead (tenant_id, name, email, status, assigned_partner_id, assigned_at)
select t, 'Lead of ' || t, 'l@' || t || '.example', 'assigned', '00000000-0000-0000-0000-0000000060f1', now()
  from unnest(array['00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060b1']::uuid[]) t;
insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
select l.tenant_id, l.id, '00000000-0000-0000-0000-0000000060f1', now() + interval '2 hours' from crm.lead l
 where l.tenant_id in ('00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060b1');
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060f1'), '{1,2}'::bigint[], 'partner P''s stream: one offer from each unit, 1 and 2');
select is(pg_temp.seqs('00000000-0000-0000-0000-0000000060a1'), array(select generate_series(1, 10)::bigint),
          'an offer is not in the offering unit''s own stream');
select ok(not exists (select 1 from crm.event e, jsonb_object_keys(e.data) k
                       where e.partner_id is not null and (k like '%cost%' or k like '%margin%')), 'a partner''s event carries no cost or margin');

-- 5. Row-level security: what each reader sees.
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000060a1', true);
select is((select count(*)::int from crm.event), 10, 'unit A reads its own 10 events');
select ok(not exists (select 1 from crm.event where tenant_id <> '00000000-0000-0000-0000-0000000060a1' or partner_id is not null),
          'nothing of unit B, nor the offers A made to a partner');
select is((select count(*)::int from api.events_since(null, 7, 50)), 3, 'events.since after 7: 8, 9, 10');
select is((select array_agg(key order by key::int) from api.events_since('["order.status"]', 0, 50)), array['5', '6', '7', '8'],
          'events.since of one topic');
select is((select json::json->>'cursor' from api.events_since(null, 9, 1)), 'MTA', 'the cursor of event 10 is the paging cursor of "10"');
select is((select array_agg(distinct json::json->>'unit') from api.events_since(null, 0, 50)), array['ev-a'], 'each event names the unit''s slug');
select throws_ok($$insert into crm.event (tenant_id, stream_id, seq, topic) values
                   ('00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060a1', 99, 'order.created')$$,
    '42501', null, 'a unit cannot write its outbox directly');
select throws_ok($$select crm.emit_events(array[row('00000000-0000-0000-0000-0000000060b1', null, 'order.created', 1, '{}')::crm.event_draft])$$,
    'CR403', null, 'nor write another unit''s events through the writer');
select throws_ok($$select * from crm.event_stream$$, '42501', null, 'the counters are not for request roles');
reset role;

set local role crm_viewer;
select is((select count(*)::int from crm.event), 10, 'a viewer reads what the unit reads');
reset role;

set local role crm_partner;
select set_config('crm.tenant_id', '', true);
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000060f1', true);
select is((select array_agg(topic || '@' || (json::json->>'unit') order by json::json->>'unit') from api.events_since(null, 0, 50) s(key, json)
             cross join lateral (select s.json::json->>'topic' as topic) t),
          array['lead.offered@ev-a', 'lead.offered@ev-b'], 'partner P reads its two offers, from both units');
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000060f2', true);
select is((select count(*)::int from crm.event), 0, 'partner Q reads nothing of P''s offers');
reset role;
update crm.partner_grant set revoked_at = now()
 where tenant_id = '00000000-0000-0000-0000-0000000060b1' and partner_id = '00000000-0000-0000-0000-0000000060f1';
set local role crm_partner;
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000060f1', true);
select is((select count(*)::int from crm.event), 1, 'after unit B revokes P, P no longer reads B''s offer');
reset role;

-- 6. Time-based events: once each (the case due in 30 minutes, the offer expiring in 2 hours,
--    a task due now and one next week).
insert into crm.task (tenant_id, kind, due_at) values
    ('00000000-0000-0000-0000-0000000060a1', 'call', now() - interval '1 minute'), ('00000000-0000-0000-0000-0000000060a1', 'visit', now() + interval '7 days');
set local role crm_unit;
select set_config('crm.tenant_id', '00000000-0000-0000-0000-0000000060a1', true);
select set_config('crm.partner_id', '', true);
select is(crm.emit_due_events(interval '3 hours'), 3, 'SLA due soon, offer expiring (within the horizon), the task due now');
select is(crm.emit_due_events(interval '3 hours'), 0, 'a second run emits none again');
reset role;
select crm.stamp_events();
select is(array(select topic from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060a1' and seq > 10 order by seq),
          array['case.sla_due_soon', 'task.due'], 'unit A''s stream got the case and the task');
select is((select topic from crm.event where stream_id = '00000000-0000-0000-0000-0000000060f1' and seq = 3), 'lead.offer_expiring',
          'the partner''s stream got the expiring offer');

-- 6b. A customer erased leaves only ids in the events about it (the call's screen-pop included).
update crm.customer set erased_at = now() where name = 'Ann';
select is((select data from crm.event where tenant_id = '00000000-0000-0000-0000-0000000060a1' and topic = 'call.incoming') - 'call_id',
          '{"erased": true, "customer_id": null}'::jsonb, 'the erased caller''s number and lookup are gone from call.incoming');
select ok((select bool_and(data ? 'erased' and not data ? 'subject') from crm.event
            where tenant_id = '00000000-0000-0000-0000-0000000060a1' and topic like 'case.%'), 'and the case events keep no subject');

-- 7. Retention: a unit setting (1 to 365 days); the purge deletes the unit's older events only.
set local role crm_unit;
select set_config('crm.app_role', 'manager', true);
select throws_ok($$select crm.update_settings('{"event_retention_days": 0}')$$, 'CR422', null, 'event_retention_days must be 1 or more');
select is((crm.update_settings('{"event_retention_days": 2}')->>'event_retention_days')::int, 2, 'a manager sets it to 2 days');
reset role;
update crm.event set at = now() - interval '3 days' where stream_id in ('00000000-0000-0000-0000-0000000060a1', '00000000-0000-0000-0000-0000000060b1') and seq <= 2;
set local role crm_unit;
select is(crm.purge_events(), 2, 'the purge deletes unit A''s two events older than 2 days');
reset role;
select is((select count(*)::int from crm.event where stream_id = '00000000-0000-0000-0000-0000000060b1'), 3,
          'and nothing of unit B, old or not');

select * from finish();
rollback;
