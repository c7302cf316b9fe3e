-- segments.*, campaigns.set_audience / audience and reports.segment_size
-- (Sources/CRMServer/Methods/Segments+RPC.swift declares them): a unit's saved segments of its
-- customers (rules checked and compiled by 45_segments_rules.sql), their members, a campaign's
-- audience drawn from one with each channel's consent, and their size per day. Writes are audited.
set local role crm_owner;

create or replace function crm.segment_json(s crm.segment) returns json language sql stable
    return json_build_object('id', s.id::text, 'name', s.name, 'description', s.description, 'rules', s.rules,
                             'task_rule', s.task_rule, 'version', s.version, 'created_at', s.created_at, 'updated_at', s.updated_at,
                             'last_size', (select json_build_object('day', z.day, 'members', z.members) from crm.segment_size z
                                            where z.tenant_id = s.tenant_id and z.segment_id = s.id order by z.day desc limit 1));

create or replace function crm.segment_audit(p_id bigint, p_action text, p_detail jsonb) returns void language sql as $$
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), p_action, 'segment', p_id::text,
            p_detail || jsonb_build_object('app_role', crm.current_app_role()))
$$;

create or replace function api.segments_create(name text, description text, rules jsonb, task_rule jsonb) returns json
    language plpgsql as $$
declare
    s crm.segment;
begin
    perform crm.segment_compile(rules);
    insert into crm.segment (tenant_id, name, description, rules, task_rule, created_by)
    values (crm.current_tenant(), btrim(segments_create.name), segments_create.description, segments_create.rules,
            crm.check_segment_task_rule(segments_create.task_rule), crm.current_principal())
    returning * into s;
    perform crm.segment_audit(s.id, 'create', jsonb_build_object('name', s.name, 'rules', s.rules, 'task_rule', s.task_rule));
    return crm.segment_json(s);
end $$;

-- Changes the fields present in params (a stale version is CR409); description and task_rule
-- given as null are cleared.
create or replace function api.segments_update(params jsonb) returns json
    language plpgsql as $$
declare
    p jsonb := params;
    s crm.segment;
begin
    select * into s from crm.segment x where x.tenant_id = (select crm.current_tenant()) and x.id = (p->>'id')::bigint for update;
    if not found then
        raise exception 'segment % not found', p->>'id' using errcode = 'CR404', detail = 'field=id';
    end if;
    if p ? 'version' and (p->>'version')::int <> s.version then
        raise exception 'conflict: segment % is at version %', s.id, s.version using errcode = 'CR409', detail = 'field=version', hint = 'stale_version';
    end if;
    if p ? 'rules' then
        perform crm.segment_compile(p->'rules');
    end if;
    update crm.segment x set
        name = case when p ? 'name' then btrim(p->>'name') else x.name end,
        description = case when p ? 'description' then p->>'description' else x.description end,
        rules = case when p ? 'rules' then p->'rules' else x.rules end,
        task_rule = case when p ? 'task_rule' then crm.check_segment_task_rule(p->'task_rule') else x.task_rule end,
        version = x.version + 1, updated_at = now()
     where x.tenant_id = s.tenant_id and x.id = s.id
    returning * into s;
    perform crm.segment_audit(s.id, 'update', p - 'id' - 'version');
    return crm.segment_json(s);
end $$;

create or replace function api.segments_get(id bigint) returns json
    language sql stable
    return (select crm.segment_json(s) from crm.segment s where s.tenant_id = (select crm.current_tenant()) and s.id = segments_get.id);

create or replace function api.segments_list(after bigint, lim int) returns table (key text, json text)
    language sql stable as $$
    select s.id::text, crm.segment_json(s)::text from crm.segment s
     where s.tenant_id = (select crm.current_tenant()) and s.id > after order by s.id limit lim
$$;

create or replace function api.segments_delete(id bigint) returns json
    language plpgsql as $$
declare
    s crm.segment;
begin
    delete from crm.segment x where x.tenant_id = (select crm.current_tenant()) and x.id = segments_delete.id returning * into s;
    if not found then
        raise exception 'segment % not found', segments_delete.id using errcode = 'CR404', detail = 'field=id';
    end if;
    perform crm.segment_audit(s.id, 'delete', jsonb_build_object('name', s.name, 'rules', s.rules));
    return json_build_object('id', s.id::text, 'deleted', true);
end $$;

-- A saved segment's (id) or unsaved rules' count and first members.
create or replace function api.segments_preview(id bigint, rules jsonb, sample int) returns json
    language plpgsql stable as $$
begin
    if (segments_preview.id is null) = (segments_preview.rules is null) then
        raise exception 'invalid params: give either id or rules' using errcode = 'CR422', detail = 'field=rules', hint = 'id_or_rules';
    end if;
    return crm.segment_preview(coalesce(segments_preview.rules, crm.segment_rules(segments_preview.id)), coalesce(sample, 20));
