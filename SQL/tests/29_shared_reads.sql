-- A guest known at every hotel (0049, 17_shared_reads.sql): what hangs off a customer unit A
-- shares with unit B (cases, invoices, payments, rollups, tiers, quotes, loyalty) B reads and
-- never writes; C, with no share, reads nothing; a revoked share hides it at the next statement;
-- partners read none of it. customers.get and customers.lookup in B name what A knows of the
-- guest, with A's slug and name on every item; the figures below are worked by hand.
begin;
select plan(47);

insert into crm.tenant (id, slug, name) values
    ('00000000-0000-0000-0000-0000000029a1', 'sr-hotel-a', 'Hotel A'),
    ('00000000-0000-0000-0000-0000000029b1', 'sr-hotel-b', 'Hotel B'),
    ('00000000-0000-0000-0000-0000000029c1', 'sr-hotel-c', 'Hotel C');
insert into crm.partner (id, slug, name) values ('00000000-0000-0000-0000-0000000029f1', 'sr-partner', 'P');
insert into crm.partner_grant (tenant_id, partner_id) values ('00000000-0000-0000-0000-0000000029a1', '00000000-0000-0000-0000-0000000029f1');

-- A: the guest Greta (shared with B later) and Otto (never shared). B knows Greta too, by phone.
insert into crm.customer (tenant_id, name, phones, emails) values
    ('00000000-0000-0000-0000-0000000029a1', 'Greta Guest', '{+4930290001}', '{greta@sr.example}'),
    ('00000000-0000-0000-0000-0000000029a1', 'Otto Other', '{+4930290002}', '{otto@sr.example}'),
    ('00000000-0000-0000-0000-0000000029b1', 'Greta at B', '{+4930290001}', '{}');
insert into crm.product (tenant_id, sku, name, list_price, unit_cost)
values ('00000000-0000-0000-0000-0000000029a1', 'ROOM', 'Double room', 30, 12);
create temp table sr_guest as select tenant_id, id, name from crm.customer where tenant_id = '00000000-0000-0000-0000-0000000029a1';
create function pg_temp.guest(p_name text) returns bigint language sql as $$ select id from pg_temp.sr_guest where name = p_name $$;

-- Greta's stay: 2 nights at 30.00 confirmed (a sale: 60.00 this month), a quoted stay of 15.00 (no
-- sale); Otto: one confirmed night. Invoice 60.00, payment 25.00: balance 35.00.
insert into crm.sales_order (tenant_id, customer_id, status, ordered_at, note)
select tenant_id, id, s, now() - (d || ' days')::interval, name || ' ' || s
  from sr_guest, (values ('confirmed', 3), ('quoted', 1)) v(s, d) where name = 'Greta Guest' or s = 'confirmed';
insert into crm.order_line (tenant_id, order_id, line_no, product_id, quantity, unit_price, unit_cost)
select o.tenant_id, o.id, 1, p.id, case o.status when 'confirmed' then 2 else 1 end, case o.status when 'confirmed' then 30 else 15 end, 12
  from crm.sales_order o join crm.product p on p.tenant_id = o.tenant_id where o.tenant_id = '00000000-0000-0000-0000-0000000029a1';
insert into crm.order_status_history (tenant_id, order_id, status) select tenant_id, id, status from crm.sales_order
 where tenant_id = '00000000-0000-0000-0000-0000000029a1';
