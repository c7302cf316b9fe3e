-- staff.create, staff.list (Sources/CRMServer/Methods/Staff+RPC.swift declares them).
set local role crm_owner;

create or replace function crm.staff_json(s crm.staff) returns json
    language sql immutable
    return json_build_object('id', s.id::text, 'name', s.name, 'email', s.email, 'team', s.team, 'region', s.region, 'active', s.active);

create or replace function api.staff_create(name text, email text, team text, region text) returns json
    language plpgsql as $$
declare
    s crm.staff;
begin
    insert into crm.staff (tenant_id, name, email, team, region)
    values ((select crm.current_tenant()), staff_create.name, staff_create.email, staff_create.team, staff_create.region)
    returning * into s;
    return crm.staff_json(s);
end $$;

create or replace function api.staff_list(team text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select s.id::text, crm.staff_json(s)::text
      from crm.staff s
     where s.id > after and (staff_list.team is null or s.team = staff_list.team)
     order by s.id
     limit lim;
end $$;

grant execute on function crm.staff_json(crm.staff), api.staff_list(text, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.staff_create(text, text, text, text) to crm_unit;
