-- Search by fragment under row-level security. LIKE is not leakproof, so with RLS in force the
-- planner will not use the trigram index before the policy and scans the whole unit. The search
-- therefore runs in one function owned by crm_search, a role that bypasses RLS but may read only
-- the columns it needs, and that restricts itself to the caller's visible units explicitly.
-- It returns keys only; the rows are then read under the caller's own policies.
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_search') then
        create role crm_search nologin bypassrls nosuperuser nocreaterole nocreatedb;
    end if;
end $$;
grant usage on schema crm to crm_search;
grant select (tenant_id, id, search_text, merged_into) on crm.customer to crm_search;
grant execute on function crm.visible_tenants() to crm_search;

create function crm.search_customer_keys(p_query text, p_after bigint, p_limit int)
    returns table (tenant_id uuid, id bigint)
    language sql stable security definer set search_path = pg_catalog, crm, public as $$
    select c.tenant_id, c.id from crm.customer c
     where c.tenant_id = any(crm.visible_tenants())
       and c.search_text like '%' || replace(replace(replace(lower(p_query), '\', '\\'), '%', '\%'), '_', '\_') || '%'
       and c.id > p_after and c.merged_into is null
     order by c.id
     limit least(p_limit, 501)
$$;
alter function crm.search_customer_keys(text, bigint, int) owner to crm_search;
revoke execute on function crm.search_customer_keys(text, bigint, int) from public;
grant execute on function crm.search_customer_keys(text, bigint, int) to crm_unit;
