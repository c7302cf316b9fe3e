-- tasks.*, surveys.record (Sources/CRMServer/Methods/Loyalty+RPC.swift declares them): the loyalty
-- work of a unit.
set local role crm_owner;

create or replace function crm.task_json(t crm.task) returns json
    language sql immutable
    return json_build_object('id', t.id::text, 'kind', t.kind, 'customer_id', t.customer_id::text, 'owner_id', t.owner_id::text,
                             'due_at', t.due_at, 'done_at', t.done_at, 'note', t.note, 'rule', split_part(t.rule_key, ':', 1));

create or replace function api.tasks_schedule(kind text, customer_id bigint, owner_id bigint, due_at timestamptz, note text) returns json
    language plpgsql as $$
declare
    t crm.task;
begin
    insert into crm.task (tenant_id, kind, customer_id, owner_id, due_at, note)
    values (crm.current_tenant(), tasks_schedule.kind, tasks_schedule.customer_id, tasks_schedule.owner_id, tasks_schedule.due_at,
            tasks_schedule.note)
    returning * into t;
    return crm.task_json(t);
end $$;

create or replace function api.tasks_complete(id bigint, note text) returns json
    language plpgsql as $$
declare
    t crm.task;
begin
    update crm.task x set done_at = coalesce(x.done_at, now()), note = coalesce(tasks_complete.note, x.note)
     where x.tenant_id = (select crm.current_tenant()) and x.id = tasks_complete.id
    returning * into t;
    if not found then
        raise exception 'task % not found', tasks_complete.id using errcode = 'CR404', detail = 'field=id';
    end if;
    return crm.task_json(t);
end $$;

-- Soonest first; the key is the due time (UTC, to the microsecond) and the id, so it sorts as text.
create or replace function api.tasks_list_due(before timestamptz, owner_id bigint, after text, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select k.key, crm.task_json(t)::text
      from crm.task t,
           lateral (select to_char(t.due_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || lpad(t.id::text, 19, '0') as key) k
     where t.tenant_id = (select crm.current_tenant()) and t.done_at is null
       and t.due_at < coalesce(before, date_trunc('day', now()) + interval '1 day')
       and (tasks_list_due.owner_id is null or t.owner_id = tasks_list_due.owner_id)
       and k.key > coalesce(after, '')
     order by k.key
     limit lim;
end $$;

create or replace function api.tasks_run_rules() returns json
    language plpgsql as $$
begin
    return json_build_object('tiers', crm.keep_customer_tiers(), 'created', crm.run_task_rules());
end $$;

create or replace function api.surveys_record(customer_id bigint, product_id bigint, service text, score int, would_recommend boolean,
                                              comment text, responded_at timestamptz) returns json
    language plpgsql as $$
declare
    s crm.survey_response;
begin
    insert into crm.survey_response (tenant_id, customer_id, product_id, service, score, would_recommend, comment, responded_at)
    values (crm.current_tenant(), surveys_record.customer_id, surveys_record.product_id, surveys_record.service, surveys_record.score,
            surveys_record.would_recommend, surveys_record.comment, coalesce(surveys_record.responded_at, now()))
    returning * into s;
    return json_build_object('id', s.id::text, 'customer_id', s.customer_id::text, 'product_id', s.product_id::text,
                             'score', s.score, 'would_recommend', s.would_recommend);
end $$;

grant execute on function crm.task_json(crm.task), api.tasks_list_due(timestamptz, bigint, text, int) to crm_unit, crm_viewer;
grant execute on function api.tasks_schedule(text, bigint, bigint, timestamptz, text), api.tasks_complete(bigint, text),
    api.tasks_run_rules(), api.surveys_record(bigint, bigint, text, int, boolean, text, timestamptz) to crm_unit;