insert into crm.invoice (tenant_id, order_id, customer_id, amount)
select tenant_id, id, customer_id, 60 from crm.sales_order where tenant_id = '00000000-0000-0000-0000-0000000029a1' and status = 'confirmed';
insert into crm.payment (tenant_id, customer_id, amount) select tenant_id, id, 25 from sr_guest;
insert into crm.customer_tier_snapshot (tenant_id, customer_id, year, tier, basis_gross_margin)
select tenant_id, id, extract(year from now())::int, 'B', 36 from sr_guest;
-- Contacts with prices quoted: the room at 50.00, a day later at 45.00 (the last price).
insert into crm.interaction (tenant_id, customer_id, channel, direction, summary, occurred_at)
select tenant_id, id, 'phone', 'inbound', 'rate for ' || name || ' ' || d, now() - (d || ' days')::interval from sr_guest, (values (2), (1)) v(d);
insert into crm.quoted_price (tenant_id, interaction_id, customer_id, product_id, price, quoted_at)
select i.tenant_id, i.id, i.customer_id, p.id, case when i.summary like '% 2' then 50 else 45 end, i.occurred_at
  from crm.interaction i join crm.product p on p.tenant_id = i.tenant_id where i.tenant_id = '00000000-0000-0000-0000-0000000029a1';
-- Cases: Greta's lost key is open, her noisy room resolved; Otto's question open.
insert into crm.service_case (tenant_id, customer_id, category, subject, status, sla_due_at)
select tenant_id, id, 'complaint', subject, status, now() + interval '4 hours'
  from sr_guest, (values ('lost key', 'open'), ('noisy room', 'resolved')) v(subject, status) where name = 'Greta Guest'
union all select tenant_id, id, 'question', 'parking', 'open', now() + interval '1 day' from sr_guest where name = 'Otto Other';
insert into crm.case_status_history (tenant_id, case_id, status) select tenant_id, id, status from crm.service_case
 where tenant_id = '00000000-0000-0000-0000-0000000029a1';