end $$;

create or replace function api.segments_members(id bigint, channel text, after bigint, lim int) returns table (key text, json text)
    language sql stable as $$
    select c.id::text, crm.segment_member_json(c)::text
      from crm.segment_member_ids(crm.segment_rules(segments_members.id), after, lim, segments_members.channel) m(id)
      join crm.customer c on c.tenant_id = (select crm.current_tenant()) and c.id = m.id
     order by c.id
$$;

-- A campaign's audience: one of the unit's segments, or none (segment_id null).
create or replace function api.campaigns_set_audience(campaign_id bigint, segment_id bigint) returns json
    language plpgsql as $$
begin
    if segment_id is not null then
        perform crm.segment_rules(segment_id, 'segment_id');
    end if;
    update crm.campaign c set segment_id = campaigns_set_audience.segment_id, version = c.version + 1, updated_at = now()
     where c.tenant_id = (select crm.current_tenant()) and c.id = campaign_id;
    if not found then
        raise exception 'campaign % not found', campaign_id using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    perform crm.campaign_audit(campaign_id, 'set_audience', jsonb_build_object('segment_id', segment_id::text));
    return crm.campaign_json(campaign_id);
end $$;

-- The campaign's list for one channel: its segment's members who accept the channel and can be
-- reached on it (a mailing list for email or mail, a call list for phone). With create_tasks
-- (phone only) every one of them gets a call task for the campaign, once.
create or replace function api.campaigns_audience(campaign_id bigint, channel text, create_tasks boolean, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql as $$
declare
    v_segment bigint;
begin
    select c.segment_id into v_segment from crm.campaign c where c.tenant_id = (select crm.current_tenant()) and c.id = campaign_id;
    if not found then
        raise exception 'campaign % not found', campaign_id using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    if v_segment is null then
        raise exception 'campaign % has no audience: set one with campaigns.set_audience', campaign_id
            using errcode = 'CR404', detail = 'field=campaign_id', hint = 'no_audience';
    end if;
    if coalesce(create_tasks, false) then
        if channel <> 'phone' then
            raise exception 'invalid params: create_tasks makes call tasks and needs channel phone' using errcode = 'CR422',
                detail = 'field=create_tasks', hint = 'phone_only';
        end if;
        insert into crm.task (tenant_id, kind, customer_id, due_at, note, rule_key)
        select crm.current_tenant(), 'call', m.id, now(), 'Campaign ' || campaign_id || ': call',
               'campaign:' || campaign_id || ':audience:' || m.id
          from crm.segment_member_ids(crm.segment_rules(v_segment), null, null, 'phone') m(id)
        on conflict (tenant_id, rule_key) do nothing;
    end if;
    return query
    select c.id::text,
           json_build_object('customer_id', c.id::text, 'name', c.name, 'channel', channel,
                             'contact', case channel when 'email' then to_json(c.emails[1]) when 'mail' then to_json(c.address)
                                                     else to_json(c.phones[1]) end,
                             'task_id', t.id::text)::text
      from crm.segment_member_ids(crm.segment_rules(v_segment), after, lim, channel) m(id)
      join crm.customer c on c.tenant_id = (select crm.current_tenant()) and c.id = m.id
      left join crm.task t on t.tenant_id = c.tenant_id and t.rule_key = 'campaign:' || campaign_id || ':audience:' || c.id
     order by c.id;
end $$;

-- Segment sizes per day, oldest first, for one segment or all; since a day.
create or replace function api.reports_segment_size(segment_id bigint, since date, after text, lim int) returns table (key text, json text)
    language sql stable as $$
    select r.day::text || '|' || lpad(r.segment_id::text, 18, '0'),
           (to_jsonb(r) || jsonb_build_object('segment_id', r.segment_id::text))::text
      from report.segment_size r
     where (reports_segment_size.segment_id is null or r.segment_id = reports_segment_size.segment_id)
       and (since is null or r.day >= since)
       and (after is null or r.day::text || '|' || lpad(r.segment_id::text, 18, '0') > after)
     order by r.day, r.segment_id
     limit lim
$$;

grant execute on function crm.segment_json(crm.segment), api.segments_get(bigint), api.segments_list(bigint, int),
    api.segments_preview(bigint, jsonb, int), api.segments_members(bigint, text, bigint, int),
    api.reports_segment_size(bigint, date, text, int) to crm_unit, crm_viewer;
grant execute on function crm.segment_audit(bigint, text, jsonb), api.segments_create(text, text, jsonb, jsonb),
    api.segments_update(jsonb), api.segments_delete(bigint), api.campaigns_set_audience(bigint, bigint),
    api.campaigns_audience(bigint, text, boolean, bigint, int) to crm_unit;
