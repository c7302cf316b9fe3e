-- customers.merge and customers.lookup. Both grow with each area that hangs rows off a customer
-- (contacts, cases, tasks): add the new tables here.
set local role crm_owner;

-- Moves everything of p_merge to p_keep, unions contact details, marks p_merge as merged, audits.
create or replace function crm.merge_customers(p_keep bigint, p_merge bigint) returns json language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    k crm.customer;
    m crm.customer;
begin
    select * into k from crm.customer where tenant_id = v_tenant and id = p_keep for update;
    select * into m from crm.customer where tenant_id = v_tenant and id = p_merge for update;
    if k.id is null or k.merged_into is not null then
        raise exception 'customer % not found', p_keep using errcode = 'CR404', detail = 'field=keep_id';
    end if;
    if m.id is null or m.merged_into is not null then
        raise exception 'customer % not found', p_merge using errcode = 'CR404', detail = 'field=merge_id';
    end if;
    -- Both customers' rollup lock before any of their rows moves (crm.lock_customer_rfm, which every
    -- writer of their rollups takes): an order's status change racing the merge would otherwise
    -- read a month's neighbours (previous_gross_margin, 0059) before the merge wrote them.
    perform crm.lock_customer_rfm(v_tenant, array[p_keep, p_merge]);
    update crm.sales_order set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.invoice set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.payment set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.interaction set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.quoted_price set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.call_record set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.service_case set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.task set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    update crm.survey_response set customer_id = p_keep where tenant_id = v_tenant and customer_id = p_merge;
    delete from crm.customer_tier_snapshot where tenant_id = v_tenant and customer_id = p_merge;
    insert into crm.customer_month_summary as s (tenant_id, customer_id, month, revenue, cost, orders, units, existing)
    select ms.tenant_id, p_keep, ms.month, ms.revenue, ms.cost, ms.orders, ms.units,
           coalesce(crm.is_existing_in_month((select f.first_month from crm.customer_first_sale f
                                               where f.tenant_id = ms.tenant_id and f.customer_id = p_keep), ms.month), false)
      from crm.customer_month_summary ms
     where ms.tenant_id = v_tenant and ms.customer_id = p_merge
    on conflict (tenant_id, customer_id, month) do update
       set revenue = s.revenue + excluded.revenue, cost = s.cost + excluded.cost,
           orders = s.orders + excluded.orders, units = s.units + excluded.units;
    update crm.customer_month_summary set revenue = 0, cost = 0, orders = 0, units = 0
     where tenant_id = v_tenant and customer_id = p_merge;
    perform crm.refresh_customer_rfm(v_tenant, array[p_keep, p_merge]);
    perform crm.refresh_channel_months(v_tenant, array[p_keep, p_merge], '-infinity');
    -- Referrals (0041): whom p_merge referred, p_keep referred; p_keep keeps its own referrer, or
    -- takes p_merge's; nobody refers itself.
    update crm.customer set referred_by = case when id = p_keep then null else p_keep end
     where tenant_id = v_tenant and referred_by = p_merge;
    update crm.customer set merged_into = p_keep, version = version + 1, updated_at = now(),
                            emails = '{}', phones = '{}', referred_by = null
     where tenant_id = v_tenant and id = p_merge;
    update crm.customer set
        emails = array(select distinct e from unnest(k.emails || m.emails) e),
        phones = array(select distinct p from unnest(k.phones || m.phones) p),
        preferences = coalesce(m.preferences, '{}') || coalesce(k.preferences, '{}'),
        referred_by = coalesce(referred_by, nullif(m.referred_by, p_keep)),
        version = version + 1, updated_at = now()
     where tenant_id = v_tenant and id = p_keep
    returning * into k;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (v_tenant, crm.current_principal(), 'merge', 'customer', p_keep::text, jsonb_build_object('merged', p_merge));
    return crm.customer_json(k);
end $$;

