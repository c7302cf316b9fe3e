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

-- Who is calling: everything at hand for a phone number in any common format, in one statement.

-- The number is computed in a scalar subquery: under row-level security only a leakproof
-- condition may use an index ahead of the policies, and the planner cannot tell that of an
-- expression holding COALESCE, so `value = normalize_phone(...)` read every phone of the
-- table (3.6 s at a million customers). A scalar subquery is a parameter, `value = $1` is
-- leakproof, and the contact index serves it.
-- PL/pgSQL keeps the plan of this statement for the session (forced generic: the phone only
-- feeds an index condition). As a SQL function it was planned on every call: 4 ms of a 5 ms lookup.
-- Issue 16: everything is built in this one statement, so that the kept plan covers all of it
-- (crm.customer_json keeps its own plan; crm.customer_balance, a SQL function with sub-selects
-- that would be planned on every call, is written out). The caller's unit is always
-- `(select crm.current_tenant())`, an init plan computed once.
create or replace function crm.lookup_customer(p_phone text) returns json
    language plpgsql stable set plan_cache_mode = force_generic_plan as $$
begin
    return (
        with hit as (
            select k.tenant_id, k.customer_id from crm.customer_contact k
             where k.kind = 'phone'
               and k.value = (select crm.normalize_phone(p_phone, coalesce((select t.settings->>'default_country_code'
                                       from crm.tenant t where t.id = (select crm.current_tenant())), '49')))
             order by (k.tenant_id = (select crm.current_tenant())) desc, k.customer_id
             limit 1),
        c as (
            select c as customer, c.* from hit join crm.customer c on c.tenant_id = hit.tenant_id and c.id = hit.customer_id)
        select json_build_object(
            'customer', crm.customer_json(c.customer),
            'open_orders', coalesce((select json_agg(json_build_object('id', o.id::text, 'status', o.status, 'ordered_at', o.ordered_at,
                                  'total', (select sum(l.quantity * l.unit_price)::numeric(14,2)::text from crm.order_line l
                                             where l.tenant_id = o.tenant_id and l.order_id = o.id)) order by o.ordered_at desc)
                              from crm.sales_order o where o.tenant_id = c.tenant_id and o.customer_id = c.id
                               and o.status in ('quoted', 'confirmed', 'shipped')), '[]'::json),
            -- crm.customer_balance(c.tenant_id, c.id), written out.
            'balance', (coalesce((select sum(v.amount) from crm.invoice v where v.tenant_id = c.tenant_id and v.customer_id = c.id), 0)
                        - coalesce((select sum(p.amount) from crm.payment p where p.tenant_id = c.tenant_id and p.customer_id = c.id), 0)
                       )::numeric(14,2)::text,
            'sales_last_12_months', (select coalesce(sum(s.revenue), 0)::numeric(14,2)::text from crm.customer_month_summary s
                                      where s.tenant_id = c.tenant_id and s.customer_id = c.id
                                        and s.month >= date_trunc('month', now() - interval '11 months')),
            'last_contacts', coalesce((select json_agg(json_build_object('id', i.id::text, 'channel', i.channel, 'direction', i.direction,
                                      'occurred_at', i.occurred_at, 'outcome', i.outcome, 'summary', i.summary))
                                  from (select * from crm.interaction i where i.tenant_id = c.tenant_id and i.customer_id = c.id
                                         order by i.occurred_at desc limit 5) i), '[]'::json),
            'last_quotes', coalesce((select json_agg(json_build_object('product_id', q.product_id::text, 'price', q.price::text,
                                      'quoted_at', q.quoted_at) order by q.product_id)
                                  from (select distinct on (q.product_id) q.* from crm.quoted_price q
                                         where q.tenant_id = c.tenant_id and q.customer_id = c.id
                                         order by q.product_id, q.quoted_at desc, q.id desc) q), '[]'::json),
            'open_cases', coalesce((select json_agg(json_build_object('id', k.id::text, 'category', k.category, 'priority', k.priority,
                                      'status', k.status, 'subject', k.subject, 'sla_due_at', k.sla_due_at) order by k.sla_due_at)
                                  from crm.service_case k where k.tenant_id = c.tenant_id and k.customer_id = c.id
                                   and k.status not in ('resolved', 'closed')), '[]'::json),
            'upcoming_tasks', coalesce((select json_agg(json_build_object('id', t.id::text, 'kind', t.kind, 'due_at', t.due_at, 'note', t.note))
                                  from (select * from crm.task t where t.tenant_id = c.tenant_id and t.customer_id = c.id and t.done_at is null
                                         order by t.due_at limit 5) t), '[]'::json),
            'tier', (select s.tier from crm.customer_tier_snapshot s where s.tenant_id = c.tenant_id and s.customer_id = c.id
                      and s.year = extract(year from now())::int),
            'preferences', c.preferences,
            -- The same guest in the units sharing with this one (17_shared_reads.sql), each item
            -- naming its unit; only when some unit shares with this one, a guard computed once.
            'shared', case when (select exists (select 1 from crm.customer_share s where s.shared_with = (select crm.current_tenant())
                                                                  and s.revoked_at is null))
                           then crm.shared_customer_json(c.tenant_id, c.id, c.phones, c.emails)
                           else crm.shared_customer_none() end)
          from c);
end $$;

grant execute on function crm.merge_customers(bigint, bigint), crm.lookup_customer(text) to crm_unit;
