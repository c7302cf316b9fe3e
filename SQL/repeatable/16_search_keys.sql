-- Search by fragment under row-level security. LIKE is not leakproof, so with RLS in force the
-- planner would not use the trigram indexes (crm.customer.search_text, crm.product.search_text)
-- before the policy and would scan every row the caller may see. Each search therefore runs in one
-- function owned by crm_search, a role that bypasses RLS but may read only the columns it needs
-- (granted in 0003 and 0004), and that restricts itself to what the caller may see explicitly: the
-- caller's visible units, or for a partner the same condition as the product policy. They return
-- keys only; the rows are then read under the caller's own policies. PL/pgSQL, so that each keeps
-- its plan for the session (a security-definer SQL function is planned on every call).
set local role crm_owner;

-- Created and replaced as the migrating superuser: the functions are crm_search's, not crm_owner's.
reset role;

-- The LIKE pattern that finds a fragment anywhere in a text: the fragment with LIKE's own
-- characters (\ % _) escaped, between two %.
create or replace function crm.like_fragment(p_fragment text) returns text
    language sql immutable parallel safe
    return '%' || replace(replace(replace(p_fragment, '\', '\\'), '%', '\%'), '_', '\_') || '%';
revoke execute on function crm.like_fragment(text) from public;
grant execute on function crm.like_fragment(text) to crm_search;

-- Customers of the units the caller may see (its own and those sharing with it).
create or replace function crm.search_customer_keys(p_query text, p_after bigint, p_limit int)
    returns table (tenant_id uuid, id bigint)
    language plpgsql stable security definer set search_path = pg_catalog, crm, public as $$
begin
    return query
    select c.tenant_id, c.id from crm.customer c
     where c.tenant_id = any(crm.visible_tenants())
       and c.search_text like crm.like_fragment(lower(p_query))
       and c.id > p_after and c.merged_into is null
     order by c.id
     limit least(p_limit, 501);
end $$;
alter function crm.search_customer_keys(text, bigint, int) owner to crm_search;
revoke execute on function crm.search_customer_keys(text, bigint, int) from public;
grant execute on function crm.search_customer_keys(text, bigint, int) to crm_unit;

-- catalog.search: products of the units that grant the calling partner, in the groups it was granted.
-- The granted units come in as one array. "p.id + 0": the id bound is checked on the matches, not
-- turned into a second bitmap over the primary key (which read every product id of each granted
-- unit, 33,000 index entries a unit, to narrow a few hundred matches).
--
-- Which trigrams the index is asked for. A fragment with a word that nearly every product holds
-- ("item" of "item 537" in a catalog of "Catalog item N") made the trigram scan walk that word's
-- posting lists (every product) for each candidate of the rare word: 110 index pages and 0.6-1 ms
-- to find 33 products. So when the whole fragment is rare, the index is asked only for its rarest
-- word (with the character before it, which marks the word's start: " 537"), and the whole fragment
-- is checked on those products (17 pages); any piece of the fragment is in every product the whole
-- fragment is in, so the answer is the same. "Rare" and "rarest" are counted in the column's
-- statistics sample (pg_stats: the histogram and the most common values, about 100 product texts,
-- 30 us to read and count): a fragment held by at most one of them (about 1% of the products) is
-- rare; otherwise the statement is the whole fragment as before. "p.search_text || ''" is the
-- same text, written so that the planner cannot take it to the index (with both conditions on the
-- indexed column it searched the index for all their trigrams again).
--
-- When the fragment matches many products the planner walks the products in id order instead,
-- which the index carries the filtered columns for (an index-only walk: 0056_catalog_walk_index.sql).
-- That choice needs the fragment: these statements are planned on each call (about 0.15 ms), on
-- purpose; a generic plan always took the trigram bitmap (22 ms for the first page of a fragment in
-- a third of 100,000 products, 0.1 ms walking).
create or replace function crm.search_catalog_keys(p_query text, p_unit text, p_group text, p_available_only boolean,
                                        p_after bigint, p_limit int)
    returns table (tenant_id uuid, id bigint)
    language plpgsql stable security definer set search_path = pg_catalog, crm, public as $$
declare
    v_tenants uuid[];
    v_grouped boolean;   -- some grant names product groups
    v_unit uuid;
    v_text text := lower(p_query);
    v_sample text[];     -- product texts of the column's statistics
    v_key text;          -- the piece of the fragment the index is asked for, when not the whole
    v_asked text;        -- the LIKE pattern the index is asked for
    v_recheck text;      -- the LIKE pattern every match is checked against as well
begin
    -- The grants first, in statements of their own (plans kept): planned with the search as a
    -- semi-join they tripled its planning (0.45 against 0.15 ms a call).
    select coalesce(array_agg(g.tenant_id), '{}'), coalesce(bool_or(g.product_groups is not null), false)
      into v_tenants, v_grouped
      from crm.partner_grant g
     where g.partner_id = crm.current_partner() and g.revoked_at is null and g.may_see_products;
    if p_unit is not null then
        v_unit := (select t.id from crm.tenant t where t.slug = p_unit);
        if v_unit is null then return; end if;
    end if;
    select coalesce(s.histogram_bounds::text::text[], '{}') || coalesce(s.most_common_vals::text::text[], '{}')
      into v_sample
      from pg_stats s where s.schemaname = 'crm' and s.tablename = 'product' and s.attname = 'search_text';
    if (select count(*) from unnest(v_sample) x where strpos(x, v_text) > 0) <= 1 then
        -- The words of the fragment, each with the character before it (at least 3 characters:
        -- fewer give the index no trigram to search), the one fewest sample texts hold.
        select w.k into v_key
          from (select m.m[1] as k from regexp_matches(v_text, '[^[:alnum:]]?[[:alnum:]]+', 'g') m(m)) w
         where length(w.k) >= 3
         order by (select count(*) from unnest(v_sample) x where strpos(x, w.k) > 0), length(w.k) desc
         limit 1;
    end if;
    -- One statement for both: the index is asked for v_asked; v_recheck is the whole fragment
    -- when only a piece of it was asked for, else '%' (true of every text, and estimated so: the
    -- plan is the whole fragment's as before).
    if v_key is not null and v_key <> v_text then
        v_asked := crm.like_fragment(v_key);
        v_recheck := crm.like_fragment(v_text);
    else
        v_asked := crm.like_fragment(v_text);
        v_recheck := '%';
    end if;
    return query
    select p.tenant_id, p.id from crm.product p
     where p.tenant_id = any (v_tenants)
       and (not v_grouped
            or exists (select 1 from crm.partner_grant g
                        where g.tenant_id = p.tenant_id and g.partner_id = crm.current_partner()
                          and (g.product_groups is null or p.product_group = any (g.product_groups))))
       and p.search_text like v_asked
       and (p.search_text || '') like v_recheck
       and (v_unit is null or p.tenant_id = v_unit)
       and (p_group is null or p.product_group = p_group)
       and (not p_available_only or p.active)
       and p.id + 0 > p_after
     order by p.id
     limit least(p_limit, 501);
end $$;
alter function crm.search_catalog_keys(text, text, text, boolean, bigint, int) owner to crm_search;
revoke execute on function crm.search_catalog_keys(text, text, text, boolean, bigint, int) from public;
grant execute on function crm.search_catalog_keys(text, text, text, boolean, bigint, int) to crm_partner;
