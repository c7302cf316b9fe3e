-- cases.* (Sources/CRMServer/Methods/Cases+RPC.swift declares them): service cases with SLA due
-- times from the unit's settings; crm.open_case and crm.change_case (25_cases_tasks_api.sql) do
-- the work.
set local role crm_owner;

-- cases.open takes its params as one object, as crm.open_case does.
create or replace function api.cases_open(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.open_case(params);
end $$;

create or replace function api.cases_update(id bigint, version int, status text, priority text, note text, repair_cost numeric)
    returns json
    language plpgsql as $$
begin
    return crm.change_case(id, version, status, null, priority, null, note, repair_cost);
end $$;

create or replace function api.cases_assign(id bigint, version int, assigned_to bigint, note text) returns json
    language plpgsql as $$
begin
    return crm.change_case(id, version, null, assigned_to, null, null, note, null);
end $$;

create or replace function api.cases_resolve(id bigint, version int, resolution text, note text, repair_cost numeric) returns json
    language plpgsql as $$
begin
    return crm.change_case(id, version, 'resolved', null, null, resolution, note, repair_cost);
end $$;

-- Open cases by default (not resolved or closed), by id.
create or replace function api.cases_list(customer_id bigint, assigned_to bigint, status text, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select c.id::text, crm.case_json(c.id)::text
      from crm.service_case c
     where c.tenant_id = (select crm.current_tenant()) and c.id > after
       and (cases_list.customer_id is null or c.customer_id = cases_list.customer_id)
       and (cases_list.assigned_to is null or c.assigned_to = cases_list.assigned_to)
       and case when cases_list.status is null then c.status not in ('resolved', 'closed') else c.status = cases_list.status end
     order by c.id
     limit lim;
end $$;

grant execute on function api.cases_list(bigint, bigint, text, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.cases_open(jsonb),
    api.cases_update(bigint, int, text, text, text, numeric), api.cases_assign(bigint, int, bigint, text),
    api.cases_resolve(bigint, int, text, text, numeric) to crm_unit;
