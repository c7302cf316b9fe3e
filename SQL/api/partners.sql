-- Partner relationship management over the protocol (Sources/CRMServer/Methods/Partners+RPC.swift
-- declares the methods): a unit's grants, prices and deal decisions; a partner's catalog, deals
-- and leads. The rules and the isolation are in 59_deal_conflict.sql, 60_partner_*.sql and the
-- policies of 0007_baseline_partners.sql.
set local role crm_owner;

-- Unit side.
create or replace function api.partners_grant(params jsonb) returns json
    language plpgsql as $$
begin
    return crm.grant_partner(params->>'partner', params - 'partner');
end $$;

create or replace function api.partners_revoke(partner text) returns json
    language plpgsql as $$
begin
    return crm.revoke_partner(partner);
end $$;

create or replace function api.partners_set_price(partner text, product_id bigint, price numeric) returns json
    language plpgsql as $$
begin
    return crm.set_partner_price(partner, product_id, price);
end $$;

create or replace function api.partners_list() returns json
    language plpgsql stable as $$
begin
    return (select coalesce(json_agg(crm.partner_grant_json(g.partner_id) order by g.partner_id), '[]')
              from crm.partner_grant g where g.tenant_id = (select crm.current_tenant()));
end $$;

create or replace function api.deals_decide(id bigint, decision text, comment text) returns json
    language plpgsql as $$
begin
    return crm.decide_deal(id, decision, comment);
end $$;

create or replace function api.deals_close(id bigint, comment text) returns json
    language plpgsql as $$
begin
    return crm.close_deal(id, comment);
end $$;

create or replace function api.leads_reassign() returns json
    language plpgsql as $$
begin
    return json_build_object('reassigned', crm.reassign_partner_leads());
end $$;

-- deals.list, deals.get and reports.partner_scorecard: a unit's function and a partner's
-- (partnerFunction in the declaration). A unit sees which other deal a deal conflicts with and its
-- partners' margin; a partner only that a deal conflicts, and its own scorecard without cost.
create or replace function api.deals_list(status text, after_at timestamptz, after_id bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select d.registered_at::text || '|' || d.id, crm.unit_deal_json(d.tenant_id, d.id)::text
      from crm.deal d
     where d.tenant_id = (select crm.current_tenant())
       and (after_at is null or (d.registered_at, d.id) < (after_at, after_id))
       and (deals_list.status is null or d.status = deals_list.status)
     order by d.registered_at desc, d.id desc
     limit lim;
end $$;

create or replace function api.partner_deals_list(status text, after_at timestamptz, after_id bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select d.registered_at::text || '|' || d.id, crm.deal_json(d.tenant_id, d.id)::text
      from crm.deal d
     where (after_at is null or (d.registered_at, d.id) < (after_at, after_id))
       and (partner_deals_list.status is null or d.status = partner_deals_list.status)
     order by d.registered_at desc, d.id desc
     limit lim;
end $$;

create or replace function api.deals_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return (select crm.unit_deal_json(d.tenant_id, d.id) from crm.deal d where d.tenant_id = (select crm.current_tenant()) and d.id = deals_get.id);
end $$;

create or replace function api.partner_deals_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return (select crm.deal_json(d.tenant_id, d.id) from crm.deal d where d.id = partner_deals_get.id);
end $$;

create or replace function api.reports_partner_scorecard(partner text, after text, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.tenant || '|' || r.partner || '|' || r.month, to_jsonb(r)::text
      from report.partner_scorecard r
     where (reports_partner_scorecard.partner is null or r.partner = reports_partner_scorecard.partner)
       and r.tenant || '|' || r.partner || '|' || r.month > coalesce(after, '')
     order by 1
     limit lim;
end $$;

create or replace function api.reports_partner_own_scorecard(partner text, after text, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select r.tenant || '|' || r.partner || '|' || r.month, to_jsonb(r)::text
      from report.partner_own_scorecard r
     where (reports_partner_own_scorecard.partner is null or r.partner = reports_partner_own_scorecard.partner)
       and r.tenant || '|' || r.partner || '|' || r.month > coalesce(after, '')
     order by 1
     limit lim;
end $$;

-- Partner side. By text, the keys come from crm.search_catalog_keys (trigram index, the partner's
-- grants applied inside), the rows under the partner's policies.
create or replace function api.catalog_search(query text, unit text, product_group text, available_only boolean, after bigint, lim int)
    returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select c.id::text, c.item::text
      from crm.catalog_items(case
               when query is not null then
                   array(select k.id from crm.search_catalog_keys(query, unit, product_group, coalesce(available_only, false), after, lim) k)
               else
                   array(select p.id from crm.product p
                          where p.id > after
                            and (unit is null or p.tenant_id = (select t.id from crm.tenant t where t.slug = unit))
                            and (catalog_search.product_group is null or p.product_group = catalog_search.product_group)
                            and (not coalesce(available_only, false) or p.active)
                          order by p.id
                          limit lim) end) c
     order by c.id
     limit lim;
end $$;

create or replace function api.catalog_get(id bigint) returns json
    language plpgsql stable as $$
begin
    return (select c.item from crm.catalog_items(array[catalog_get.id]) c);
end $$;

create or replace function api.deals_register(params jsonb) returns json
    language plpgsql as $$
begin
    if jsonb_array_length(coalesce(params->'products', '[]')) = 0 then
        raise exception 'invalid params: products needs at least one product' using errcode = 'CR422', detail = 'field=products',
            hint = 'needs at least one product';
    end if;
    return crm.register_deal(params->>'unit', params - 'unit');
end $$;

create or replace function api.partner_leads_list(status text, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select l.id::text, crm.partner_lead_json(l.tenant_id, l.id)::text
      from crm.lead l
     where l.id > after and (partner_leads_list.status is null or l.status = partner_leads_list.status)
     order by l.id
     limit lim;
end $$;

create or replace function api.partner_leads_accept(id bigint) returns json
    language plpgsql as $$
begin
    return crm.answer_lead_offer(id, 'accepted', null);
end $$;

create or replace function api.partner_leads_decline(id bigint, reason text) returns json
    language plpgsql as $$
begin
    return crm.answer_lead_offer(id, 'declined', reason);
end $$;

create or replace function api.partner_leads_update(id bigint, version int, status text, score int) returns json
    language plpgsql as $$
begin
    return crm.work_partner_lead(id, version, status, score);
end $$;

grant execute on function api.partners_grant(jsonb), api.partners_revoke(text), api.partners_set_price(text, bigint, numeric),
    api.deals_decide(bigint, text, text), api.deals_close(bigint, text), api.leads_reassign() to crm_unit;
grant execute on function api.partners_list() to crm_unit, crm_viewer;
grant execute on function api.deals_list(text, timestamptz, bigint, int), api.deals_get(bigint),
    api.reports_partner_scorecard(text, text, int) to crm_unit, crm_viewer;
grant execute on function api.partner_deals_list(text, timestamptz, bigint, int), api.partner_deals_get(bigint),
    api.reports_partner_own_scorecard(text, text, int) to crm_partner;
grant execute on function api.catalog_search(text, text, text, boolean, bigint, int), api.catalog_get(bigint), api.deals_register(jsonb),
    api.partner_leads_list(text, bigint, int), api.partner_leads_accept(bigint), api.partner_leads_decline(bigint, text),
    api.partner_leads_update(bigint, int, text, int) to crm_partner;
