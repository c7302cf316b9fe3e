-- catalog.search by text under row-level security. LIKE is not leakproof, so with the partner
-- policy in force no index could serve it and every search read every granted product (130 ms
-- at 100,000 products, and a busy pool under load). As for customers (0017), the match runs in
-- one function owned by crm_search, which bypasses RLS but may read only the columns it needs
-- and applies the partner's grants itself (the same condition as the policy). It returns keys;
-- the rows are then read under the partner's own policies.
alter table crm.product
    add column search_text text generated always as (lower(sku || ' ' || name)) stored;
create index product_search_trgm on crm.product using gin (search_text gin_trgm_ops);

grant select (id, slug) on crm.tenant to crm_search;
grant select (tenant_id, id, search_text, product_group, active) on crm.product to crm_search;
grant select (tenant_id, partner_id, revoked_at, may_see_products, product_groups) on crm.partner_grant to crm_search;
grant execute on function crm.current_partner() to crm_search;

create function crm.search_catalog_keys(p_query text, p_unit text, p_group text, p_available_only boolean,
                                        p_after bigint, p_limit int)
    returns table (tenant_id uuid, id bigint)
    language sql stable security definer set search_path = pg_catalog, crm, public as $$
    select p.tenant_id, p.id from crm.product p
     where exists (select 1 from crm.partner_grant g
                    where g.tenant_id = p.tenant_id and g.partner_id = crm.current_partner()
                      and g.revoked_at is null and g.may_see_products
                      and (g.product_groups is null or p.product_group = any (g.product_groups)))
       and p.search_text like '%' || replace(replace(replace(lower(p_query), '\', '\\'), '%', '\%'), '_', '\_') || '%'
       and (p_unit is null or p.tenant_id = (select t.id from crm.tenant t where t.slug = p_unit))
       and (p_group is null or p.product_group = p_group)
       and (not p_available_only or p.active)
       and p.id > p_after
     order by p.id
     limit least(p_limit, 501)
$$;
alter function crm.search_catalog_keys(text, text, text, boolean, bigint, int) owner to crm_search;
revoke execute on function crm.search_catalog_keys(text, text, text, boolean, bigint, int) from public;
grant execute on function crm.search_catalog_keys(text, text, text, boolean, bigint, int) to crm_partner;