-- Loyalty: a care call and a survey answer each; a task and a call of nobody (A's own errands).
insert into crm.task (tenant_id, kind, customer_id, due_at) select tenant_id, 'care_call', id, now() + interval '2 days' from sr_guest;
insert into crm.task (tenant_id, kind, due_at, note) values ('00000000-0000-0000-0000-0000000029a1', 'other', now(), 'restock minibar');
insert into crm.survey_response (tenant_id, customer_id, score) select tenant_id, id, 9 from sr_guest;
insert into crm.call_record (tenant_id, customer_id, reason) select tenant_id, id, 'question' from sr_guest;
insert into crm.call_record (tenant_id, phone, reason) values ('00000000-0000-0000-0000-0000000029a1', '+4930999999', 'other');

-- Rows of A's that each unit reads, per table, as names (a customer's name, or the errand's note).
create temp view sr_seen with (security_invoker = true) as
select 'invoice' as tab, c.name from crm.invoice x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'payment', c.name from crm.payment x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'customer_month_summary', c.name from crm.customer_month_summary x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'customer_year_summary', c.name from crm.customer_year_summary x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'customer_tier_snapshot', c.name from crm.customer_tier_snapshot x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'quoted_price', c.name from crm.quoted_price x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'service_case', c.name from crm.service_case x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'case_status_history', split_part(x.status, ' ', 1) || ':' || (select c.name from crm.service_case k join sr_guest c
              on c.tenant_id = k.tenant_id and c.id = k.customer_id where k.tenant_id = x.tenant_id and k.id = x.case_id)
            from crm.case_status_history x where x.tenant_id = '00000000-0000-0000-0000-0000000029a1'
union all select 'order_status_history', x.status from crm.order_status_history x where x.tenant_id = '00000000-0000-0000-0000-0000000029a1'
union all select 'task', coalesce(c.name, x.note) from crm.task x left join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
           where x.tenant_id = '00000000-0000-0000-0000-0000000029a1'
union all select 'survey_response', c.name from crm.survey_response x join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
union all select 'call_record', coalesce(c.name, x.phone) from crm.call_record x left join sr_guest c on c.tenant_id = x.tenant_id and c.id = x.customer_id
           where x.tenant_id = '00000000-0000-0000-0000-0000000029a1';
grant select on sr_seen, sr_guest to crm_unit, crm_viewer;

create function pg_temp.seen(p_role text, p_unit uuid) returns text language plpgsql as $$
declare
    v text;
begin
    execute format('set local role %I', p_role);
    perform set_config('crm.tenant_id', p_unit::text, true);
    select string_agg(tab || '=' || names, '; ' order by tab) into v
      from (select tab, string_agg(distinct name, ',' order by name) as names from pg_temp.sr_seen group by tab) x;
    reset role;
    return coalesce(v, '');
end $$;

create function pg_temp.rows_touched(p_sql text) returns int language plpgsql as $$
declare
    n int;
begin
    execute p_sql;
    get diagnostics n = row_count;
    return n;
end $$;

create function pg_temp.as_unit(p_unit uuid, p_role text default 'crm_unit') returns void language plpgsql as $$
begin
    perform set_config('role', p_role, true);
    perform set_config('crm.tenant_id', p_unit::text, true);
end $$;

-- Before any share: B and C read nothing of A.
select is(pg_temp.seen('crm_unit', '00000000-0000-0000-0000-0000000029b1'), '', 'before sharing B reads nothing of A');
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
select is((crm.lookup_customer('+4930290001')->'shared')::jsonb, crm.shared_customer_none()::jsonb,
          'before sharing B''s lookup of Greta answers an empty shared part');
reset role;

-- A shares Greta with B.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029a1');
select lives_ok($$select crm.share_customer(pg_temp.guest('Greta Guest'), 'sr-hotel-b')$$, 'A shares Greta with B');
reset role;

-- B (unit user and viewer) reads every table's rows of Greta and nothing of Otto or of A's errands.
select is(pg_temp.seen(r, '00000000-0000-0000-0000-0000000029b1'),
          'call_record=Greta Guest; case_status_history=open:Greta Guest,resolved:Greta Guest; customer_month_summary=Greta Guest; '
          'customer_tier_snapshot=Greta Guest; customer_year_summary=Greta Guest; invoice=Greta Guest; '
          'order_status_history=confirmed,quoted; payment=Greta Guest; quoted_price=Greta Guest; service_case=Greta Guest; '
          'survey_response=Greta Guest; task=Greta Guest',
          format('%s in B reads what hangs off Greta, nothing of Otto, no errand of A', r))
  from unnest('{crm_unit,crm_viewer}'::text[]) r;
select is(pg_temp.seen('crm_unit', '00000000-0000-0000-0000-0000000029c1'), '', 'C, not shared with, reads nothing of A');

-- B writes none of it: updates and deletes touch nothing, inserts into A are refused.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
select is(pg_temp.rows_touched($$update crm.service_case set status = 'closed' where subject = 'lost key'$$), 0, 'B cannot close A''s case');
select is(pg_temp.rows_touched($$update crm.invoice set customer_id = customer_id$$), 0, 'B cannot move A''s invoices');
select is(pg_temp.rows_touched($$update crm.task set done_at = now()$$), 0, 'B cannot complete A''s tasks');
select is(pg_temp.rows_touched($$update crm.customer_month_summary set revenue = 0$$), 0, 'B cannot change A''s rollup');
select is(pg_temp.rows_touched($$update crm.customer_tier_snapshot set tier = 'A'$$), 0, 'B cannot change A''s tiers');
select is(pg_temp.rows_touched($$delete from crm.customer_tier_snapshot$$), 0, 'B cannot delete A''s tiers');
select throws_ok($$insert into crm.payment (tenant_id, customer_id, amount)
                   values ('00000000-0000-0000-0000-0000000029a1', pg_temp.guest('Greta Guest'), 1)$$,
                 '42501', null, 'B cannot add a payment to A');
select throws_ok($$insert into crm.case_status_history (tenant_id, case_id, status)
                   select tenant_id, id, 'closed' from crm.service_case where subject = 'lost key'$$,
                 '42501', null, 'B cannot add to the history of A''s case');
reset role;
select is((select count(*)::int from crm.service_case where tenant_id = '00000000-0000-0000-0000-0000000029a1'
                and (status = 'closed' or (subject = 'lost key' and status <> 'open'))), 0,
          'A''s case is as it was');
select is((select sum(revenue)::text from crm.customer_month_summary where tenant_id = '00000000-0000-0000-0000-0000000029a1'), '120.00',
          'A''s rollup is as it was: two confirmed stays of 60.00');

-- A partner of A reads none of it (no privilege at all on these tables).
select pg_temp.as_unit(null, 'crm_partner');
select set_config('crm.partner_id', '00000000-0000-0000-0000-0000000029f1', true);
select throws_ok(format('select count(*) from crm.%I', t), '42501', null, format('a partner reads no %s', t))
  from unnest('{invoice,payment,customer_month_summary,service_case,quoted_price,task,survey_response}'::text[]) t;
reset role;
select set_config('crm.partner_id', '', true);

-- customers.lookup in B: Greta at B is the customer; A's Greta is in `shared`, every item naming A.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
create temp table sr_lookup as select crm.lookup_customer('+4930290001')::jsonb as j;
reset role;
grant select on sr_lookup to crm_unit, crm_viewer;
select is((select j->'customer'->>'name' from sr_lookup), 'Greta at B', 'lookup in B: B''s own Greta comes first');
select is((select jsonb_path_query_array(j, '$.shared.customers[*].unit') from sr_lookup), '["sr-hotel-a"]', 'the same guest at A');
select is((select (j->'shared'->'customers'->0) - 'customer_id' from sr_lookup),
          '{"unit": "sr-hotel-a", "unit_name": "Hotel A", "name": "Greta Guest", "lifecycle_stage": "prospect",
            "balance": "35.00", "sales_last_12_months": "60.00", "tier": "B"}'::jsonb,
          'A''s Greta: balance 60.00 - 25.00, a year''s sales 60.00 (the quote is no sale), tier B, A''s name');
