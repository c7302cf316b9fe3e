-- products.* (Sources/CRMServer/Methods/Products+RPC.swift declares them): the unit's catalogue
-- with cost, margin and profit tier (unit users only; partners read crm.catalog_items).
set local role crm_owner;

create or replace function crm.product_json(p crm.product) returns json
    language sql immutable
    return json_build_object('id', p.id::text, 'sku', p.sku, 'name', p.name, 'description', p.description,
        'product_group', p.product_group, 'list_price', p.list_price::text, 'unit_cost', p.unit_cost::text,
        'margin', (p.list_price - p.unit_cost)::text,
        'margin_rate', case when p.list_price > 0 then round((p.list_price - p.unit_cost) / p.list_price, 4)::text end,
        'active', p.active, 'surplus', p.surplus, 'warranty_months', p.warranty_months,
        'support_contact', p.support_contact, 'service_info', p.service_info, 'version', p.version);

create or replace function api.products_create(sku text, name text, list_price numeric, unit_cost numeric, description text,
                                               product_group text, active boolean, surplus boolean, warranty_months int,
                                               support_contact text, service_info text) returns json
    language plpgsql as $$
declare
    p crm.product;
begin
    insert into crm.product (tenant_id, sku, name, description, product_group, list_price, unit_cost,
                             active, surplus, warranty_months, support_contact, service_info)
    values (crm.current_tenant(), products_create.sku, products_create.name, products_create.description,
            products_create.product_group, products_create.list_price, products_create.unit_cost,
            coalesce(products_create.active, true), coalesce(products_create.surplus, false), products_create.warranty_months,
            products_create.support_contact, products_create.service_info)
    returning * into p;
    return crm.product_json(p);
end $$;

create or replace function api.products_get(id bigint, sku text) returns json
    language plpgsql stable as $$
declare
    p crm.product;
begin
    if products_get.id is null and products_get.sku is null then
        raise exception 'invalid params: id or sku is required' using errcode = 'CR422', detail = 'field=id';
    end if;
    select * into p from crm.product x
     where x.tenant_id = (select crm.current_tenant()) and (x.id = products_get.id or x.sku = products_get.sku);
    if not found then
        raise exception 'product not found' using errcode = 'CR404', detail = 'field=id';
    end if;
    return crm.product_json(p);
end $$;

create or replace function api.products_update(id bigint, version int, name text, description text, product_group text,
                                               list_price numeric, unit_cost numeric, active boolean, surplus boolean,
                                               warranty_months int, support_contact text, service_info text) returns json
    language plpgsql as $$
declare
    p crm.product;
begin
    update crm.product x set
        name = coalesce(products_update.name, x.name),
        description = coalesce(products_update.description, x.description),
        product_group = coalesce(products_update.product_group, x.product_group),
        list_price = coalesce(products_update.list_price, x.list_price),
        unit_cost = coalesce(products_update.unit_cost, x.unit_cost),
        active = coalesce(products_update.active, x.active),
        surplus = coalesce(products_update.surplus, x.surplus),
        warranty_months = coalesce(products_update.warranty_months, x.warranty_months),
        support_contact = coalesce(products_update.support_contact, x.support_contact),
        service_info = coalesce(products_update.service_info, x.service_info),
        version = x.version + 1, updated_at = now()
     where x.tenant_id = (select crm.current_tenant()) and x.id = products_update.id and x.version = products_update.version
    returning * into p;
    if found then
        return crm.product_json(p);
    end if;
    if exists (select 1 from crm.product x where x.tenant_id = (select crm.current_tenant()) and x.id = products_update.id) then
        raise exception 'conflict: product % was changed since that version', products_update.id
            using errcode = 'CR409', detail = 'field=version', hint = 'stale_version';
    end if;
    raise exception 'product % not found', products_update.id using errcode = 'CR404', detail = 'field=id';
end $$;

create or replace function api.products_list(product_group text, include_inactive boolean, query text, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select p.id::text, crm.product_json(p)::text
      from crm.product p
     where p.tenant_id = (select crm.current_tenant()) and p.id > after
       and (p.active or coalesce(include_inactive, false))
       and (products_list.product_group is null or p.product_group = products_list.product_group)
       and (query is null or p.name ilike '%' || query || '%' or p.sku ilike query || '%')
     order by p.id
     limit lim;
end $$;

grant execute on function crm.product_json(crm.product), api.products_get(bigint, text),
    api.products_list(text, boolean, text, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.products_create(text, text, numeric, numeric, text, text, boolean, boolean, int, text, text),
    api.products_update(bigint, int, text, text, text, numeric, numeric, boolean, boolean, int, text, text) to crm_unit;
