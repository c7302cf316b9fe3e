-- What a unit grants a partner (products, prices, leads), and the catalog entry a partner sees of
-- each unit that granted it (margin-free, at the partner's price). Security invoker throughout: a
-- partner's calls run as crm_partner under its policies.
set local role crm_owner;

-- A partner's id by its slug, for a unit about to grant it (units see only the partners they
-- granted already). crm.partner is a global table without forced row-level security; this
-- answers the id of one named partner and nothing else.
create or replace function crm.partner_id(p_slug text) returns uuid
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    return (select p.id from crm.partner p where p.slug = p_slug);
end $$;
revoke execute on function crm.partner_id(text) from public;

-- Unit side: grant (or change the grant of) a partner, revoke it, set a partner price.
create or replace function crm.grant_partner(p_partner text, p jsonb) returns json language plpgsql as $$
declare
    v_partner uuid := crm.partner_id(p_partner);
begin
    if v_partner is null then
        raise exception 'no partner %', p_partner using errcode = 'CR404', detail = 'field=partner';
    end if;
    insert into crm.partner_grant as g (tenant_id, partner_id, may_see_products, product_groups, discount_pct, commission_pct,
                                        may_receive_leads, region, lead_weight)
    values (crm.current_tenant(), v_partner, coalesce((p->>'may_see_products')::boolean, true),
            case when jsonb_typeof(p->'product_groups') = 'array' then array(select jsonb_array_elements_text(p->'product_groups')) end,
            coalesce((p->>'discount_pct')::numeric, 0), coalesce((p->>'commission_pct')::numeric, 0),
            coalesce((p->>'may_receive_leads')::boolean, false), p->>'region', coalesce((p->>'lead_weight')::int, 1))
    on conflict (tenant_id, partner_id) do update set
        may_see_products = coalesce((p->>'may_see_products')::boolean, g.may_see_products),
        product_groups = case when p ? 'product_groups' then excluded.product_groups else g.product_groups end,
        discount_pct = coalesce((p->>'discount_pct')::numeric, g.discount_pct),
        commission_pct = coalesce((p->>'commission_pct')::numeric, g.commission_pct),
        may_receive_leads = coalesce((p->>'may_receive_leads')::boolean, g.may_receive_leads),
        region = case when p ? 'region' then p->>'region' else g.region end,
        lead_weight = coalesce((p->>'lead_weight')::int, g.lead_weight),
        revoked_at = null;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'grant', 'partner', v_partner::text, p);
    return crm.partner_grant_json(v_partner);
end $$;

create or replace function crm.partner_grant_json(p_partner uuid) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('partner', pa.slug, 'name', pa.name, 'may_see_products', g.may_see_products,
            'product_groups', g.product_groups, 'discount_pct', g.discount_pct::text, 'commission_pct', g.commission_pct::text, 'may_receive_leads', g.may_receive_leads,
            'region', g.region, 'lead_weight', g.lead_weight, 'granted_at', g.granted_at, 'revoked_at', g.revoked_at)
          from crm.partner_grant g join crm.partner pa on pa.id = g.partner_id
         where g.tenant_id = (select crm.current_tenant()) and g.partner_id = p_partner);
end $$;

create or replace function crm.revoke_partner(p_partner text) returns json language plpgsql as $$
declare
    v_partner uuid := (select id from crm.partner where slug = p_partner);
begin
    update crm.partner_grant set revoked_at = now() where tenant_id = (select crm.current_tenant()) and partner_id = v_partner and revoked_at is null;
    if not found then
        raise exception 'partner % holds no grant of this unit', p_partner using errcode = 'CR404', detail = 'field=partner';
    end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), 'revoke', 'partner', v_partner::text, '{}');
    return crm.partner_grant_json(v_partner);
end $$;

create or replace function crm.set_partner_price(p_partner text, p_product bigint, p_price numeric) returns json language plpgsql as $$
declare
    v_partner uuid := (select g.partner_id from crm.partner_grant g join crm.partner pa on pa.id = g.partner_id
                        where g.tenant_id = (select crm.current_tenant()) and pa.slug = p_partner);
begin
    if v_partner is null then
        raise exception 'partner % holds no grant of this unit', p_partner using errcode = 'CR404', detail = 'field=partner';
    end if;
    if not exists (select 1 from crm.product where tenant_id = (select crm.current_tenant()) and id = p_product) then
        raise exception 'product % not found', p_product using errcode = 'CR404', detail = 'field=product_id';
    end if;
    insert into crm.partner_price as pp (tenant_id, partner_id, product_id, price) values (crm.current_tenant(), v_partner, p_product, p_price)
    on conflict (tenant_id, partner_id, product_id) do update set price = excluded.price, updated_at = now();
    return json_build_object('partner', p_partner, 'product_id', p_product::text, 'price', p_price::numeric(12,2)::text);
end $$;

-- Partner side: one catalog entry, margin-free, with the partner's price.
-- The catalog items of the given product ids as the calling partner sees them (its price, no cost),
-- one statement for a whole page: catalog.search and catalog.get. Products, units, grants and
-- prices are read under the partner's own policies; ids it may not see give no row.
create or replace function crm.catalog_items(p_ids bigint[]) returns table (id bigint, item json)
    language plpgsql stable as $$
begin
    return query
    select p.id, json_build_object('id', p.id::text, 'unit', t.slug, 'unit_name', t.name, 'sku', p.sku, 'name', p.name,
               'description', p.description, 'product_group', p.product_group, 'list_price', p.list_price::text,
               'price', coalesce(pp.price, round(p.list_price * (1 - g.discount_pct / 100), 2))::numeric(12,2)::text,
               'available', p.active, 'warranty_months', p.warranty_months, 'support_contact', p.support_contact,
               'service_info', p.service_info)
      from crm.product p
      join crm.tenant t on t.id = p.tenant_id
      join crm.partner_grant g on g.tenant_id = p.tenant_id and g.partner_id = crm.current_partner()
      left join crm.partner_price pp on pp.tenant_id = p.tenant_id and pp.partner_id = g.partner_id and pp.product_id = p.id
     where p.id = any (p_ids);
end $$;

grant execute on function crm.partner_id(text), crm.grant_partner(text, jsonb), crm.partner_grant_json(uuid), crm.revoke_partner(text),
    crm.set_partner_price(text, bigint, numeric) to crm_unit;
grant execute on function crm.catalog_items(bigint[]) to crm_partner;
drop function if exists crm.catalog_json(uuid, bigint);