select is((select j->'shared'->'customers'->0->>'customer_id' from sr_lookup), pg_temp.guest('Greta Guest')::text, 'A''s customer id');
select is((select jsonb_path_query_array(j, '$.shared.orders[*] ? (@.unit == "sr-hotel-a" && @.unit_name == "Hotel A").total') from sr_lookup),
          '["15.00", "60.00"]', 'her stays at A, newest first, each naming A: the quote (15.00), the stay (60.00)');
select is((select jsonb_path_query_array(j, '$.shared.orders[*].status') from sr_lookup), '["quoted", "confirmed"]', 'with their status');
select is((select jsonb_path_query_array(j, '$.shared.open_cases[*] ? (@.unit == "sr-hotel-a" && @.unit_name == "Hotel A").subject') from sr_lookup),
          '["lost key"]', 'her open case at A (the resolved one is not open), naming A');
select is((select jsonb_path_query_array(j, '$.shared.last_quotes[*] ? (@.unit == "sr-hotel-a" && @.unit_name == "Hotel A").price') from sr_lookup),
          '["45.00"]', 'the last price A quoted her for the room, naming A');
select is((select j->'open_cases' from sr_lookup), '[]', 'B''s own lists stay B''s own (Greta at B has no case)');

-- customers.get in B: of B's own Greta, A's Greta through the phone; of A's Greta (shared_from), the same.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
select is(crm.get_customer((select id from crm.customer where name = 'Greta at B'))->'shared', (select j->'shared' from sr_lookup),
          'get of B''s Greta: what A knows, as lookup shows it');
select is(crm.get_customer(pg_temp.guest('Greta Guest'))->'shared', (select j->'shared' from sr_lookup),
          'get of A''s Greta in B: the same (her own record, and no other unit''s)');
select is(crm.get_customer(pg_temp.guest('Greta Guest'))->>'shared_from', 'sr-hotel-a', 'get of A''s Greta names A');
select is(crm.get_customer(pg_temp.guest('Otto Other')), null, 'Otto is not shared: not found');
reset role;
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1', 'crm_viewer');
select is((crm.lookup_customer('+4930290001')->'shared')::jsonb, (select j->'shared' from sr_lookup), 'a viewer of B sees the same');
reset role;

