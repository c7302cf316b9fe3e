-- interactions.log, interactions.list, calls.record (Sources/CRMServer/Methods/Interactions+RPC.swift).
set local role crm_owner;

-- interactions.log takes its params as one object, as crm.log_interaction does.
create or replace function api.interactions_log(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.log_interaction(params);
end $$;

create or replace function api.interactions_list(customer_id bigint, channel text, after_at timestamptz, after_id bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select i.occurred_at::text || '|' || i.id, crm.interaction_json(i.id)::text
      from crm.interaction i
     where i.tenant_id = any(crm.visible_tenants()) and i.customer_id = interactions_list.customer_id
       and (after_at is null or (i.occurred_at, i.id) < (after_at, after_id))
       and (interactions_list.channel is null or i.channel = interactions_list.channel)
     order by i.occurred_at desc, i.id desc
     limit lim;
end $$;

create or replace function api.calls_record(customer_id bigint, phone text, answered_by bigint, wait_seconds int, abandoned boolean,
                                            duration_seconds int, reason text, started_at timestamptz) returns json
    language plpgsql as $$
declare
    c crm.call_record;
begin
    insert into crm.call_record (tenant_id, customer_id, phone, answered_by, wait_seconds, abandoned, reason, started_at, duration_seconds)
    values (crm.current_tenant(), calls_record.customer_id, crm.normalize_unit_phone(calls_record.phone), calls_record.answered_by,
            calls_record.wait_seconds, coalesce(calls_record.abandoned, false), calls_record.reason,
            coalesce(calls_record.started_at, now()), coalesce(calls_record.duration_seconds, 0))
    returning * into c;
    return json_build_object('id', c.id::text, 'customer_id', c.customer_id::text, 'reason', c.reason, 'abandoned', c.abandoned,
                             'wait_seconds', c.wait_seconds, 'started_at', c.started_at);
end $$;

grant execute on function api.interactions_list(bigint, text, timestamptz, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.interactions_log(jsonb),
    api.calls_record(bigint, text, bigint, int, boolean, int, text, timestamptz) to crm_unit;