-- Who is calling: everything at hand for a phone number in any common format.
--
-- What the lookup shows of one customer, as a row (crm.customer_lookup_parts, 0055): the customer,
-- its open orders (with totals), balance, sales of the last 12 months, last contacts, last price
-- quoted per product, open cases, upcoming tasks, this year's tier and preferences; and whether any
-- unit shares with the caller's (the guard of the `shared` part, 17_shared_reads.sql;
-- crm.shares_received, 0049). Read under the reader's own policies: as crm_lookup by
-- crm.lookup_own_customer, as the caller by crm.lookup_shared_customer. Each part reads through
-- that customer's index (unit, customer). A SQL function of one SELECT, inlined into the reader's
-- statement (stable, not strict, no SET), and only the columns selected are computed.
--
-- p_tenant NULL: the customer's unit is not named again. Only for crm_lookup, whose one policy on
-- each table is the caller's unit (`tenant_id = (select crm.current_tenant())`, pgTAP
-- 31_lookup_reader): that condition already starts every read from the unit's index entries, and
-- naming the unit a second time (the view before 0055 did, `o.tenant_id = c.tenant_id`) gave each
-- of the twelve reads a gating filter comparing the two (a Result node set up by every lookup; 13%
-- of the statement's CPU at 1,000,000 customers). With a unit, `p_tenant is null or ...` folds to
-- the index condition once the unit is a constant (the shared reader's custom plan).
-- The 12 months' bound is a date: compared as a timestamp it was a filter on every month of the
-- customer read from the table, as a date it is part of the index condition. The lists are arrays
-- of the rows' objects in the sub-select's order (to_json(array(...)), '[]' when empty): no
-- aggregate node to set up per list (json_agg's were a tenth of a lookup's CPU).
-- crm.customer_balance, a SQL function with sub-selects that would be planned on every call, is
-- written out.
create or replace function crm.lookup_parts(p_tenant uuid, p_id bigint) returns setof crm.customer_lookup_parts
    language sql stable as $$
select c.tenant_id, c.id, c.phones, c.emails,
       crm.customer_json(c) as customer,
       to_json(array(select json_build_object('id', o.id::text, 'status', o.status, 'ordered_at', o.ordered_at,
                          'total', (select sum(l.quantity * l.unit_price)::numeric(14,2)::text from crm.order_line l
                                     where (p_tenant is null or l.tenant_id = p_tenant) and l.order_id = o.id))
                       from crm.sales_order o where (p_tenant is null or o.tenant_id = p_tenant) and o.customer_id = c.id
                        and o.status in ('quoted', 'confirmed', 'shipped')
                      order by o.ordered_at desc)) as open_orders,
       (coalesce((select sum(v.amount) from crm.invoice v where (p_tenant is null or v.tenant_id = p_tenant) and v.customer_id = c.id), 0)
        - coalesce((select sum(p.amount) from crm.payment p where (p_tenant is null or p.tenant_id = p_tenant) and p.customer_id = c.id), 0)
       )::numeric(14,2)::text as balance,
       (select coalesce(sum(s.revenue), 0)::numeric(14,2)::text from crm.customer_month_summary s
         where (p_tenant is null or s.tenant_id = p_tenant) and s.customer_id = c.id
           and s.month >= date_trunc('month', now() - interval '11 months')::date) as sales_last_12_months,
       to_json(array(select json_build_object('id', i.id::text, 'channel', i.channel, 'direction', i.direction,
                          'occurred_at', i.occurred_at, 'outcome', i.outcome, 'summary', i.summary)
                       from crm.interaction i where (p_tenant is null or i.tenant_id = p_tenant) and i.customer_id = c.id
                      order by i.occurred_at desc limit 5)) as last_contacts,
       to_json(array(select json_build_object('product_id', q.product_id::text, 'price', q.price::text, 'quoted_at', q.quoted_at)
                       from (select distinct on (q.product_id) q.product_id, q.price, q.quoted_at from crm.quoted_price q
                              where (p_tenant is null or q.tenant_id = p_tenant) and q.customer_id = c.id
                              order by q.product_id, q.quoted_at desc, q.id desc) q
                      order by q.product_id)) as last_quotes,
       to_json(array(select json_build_object('id', k.id::text, 'category', k.category, 'priority', k.priority,
                          'status', k.status, 'subject', k.subject, 'sla_due_at', k.sla_due_at)
                       from crm.service_case k where (p_tenant is null or k.tenant_id = p_tenant) and k.customer_id = c.id
                        and k.status not in ('resolved', 'closed')
                      order by k.sla_due_at)) as open_cases,
       to_json(array(select json_build_object('id', t.id::text, 'kind', t.kind, 'due_at', t.due_at, 'note', t.note)
                       from crm.task t where (p_tenant is null or t.tenant_id = p_tenant) and t.customer_id = c.id and t.done_at is null
                      order by t.due_at limit 5)) as upcoming_tasks,
       (select s.tier from crm.customer_tier_snapshot s where (p_tenant is null or s.tenant_id = p_tenant) and s.customer_id = c.id
           and s.year = extract(year from now())::int) as tier,
       c.preferences,
       exists (select 1 from crm.shares_received) as shared_with_unit
  from crm.customer c
 where (p_tenant is null or c.tenant_id = p_tenant) and c.id = p_id
$$;
comment on function crm.lookup_parts(uuid, bigint) is
    'What customers.lookup shows of customer p_id of unit p_tenant, part by part (inlined into the reader''s statement); p_tenant NULL only as crm_lookup, whose policies name the caller''s unit.';

-- The customer of the caller's own unit with the number, or NULL. Run as crm_lookup (0050), whose
-- only policies are the caller's unit's own rows, `tenant_id = (select crm.current_tenant())` (pgTAP
-- 31_lookup_reader checks they are its only ones): none of the shared-read policies' sub-selects is
-- set up. Those conditions are also the index conditions that start every read from the caller's
-- unit (the contact index, the customer's key, each part's customer index); naming the unit again
-- here cost an init plan and a gating filter each, so the parts are read without a unit. The
-- number is computed in a scalar subquery: under row-level security only a leakproof condition may
-- use an index ahead of the policies, and the planner cannot tell that of an expression holding
-- COALESCE (`value = normalize_phone(...)` read every phone of the table); a scalar subquery is a
-- parameter, and the contact index serves `value = $1`. PL/pgSQL keeps the plan for the session
-- (forced generic: the phone only feeds an index condition).
create or replace function crm.lookup_own_customer(p_phone text) returns crm.customer_lookup_parts
    language plpgsql stable security definer set search_path = pg_catalog, crm set plan_cache_mode = force_generic_plan as $$
begin
    return (
        select v
          from (select k.customer_id from crm.customer_contact k
                 where k.kind = 'phone'
                   and k.value = (select crm.normalize_phone(p_phone, coalesce((select t.settings->>'default_country_code'
                                                                               from crm.tenant t), '49')))
                 order by k.customer_id
                 limit 1) k,
               lateral crm.lookup_parts(null, k.customer_id) v);
end $$;

-- Else the customer of another unit shared with the caller's (the contact index's policy shows the
-- caller its own and shared customers' values; its own first, then the lowest id), read as the
-- caller under all its policies; or NULL. The parts are planned for the customer found (a custom
-- plan: its unit a constant, each read's index condition), rarely: only when the caller's unit has
-- nobody with the number and some unit shares with it.
create or replace function crm.lookup_shared_customer(p_phone text) returns crm.customer_lookup_parts
    language plpgsql stable set plan_cache_mode = force_custom_plan as $$
declare
    v_tenant uuid;
    v_id bigint;
begin
    select k.tenant_id, k.customer_id into v_tenant, v_id
      from crm.customer_contact k
     where k.kind = 'phone'
       and k.value = (select crm.normalize_phone(p_phone, coalesce((select t.settings->>'default_country_code'
                               from crm.tenant t where t.id = (select crm.current_tenant())), '49')))
     order by (k.tenant_id = (select crm.current_tenant())) desc, k.customer_id
     limit 1;
    if v_tenant is null then
        return null;
    end if;
    return (select v from crm.lookup_parts(v_tenant, v_id) v);
end $$;

-- The answer: the parts, and the same guest in the units sharing with the caller's (17_shared_reads.sql),
-- each item naming its unit, read as the caller and only when some unit shares with it.
create or replace function crm.lookup_customer(p_phone text) returns json
    language plpgsql stable as $$
declare
    p crm.customer_lookup_parts := crm.lookup_own_customer(p_phone);
begin
    if p.id is null then
        -- Nobody of the unit: a customer another unit shares with it, when any unit does.
        if not exists (select 1 from crm.shares_received) then
            return null;
        end if;
        p := crm.lookup_shared_customer(p_phone);
        if p.id is null then
            return null;
        end if;
    end if;
    return json_build_object(
        'customer', p.customer,
        'open_orders', p.open_orders,
        'balance', p.balance,
        'sales_last_12_months', p.sales_last_12_months,
        'last_contacts', p.last_contacts,
        'last_quotes', p.last_quotes,
        'open_cases', p.open_cases,
        'upcoming_tasks', p.upcoming_tasks,
        'tier', p.tier,
        'preferences', p.preferences,
        'shared', case when p.shared_with_unit then crm.shared_customer_json(p.tenant_id, p.id, p.phones, p.emails)
                       else crm.shared_customer_none() end);
end $$;

grant execute on function crm.lookup_parts(uuid, bigint) to crm_unit, crm_viewer, crm_lookup;
grant execute on function crm.merge_customers(bigint, bigint), crm.lookup_customer(text), crm.lookup_shared_customer(text)
    to crm_unit;
-- What crm_lookup runs: the lookup's statement, the view and the functions they call.
grant execute on function crm.current_tenant(), crm.tenant_of_slug_setting(), crm.normalize_phone(text, text),
    crm.phone_rule(text), crm.phone_code_length(text), crm.split_phone_extension(text), crm.phone_length_check(text, int[]),
    crm.strip_national_prefix(text, crm.phone_numbering),
    crm.customer_json(crm.customer), crm.customer_capture_phase(crm.customer), crm.unit_slug(uuid) to crm_lookup;

-- Handed to the narrow role as the migrating superuser (its new owner may not create in the schema).
reset role;
alter function crm.lookup_own_customer(text) owner to crm_lookup;
grant execute on function crm.lookup_own_customer(text) to crm_unit;
