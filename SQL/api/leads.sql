-- leads.* and quotes.* (Sources/CRMServer/Methods/Leads+RPC.swift declares them): prospects from
-- campaign lists, assigned by rule, qualified and converted; quotes that become orders attributed
-- to their campaign. The work is in 51_leads_api.sql and 22_orders_api.sql.
set local role crm_owner;

-- leads.create takes its params as one object, as crm.create_lead does.
create or replace function api.leads_create(params jsonb) returns json
    language plpgsql as $$
begin
    if params->>'email' is null and params->>'phone' is null then
        raise exception 'invalid params: email: a lead needs an email or a phone' using errcode = 'CR422', detail = 'field=email',
            hint = 'a lead needs an email or a phone';
    end if;
    return crm.create_lead(params);
end $$;

create or replace function api.leads_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return crm.lead_json(id);
end $$;

create or replace function api.leads_list(campaign_id bigint, status text, assigned_staff_id bigint, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select l.id::text, crm.lead_json(l.id)::text
      from crm.lead l
     where l.tenant_id = (select crm.current_tenant()) and l.id > after
       and (leads_list.campaign_id is null or l.campaign_id = leads_list.campaign_id)
       and (leads_list.status is null or l.status = leads_list.status)
       and (leads_list.assigned_staff_id is null or l.assigned_staff_id = leads_list.assigned_staff_id)
     order by l.id
     limit lim;
end $$;

create or replace function api.leads_assign(campaign_id bigint, rule text, staff_ids jsonb, reassign boolean) returns json
    language plpgsql as $$
begin
    return json_build_object('assigned', crm.assign_leads(campaign_id, rule,
        (select array_agg(x::bigint) from jsonb_array_elements_text(staff_ids) x), coalesce(reassign, false)));
end $$;

create or replace function api.leads_qualify(id bigint, version int, status text, score int) returns json
    language plpgsql as $$
begin
    return crm.qualify_lead(id, version, status, score);
end $$;

create or replace function api.leads_convert(id bigint) returns json
    language plpgsql as $$
begin
    if crm.convert_lead(id) is not null then
        return crm.lead_json(id);
    end if;
    return null;
end $$;

create or replace function api.quotes_create(customer_id bigint, lead_id bigint, campaign_id bigint, staff_id bigint, lines jsonb,
                                             idempotency_key text) returns json
    language plpgsql as $$
begin
    if jsonb_typeof(lines) is distinct from 'array' or jsonb_array_length(lines) = 0 then
        raise exception 'invalid params: lines needs at least one line' using errcode = 'CR422', detail = 'field=lines',
            hint = 'needs at least one line';
    end if;
    if customer_id is null and lead_id is null then
        raise exception 'invalid params: customer_id: give customer_id or lead_id' using errcode = 'CR422', detail = 'field=customer_id',
            hint = 'give customer_id or lead_id';
    end if;
    return crm.order_json(crm.create_quote(customer_id, lead_id, campaign_id, staff_id, lines, idempotency_key));
end $$;

create or replace function api.quotes_accept(id bigint) returns json
    language plpgsql as $$
begin
    return crm.order_json(crm.accept_quote(id));
end $$;

grant execute on function api.leads_get(bigint), api.leads_list(bigint, text, bigint, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.leads_create(jsonb), api.leads_assign(bigint, text, jsonb, boolean), api.leads_qualify(bigint, int, text, int),
    api.leads_convert(bigint), api.quotes_create(bigint, bigint, bigint, bigint, jsonb, text), api.quotes_accept(bigint) to crm_unit;