-- The group view (report.group_customer_value). In B: B's Greta and A's Greta, one guest by her
-- phone: A's 12-month margin 2 x (30 - 12) = 36.00 of revenue 60.00 (the quote is no sale), tier B
-- at A; B's Greta has no sale and no tier. The group: 36.00, 60.00, best tier B.
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
select is((select array_agg(format('%s/%s %s: %s %s %s | %s %s %s %s %s %s', r.tenant, r.unit, r.name, r.gross_margin_12m, r.revenue_12m,
                                   coalesce(r.tier, '-'), r.group_units, r.group_customers, r.group_gross_margin_12m,
                                   r.group_best_tier, r.group_tiers, r.share_of_group_margin) order by r.unit)
             from report.group_customer_value r),
          array['sr-hotel-b/sr-hotel-a Greta Guest: 36.00 60.00 B | {sr-hotel-a,sr-hotel-b} 2 36.00 B {"sr-hotel-a": "B"} 1.0000',
                'sr-hotel-b/sr-hotel-b Greta at B: 0.00 0.00 - | {sr-hotel-a,sr-hotel-b} 2 36.00 B {"sr-hotel-a": "B"} 0.0000'],
          'group view in B: its own Greta and A''s, one guest across both units');
select is((select array_agg(r.customer_id order by r.customer_id) from report.group_customer_value(null, 1) r),
          (select array_agg(r.customer_id order by r.customer_id) from (select r.customer_id from report.group_customer_value r
            order by r.customer_id limit 1) r), 'a page of one is the first customer by id');
select is((select count(*)::int from report.group_customer_value((select min(r.customer_id) from report.group_customer_value r), 10)), 1,
          'the page after it holds the other');
reset role;
-- As a reporter, every unit's view: A sees its two guests (B shares nothing with A); B as above.
select set_config('crm.tenant_id', '', true);
set local role crm_reporter;
select is((select array_agg(format('%s/%s %s %s', r.tenant, r.unit, r.name, r.group_units) order by r.tenant, r.unit, r.name)
             from report.group_customer_value r where r.tenant like 'sr-hotel-%'),
          array['sr-hotel-a/sr-hotel-a Greta Guest {sr-hotel-a}', 'sr-hotel-a/sr-hotel-a Otto Other {sr-hotel-a}',
                'sr-hotel-b/sr-hotel-a Greta Guest {sr-hotel-a,sr-hotel-b}', 'sr-hotel-b/sr-hotel-b Greta at B {sr-hotel-a,sr-hotel-b}'],
          'a reporter reads every unit''s group view');
reset role;

-- A unit nobody shares with: its own lookup answers the empty shared part (the guard).
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029a1');
select is((crm.lookup_customer('+4930290001')->'shared')::jsonb, crm.shared_customer_none()::jsonb, 'A''s own lookup: nothing is shared with A');
select is(crm.get_customer(pg_temp.guest('Greta Guest'))->'shared', crm.shared_customer_none()::jsonb, 'A''s own get: likewise');
-- A revokes; at the next statement B reads nothing of A.
select ok(crm.revoke_share((select s.id from crm.customer_share s where s.tenant_id = crm.current_tenant())), 'A revokes the share');
reset role;
select is(pg_temp.seen(r, '00000000-0000-0000-0000-0000000029b1'), '', format('after revocation %s in B reads nothing of A', r))
  from unnest('{crm_unit,crm_viewer}'::text[]) r;
select pg_temp.as_unit('00000000-0000-0000-0000-0000000029b1');
select is((crm.lookup_customer('+4930290001')->'shared')::jsonb, crm.shared_customer_none()::jsonb, 'after revocation B''s lookup of Greta shows nothing of A');
reset role;

select * from finish();
rollback;
