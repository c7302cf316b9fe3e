-- customers.* (Sources/CRMServer/Methods/Customers+RPC.swift declares them): know the customer.
-- The writes (normalisation, duplicates, versions, lifecycle history, audit) are crm.create_customer,
-- crm.update_customer and crm.merge_customers (20_customers_api.sql, 35_customer_merge_lookup.sql).
set local role crm_owner;

-- customers.create takes its params as one object (absent and null differ for some fields).
create or replace function api.customers_create(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.create_customer(params);
end $$;

create or replace function api.customers_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return crm.get_customer_json(id);
end $$;

-- The given fields change; `referred_by: null` clears the referrer, a field left out stays.
create or replace function api.customers_update(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.update_customer((params->>'id')::bigint, (params->>'version')::int, params - 'id' - 'version');
end $$;

-- A fragment of a name, email or phone (at least 2 characters). A phone fragment matches the stored
-- E.164 digits whatever its punctuation: three or more digits and nothing else but spaces and
-- + - ( ) . / are searched as the digits alone.
create or replace function api.customers_search(query text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
declare
    q text := lower(query);
    digits text := regexp_replace(lower(query), '[^0-9]', '', 'g');
    needle text;
begin
    if char_length(q) < 2 then
        raise exception 'invalid params: query needs at least 2 characters' using errcode = 'CR422', detail = 'field=query',
            hint = 'needs at least 2 characters';
    end if;
    needle := case when length(digits) >= 3 and length(digits) = length(regexp_replace(q, '[[:space:]+()./-]', '', 'g'))
                   then digits else q end;
    return query
    select c.id::text, crm.customer_json(c)::text
      from crm.search_customer_keys(needle, after, lim) k
      join crm.customer c on c.tenant_id = k.tenant_id and c.id = k.id
     order by c.id;
end $$;

create or replace function api.customers_list(segment text, lifecycle_stage text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select c.id::text, crm.customer_json(c)::text
      from crm.customer c
     where c.tenant_id = (select crm.current_tenant()) and c.id > after and c.merged_into is null
       and (customers_list.segment is null or c.segment = customers_list.segment)
       and (customers_list.lifecycle_stage is null or c.lifecycle_stage = customers_list.lifecycle_stage)
     order by c.id
     limit lim;
end $$;

create or replace function api.customers_merge(keep_id bigint, merge_id bigint) returns json
    language plpgsql as $$
begin
    if keep_id = merge_id then
        raise exception 'invalid params: merge_id must differ from keep_id' using errcode = 'CR422', detail = 'field=merge_id',
            hint = 'must differ from keep_id';
    end if;
    return crm.merge_customers(keep_id, merge_id);
end $$;

-- Who is calling: the number read under the unit's country (415-555-0134 is a number in a unit of +1).
create or replace function api.customers_lookup(phone text) returns json
    language plpgsql stable as $$
declare
    found json;
begin
    -- The lookup first: a number that is no phone number finds nobody, and only then is it checked
    -- (a hit does not normalise the number a second time).
    found := crm.lookup_customer(phone);
    if found is null then
        if crm.normalize_unit_phone(phone) is null then
            raise exception 'invalid params: phone is not a phone number' using errcode = 'CR422', detail = 'field=phone',
                hint = 'is not a phone number';
        end if;
        raise exception 'no customer with phone %', phone using errcode = 'CR404', detail = 'field=phone';
    end if;
    return found;
end $$;

-- Privacy: customers.export and customers.erase (crm.export_customer, crm.erase_customer in
-- SQL/repeatable/46_customer_privacy.sql check the role and the customer).
create or replace function api.customers_export(id bigint) returns json
    language plpgsql stable as $$
begin
    return crm.export_customer(id);
end $$;

create or replace function api.customers_erase(id bigint, confirm boolean) returns json
    language plpgsql as $$
begin
    return crm.erase_customer(id, confirm);
end $$;

grant execute on function api.customers_export(bigint), api.customers_erase(bigint, boolean) to crm_unit;

grant execute on function api.customers_get(bigint), api.customers_search(text, bigint, int), api.customers_list(text, text, bigint, int),
    api.customers_lookup(text) to crm_unit, crm_viewer;
grant execute on function api.customers_create(jsonb), api.customers_update(jsonb), api.customers_merge(bigint, bigint) to crm_unit;
