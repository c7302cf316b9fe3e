-- campaigns.* (Sources/CRMServer/Methods/Campaigns+RPC.swift declares them); the rules live in
-- 50_campaigns_api.sql and 51_leads_api.sql. (campaigns.import_leads streams its CSV through COPY
-- in the server and calls crm.import_leads.)
set local role crm_owner;

create or replace function api.campaigns_create(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.create_campaign(params);
end $$;

create or replace function api.campaigns_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return crm.campaign_json(id);
end $$;

create or replace function api.campaigns_list(status text, after_at timestamptz, after_id bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select c.created_at::text || '|' || c.id, crm.campaign_json(c.id)::text
      from crm.campaign c
     where c.tenant_id = (select crm.current_tenant())
       and (after_at is null or (c.created_at, c.id) < (after_at, after_id))
       and (campaigns_list.status is null or c.status = campaigns_list.status)
     order by c.created_at desc, c.id desc
     limit lim;
end $$;

-- The given fields change (a field left out stays); `version`, when given, must be current.
create or replace function api.campaigns_update(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.update_campaign((params->>'id')::bigint, (params->>'version')::int, params - 'id' - 'version');
end $$;

create or replace function api.campaigns_upload_asset(campaign_id bigint, name text, file_ref text) returns json
    language plpgsql as $$
begin
    return crm.add_campaign_asset(campaign_id, name, file_ref);
end $$;

create or replace function api.campaigns_approve(campaign_id bigint, asset_id bigint, comment text) returns json
    language plpgsql as $$
begin
    return crm.decide_campaign(campaign_id, asset_id, 'approved', comment);
end $$;

create or replace function api.campaigns_reject(campaign_id bigint, asset_id bigint, comment text) returns json
    language plpgsql as $$
begin
    return crm.decide_campaign(campaign_id, asset_id, 'rejected', comment);
end $$;

create or replace function api.campaigns_record_cost(campaign_id bigint, category text, amount numeric, channel text, incurred_on date,
                                                     note text, idempotency_key text) returns json
    language plpgsql as $$
begin
    return crm.record_campaign_cost(campaign_id, channel, category, amount, incurred_on, note, idempotency_key);
end $$;

create or replace function api.campaigns_call_list(campaign_id bigint, product_id bigint, days_after int, window_days int,
                                                   campaign_orders_only boolean, create_tasks boolean, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql as $$
begin
    return query
    select r.customer_id::text,
           json_build_object('customer_id', r.customer_id::text, 'name', r.name, 'phone', r.phone, 'bought_at', r.bought_at,
                             'task_id', r.task_id::text, 'suggestions', r.suggestions)::text
      from crm.campaign_call_list(campaign_id, product_id, days_after, coalesce(window_days, 30), coalesce(campaign_orders_only, false),
                                  coalesce(create_tasks, true)) r
     where r.customer_id > after
     order by r.customer_id
     limit lim;
end $$;

grant execute on function api.campaigns_get(bigint), api.campaigns_list(text, timestamptz, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.campaigns_create(jsonb), api.campaigns_update(jsonb), api.campaigns_upload_asset(bigint, text, text),
    api.campaigns_approve(bigint, bigint, text), api.campaigns_reject(bigint, bigint, text),
    api.campaigns_record_cost(bigint, text, numeric, text, date, text, text),
    api.campaigns_call_list(bigint, bigint, int, int, boolean, boolean, bigint, int) to crm_unit;
