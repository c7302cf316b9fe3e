-- Service cases and loyalty tasks: writes as functions, JSON built here.
set local role crm_owner;

create or replace function crm.case_json(p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', c.id::text, 'customer_id', c.customer_id::text, 'category', c.category, 'priority', c.priority,
            'status', c.status, 'subject', c.subject, 'description', c.description, 'order_id', c.order_id::text,
            'product_id', c.product_id::text, 'assigned_to', c.assigned_to::text, 'opened_at', c.opened_at, 'sla_due_at', c.sla_due_at,
            'first_response_at', c.first_response_at, 'resolved_at', c.resolved_at, 'resolution', c.resolution, 'repair_cost', c.repair_cost, 'version', c.version,
            'minutes_to_first_response', round(extract(epoch from c.first_response_at - c.opened_at) / 60),
            'minutes_to_resolution', round(extract(epoch from c.resolved_at - c.opened_at) / 60),
            'history', (select json_agg(json_build_object('status', h.status, 'at', h.at, 'note', h.note) order by h.at, h.id)
                          from crm.case_status_history h where h.tenant_id = c.tenant_id and h.case_id = c.id))
          from crm.service_case c where c.tenant_id = (select crm.current_tenant()) and c.id = p_id);
end $$;

create or replace function crm.open_case(p jsonb) returns json language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v bigint;
    v_priority text := coalesce(p->>'priority', 'normal');
    v_hours numeric := coalesce((select (t.settings #>> array['sla_hours', v_priority])::numeric from crm.tenant t where t.id = v_tenant),
                                case v_priority when 'urgent' then 4 when 'high' then 24 when 'normal' then 72 else 168 end);
begin
    if not exists (select 1 from crm.customer where tenant_id = v_tenant and id = (p->>'customer_id')::bigint) then
        raise exception 'customer % not found', p->>'customer_id' using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    insert into crm.service_case (tenant_id, customer_id, category, priority, subject, description, order_id, product_id,
                                  assigned_to, opened_at, sla_due_at, repair_cost)
    values (v_tenant, (p->>'customer_id')::bigint, p->>'category', v_priority, p->>'subject', p->>'description',
            (p->>'order_id')::bigint, (p->>'product_id')::bigint, (p->>'assigned_to')::bigint,
            coalesce((p->>'opened_at')::timestamptz, now()),
            coalesce((p->>'opened_at')::timestamptz, now()) + make_interval(secs => v_hours * 3600),
            (p->>'repair_cost')::numeric)
    returning id into v;
    insert into crm.case_status_history (tenant_id, case_id, status, by_principal) values (v_tenant, v, 'open', crm.current_principal());
    return crm.case_json(v);
end $$;

-- update / assign / resolve: any change after opening is the first response. p_repair_cost (0041)
-- sets what repairing the product cost; the seven-argument form it replaced is dropped, so there
-- is one definition.
drop function if exists crm.change_case(bigint, int, text, bigint, text, text, text);
create or replace function crm.change_case(p_id bigint, p_version int, p_status text, p_assigned_to bigint,
                                           p_priority text, p_resolution text, p_note text,
                                           p_repair_cost numeric default null) returns json
    language plpgsql as $$
declare
    c crm.service_case;
begin
    select * into c from crm.service_case where tenant_id = (select crm.current_tenant()) and id = p_id for update;
    if not found then
        raise exception 'case % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if p_version is not null and c.version <> p_version then
        raise exception 'conflict: case % was changed since version %', p_id, p_version
            using errcode = 'CR409', detail = 'field=version', hint = 'stale_version';
    end if;
    if c.status in ('resolved', 'closed') and coalesce(p_status, c.status) not in ('closed', 'open') then
        raise exception 'conflict: case % is %', p_id, c.status using errcode = 'CR409', detail = 'field=status';
    end if;
    if p_assigned_to is not null and not exists (select 1 from crm.staff where tenant_id = c.tenant_id and id = p_assigned_to) then
        raise exception 'staff member % not found', p_assigned_to using errcode = 'CR404', detail = 'field=assigned_to';
    end if;
    update crm.service_case set
        status = coalesce(p_status, status),
        assigned_to = coalesce(p_assigned_to, assigned_to),
        priority = coalesce(p_priority, priority),
        resolution = coalesce(p_resolution, resolution),
        repair_cost = coalesce(p_repair_cost, repair_cost),
        first_response_at = coalesce(first_response_at, now()),
        resolved_at = case when p_status = 'resolved' then now() when p_status = 'open' then null else resolved_at end,
        version = version + 1
     where tenant_id = c.tenant_id and id = c.id;
    if p_status is not null and p_status <> c.status or p_note is not null then
        insert into crm.case_status_history (tenant_id, case_id, status, by_principal, note)
        values (c.tenant_id, c.id, coalesce(p_status, c.status), crm.current_principal(), p_note);
    end if;
    return crm.case_json(c.id);
end $$;

-- Task rules, idempotent through rule_key; run by the server on a schedule for each unit.
-- Settings: care_call_days (30), holidays [{"date": "YYYY-MM-DD", "name": ...}], greeting_days_before (7),
-- visit_weeks_top_tier (8), for the tier-A customers of crm.customer_tier_snapshot; then each segment's task rule
-- (crm.run_segment_task_rules). Returns the number of tasks created.
create or replace function crm.run_task_rules(p_now timestamptz default now()) returns int language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    s jsonb := (select t.settings from crm.tenant t where t.id = v_tenant);
    v_days int := coalesce((s->>'care_call_days')::int, 30);
    v_before int := coalesce((s->>'greeting_days_before')::int, 7);
    v_weeks int := coalesce((s->>'visit_weeks_top_tier')::int, 8);
    n int;
    total int := 0;
begin
    -- Consent per channel (crm.may_contact, 46_customer_privacy.sql): only a customer's explicit yes.
    -- A care call v_days after each sale, for customers who accept phone contact.
    insert into crm.task (tenant_id, kind, customer_id, owner_id, due_at, note, rule_key)
    select v_tenant, 'care_call', o.customer_id, o.staff_id, o.ordered_at + make_interval(days => v_days),
           'care call after order ' || o.id, 'care:' || o.id
      from crm.sales_order o join crm.customer c on c.tenant_id = o.tenant_id and c.id = o.customer_id
     where o.tenant_id = v_tenant and crm.is_sale(o.status)
       and o.ordered_at + make_interval(days => v_days) between p_now - interval '7 days' and p_now + interval '1 day'
       and crm.may_contact(c.consent, 'phone')
    on conflict (tenant_id, rule_key) do nothing;
    get diagnostics n = row_count;
    total := total + n;
    -- A greeting before each holiday, for customers who accept email or mail.
    insert into crm.task (tenant_id, kind, customer_id, due_at, note, rule_key)
    select v_tenant, 'greeting', c.id, (h->>'date')::date - v_before, 'greeting: ' || (h->>'name'),
           'greet:' || (h->>'date') || ':' || c.id
      from jsonb_array_elements(coalesce(s->'holidays', '[]')) h
      join crm.customer c on c.tenant_id = v_tenant and c.merged_into is null
     where (h->>'date')::date between p_now::date and p_now::date + v_before
       and (crm.may_contact(c.consent, 'email') or crm.may_contact(c.consent, 'mail'))
    on conflict (tenant_id, rule_key) do nothing;
    get diagnostics n = row_count;
    total := total + n;
    -- A visit every v_weeks weeks for this year's tier-A customers who accept visits.
    insert into crm.task (tenant_id, kind, customer_id, due_at, note, rule_key)
    select v_tenant, 'visit', r.customer_id, p_now, 'visit for a top-tier customer',
           'visit:' || r.customer_id || ':' || floor(extract(epoch from p_now) / (v_weeks * 7 * 86400))::bigint
      from crm.customer_tier_snapshot r join crm.customer c on c.tenant_id = r.tenant_id and c.id = r.customer_id
     where r.tenant_id = v_tenant and r.year = extract(year from p_now)::int and r.tier = 'A'
       and crm.may_contact(c.consent, 'visit')
    on conflict (tenant_id, rule_key) do nothing;
    get diagnostics n = row_count;
    -- The task rules of the unit's segments (45_segments_members.sql).
    return total + n + crm.run_segment_task_rules(p_now);
end $$;

grant execute on function crm.case_json(bigint), crm.open_case(jsonb), crm.change_case(bigint, int, text, bigint, text, text, text, numeric),
    crm.run_task_rules(timestamptz) to crm_unit;
