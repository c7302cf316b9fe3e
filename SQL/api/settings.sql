-- settings.* (Sources/CRMServer/Methods/Settings+RPC.swift declares them): the unit's settings
-- (SQL/repeatable/12_unit_settings.sql checks, stores and audits them).
set local role crm_owner;

create or replace function api.settings_get() returns json
    language plpgsql stable as $$
begin
    return crm.settings_json();
end $$;

-- The params as one object: a setting given as null (reset to the default) differs from one
-- left out (unchanged).
create or replace function api.settings_update(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.update_settings(params);
end $$;

grant execute on function api.settings_get(), api.settings_update(jsonb) to crm_unit;
