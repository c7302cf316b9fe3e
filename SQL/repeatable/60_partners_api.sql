-- Partners through the API: what a unit grants a partner (products, prices, leads), the catalog
-- a partner searches across every unit that granted it, deal registration with conflicts, and
-- lead offers. Security invoker throughout: a partner's calls run as crm_partner under its
-- policies; only crm.find_deal_conflict looks past them, and answers a deal id only.
set local role crm_owner;

-- A partner's id by its slug, for a unit about to grant it (units see only the partners they
-- granted already). crm.partner is a global table without forced row-level security; this
-- answers the id of one named partner and nothing else.
create or replace function crm.partner_id(p_slug text) returns uuid
    language sql stable security definer set search_path = pg_catalog, crm as $$
    select id from crm.partner where slug = p_slug
$$;
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
         where g.tenant_id = crm.current_tenant() and g.partner_id = p_partner);
end $$;

create or replace function crm.revoke_partner(p_partner text) returns json language plpgsql as $$
declare
    v_partner uuid := (select id from crm.partner where slug = p_partner);
begin
    update crm.partner_grant set revoked_at = now() where tenant_id = crm.current_tenant() and partner_id = v_partner and revoked_at is null;
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
                        where g.tenant_id = crm.current_tenant() and pa.slug = p_partner);
begin
    if v_partner is null then
        raise exception 'partner % holds no grant of this unit', p_partner using errcode = 'CR404', detail = 'field=partner';
    end if;
    if not exists (select 1 from crm.product where tenant_id = crm.current_tenant() and id = p_product) then
        raise exception 'product % not found', p_product using errcode = 'CR404', detail = 'field=product_id';
    end if;
    insert into crm.partner_price as pp (tenant_id, partner_id, product_id, price) values (crm.current_tenant(), v_partner, p_product, p_price)
    on conflict (tenant_id, partner_id, product_id) do update set price = excluded.price, updated_at = now();
    return json_build_object('partner', p_partner, 'product_id', p_product::text, 'price', p_price::numeric(12,2)::text);
end $$;

-- Partner side: one catalog entry, margin-free, with the partner's price.
create or replace function crm.catalog_json(p_tenant uuid, p_product bigint) returns json language plpgsql stable as $$
begin
    return (
        select json_build_object('id', p.id::text, 'unit', t.slug, 'unit_name', t.name, 'sku', p.sku, 'name', p.name,
            'description', p.description, 'product_group', p.product_group, 'list_price', p.list_price::text,
            'price', coalesce(pp.price, round(p.list_price * (1 - g.discount_pct / 100), 2))::numeric(12,2)::text,
            'available', p.active, 'warranty_months', p.warranty_months, 'support_contact', p.support_contact,
            'service_info', p.service_info)
          from crm.product p
          join crm.tenant t on t.id = p.tenant_id
          join crm.partner_grant g on g.tenant_id = p.tenant_id and g.partner_id = crm.current_partner()
          left join crm.partner_price pp on pp.tenant_id = p.tenant_id and pp.partner_id = g.partner_id and pp.product_id = p.id
         where p.tenant_id = p_tenant and p.id = p_product);
end $$;

create or replace function crm.deal_json(p_tenant uuid, p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', d.id::text, 'unit', t.slug, 'partner', pa.slug, 'status', d.status,
            'prospect', json_build_object('name', d.prospect_name, 'email', d.prospect_email, 'phone', d.prospect_phone,
                                          'company', d.prospect_company, 'region', d.region),
            'products', coalesce((select json_agg(json_build_object('product_id', x.product_id::text, 'quantity', x.quantity::text) order by x.product_id)
                                    from crm.deal_product x where x.tenant_id = d.tenant_id and x.deal_id = d.id), '[]'),
            'conflict', d.in_conflict,
            'order_id', d.order_id::text, 'note', d.note, 'decision_comment', d.decision_comment,
            'registered_at', d.registered_at, 'decided_at', d.decided_at, 'closed_at', d.closed_at, 'version', d.version)
          from crm.deal d join crm.tenant t on t.id = d.tenant_id join crm.partner pa on pa.id = d.partner_id
         where d.tenant_id = p_tenant and d.id = p_id);
end $$;

-- What the unit sees of a deal: also which other partner's deal it conflicts with.
create or replace function crm.unit_deal_json(p_tenant uuid, p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select (crm.deal_json(d.tenant_id, d.id)::jsonb || jsonb_build_object('conflict_deal_id', d.conflict_deal_id::text))::json
          from crm.deal d where d.tenant_id = p_tenant and d.id = p_id);
end $$;

-- A partner registers a deal with a unit that granted it: a prospect and products it may see.
-- Another partner's deal for the same prospect (email, phone or company) and a shared product
-- within the unit's window (deal_conflict_days, default 90) flags it as a conflict.
create or replace function crm.register_deal(p_unit text, p jsonb) returns json language plpgsql as $$
declare
    v_tenant uuid := (select t.id from crm.tenant t where t.slug = p_unit);
    cc text;
    v_email text := crm.normalize_email(p#>>'{prospect,email}');
    v_phone text;
    v_products bigint[];
    v_missing text;
    v_conflict bigint;
    v_id bigint;
begin
    if v_tenant is null or not v_tenant = any(crm.partner_tenants()) then
        raise exception 'no business unit % works with you', p_unit using errcode = 'CR404', detail = 'field=unit';
    end if;
    cc := coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = v_tenant), '49');
    v_phone := crm.normalize_phone(p#>>'{prospect,phone}', cc);
    if p#>>'{prospect,email}' is not null and coalesce(v_email, '') !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
        raise exception 'invalid params: prospect.email is not an email address' using errcode = 'CR422', detail = 'field=prospect.email';
    end if;
    if p#>>'{prospect,phone}' is not null and v_phone is null then
        raise exception 'invalid params: prospect.phone is not a phone number' using errcode = 'CR422', detail = 'field=prospect.phone';
    end if;
    if v_email is null and v_phone is null and p#>>'{prospect,company}' is null then
        raise exception 'invalid params: a prospect needs an email, a phone or a company' using errcode = 'CR422', detail = 'field=prospect';
    end if;
    select format('products[%s].product_id', o - 1) into v_missing
      from jsonb_array_elements(p->'products') with ordinality as e(x, o)
     where not exists (select 1 from crm.product pr where pr.tenant_id = v_tenant and pr.id = (x->>'product_id')::bigint)
     limit 1;
    if v_missing is not null then
        raise exception 'product not found in the catalog of %', p_unit using errcode = 'CR404', detail = 'field=' || v_missing;
    end if;
    v_products := array(select (x->>'product_id')::bigint from jsonb_array_elements(p->'products') x);
    v_conflict := crm.find_deal_conflict(v_tenant, crm.current_partner(), 0, v_email, v_phone, p#>>'{prospect,company}', v_products);
    insert into crm.deal (tenant_id, partner_id, prospect_name, prospect_email, prospect_phone, prospect_company, region, note,
                          registered_by, conflict_deal_id)
    values (v_tenant, crm.current_partner(), btrim(p#>>'{prospect,name}'), v_email, v_phone, p#>>'{prospect,company}',
            p#>>'{prospect,region}', p->>'note', crm.current_principal(), v_conflict)
    returning id into v_id;
    insert into crm.deal_product (tenant_id, deal_id, product_id, quantity)
    select v_tenant, v_id, (x->>'product_id')::bigint, sum((x->>'quantity')::numeric)
      from jsonb_array_elements(p->'products') x group by 3;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (v_tenant, crm.current_principal(), 'register', 'deal', v_id::text,
            jsonb_build_object('partner_id', crm.current_partner(), 'conflict_deal_id', v_conflict));
    return crm.deal_json(v_tenant, v_id);
end $$;

-- The unit decides: an approved deal becomes a quote for the prospect (an existing customer
-- with the prospect's email or phone, or a new one) at the partner's prices, credited to the
-- partner; quotes.accept confirms it and the deal is won.
create or replace function crm.decide_deal(p_id bigint, p_decision text, p_comment text) returns json language plpgsql as $$
declare
    d crm.deal;
    v_customer bigint;
    v_order bigint;
begin
    select * into d from crm.deal where tenant_id = crm.current_tenant() and id = p_id for update;
    if not found then
        raise exception 'deal % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if d.status <> 'registered' then
        raise exception 'conflict: deal % is % already', p_id, d.status using errcode = 'CR409', detail = 'field=id';
    end if;
    if p_decision = 'rejected' then
        if coalesce(btrim(p_comment), '') = '' then
            raise exception 'invalid params: a rejection needs a comment' using errcode = 'CR422', detail = 'field=comment';
        end if;
        update crm.deal set status = 'rejected', decision_comment = p_comment, decided_at = now(), version = version + 1
         where tenant_id = d.tenant_id and id = d.id;
    else
        select k.customer_id into v_customer from crm.customer_contact k
         where k.tenant_id = d.tenant_id and ((k.kind = 'email' and k.value = d.prospect_email) or (k.kind = 'phone' and k.value = d.prospect_phone))
         order by k.customer_id limit 1;
        if v_customer is null then
            v_customer := (crm.create_customer(jsonb_strip_nulls(jsonb_build_object('name', d.prospect_name, 'company', d.prospect_company,
                'emails', case when d.prospect_email is not null then jsonb_build_array(d.prospect_email) end,
                'phones', case when d.prospect_phone is not null then jsonb_build_array(d.prospect_phone) end)))->>'id')::bigint;
        end if;
        v_order := crm.create_order(v_customer, null, null,
            (select jsonb_agg(jsonb_build_object('product_id', x.product_id, 'quantity', x.quantity,
                    'unit_price', coalesce(pp.price, round(p.list_price * (1 - g.discount_pct / 100), 2))) order by x.product_id)
               from crm.deal_product x
               join crm.product p on p.tenant_id = x.tenant_id and p.id = x.product_id
               join crm.partner_grant g on g.tenant_id = x.tenant_id and g.partner_id = d.partner_id
               left join crm.partner_price pp on pp.tenant_id = x.tenant_id and pp.partner_id = d.partner_id and pp.product_id = x.product_id
              where x.tenant_id = d.tenant_id and x.deal_id = d.id),
            'quoted', now(), null);
        update crm.sales_order set partner_id = d.partner_id where tenant_id = d.tenant_id and id = v_order;
        update crm.deal set status = 'approved', decision_comment = p_comment, decided_at = now(), customer_id = v_customer,
                            order_id = v_order, version = version + 1
         where tenant_id = d.tenant_id and id = d.id;
    end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (d.tenant_id, crm.current_principal(), p_decision, 'deal', d.id::text, jsonb_build_object('comment', p_comment, 'order_id', v_order));
    return crm.unit_deal_json(d.tenant_id, d.id);
end $$;

create or replace function crm.close_deal(p_id bigint, p_comment text) returns json language plpgsql as $$
begin
    update crm.deal set status = 'lost', closed_at = now(), decision_comment = coalesce(p_comment, decision_comment), version = version + 1
     where tenant_id = crm.current_tenant() and id = p_id and status in ('registered', 'approved');
    if not found then
        raise exception 'conflict: deal % is not open', p_id using errcode = 'CR409', detail = 'field=id';
    end if;
    update crm.sales_order set status = 'cancelled'
     where tenant_id = crm.current_tenant() and status = 'quoted'
       and id = (select order_id from crm.deal where tenant_id = crm.current_tenant() and id = p_id);
    return crm.unit_deal_json(crm.current_tenant(), p_id);
end $$;

-- Lead offers. The unit's lead_offer_hours (default 48) is the time a partner has to answer.
create or replace function crm.lead_offer_hours() returns int language sql stable as $$
    select coalesce((select (t.settings->>'lead_offer_hours')::int from crm.tenant t where t.id = crm.current_tenant()), 48)
$$;

-- Offers the open leads assigned to partners in this transaction (after crm.assign_leads).
create or replace function crm.offer_assigned_leads(p_campaign bigint) returns int language sql as $$
    with o as (
        insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
        select l.tenant_id, l.id, l.assigned_partner_id, now() + make_interval(hours => crm.lead_offer_hours())
          from crm.lead l
         where l.tenant_id = crm.current_tenant() and l.campaign_id = p_campaign and l.assigned_partner_id is not null
           and l.assigned_at = now()
           and not exists (select 1 from crm.lead_offer x where x.tenant_id = l.tenant_id and x.lead_id = l.id
                            and x.partner_id = l.assigned_partner_id and x.response is null)
        returning 1)
    select count(*)::int from o
$$;

-- A partner answers an offer before it expires; a declined lead goes to the next partner at
-- the unit's next reassignment run.
create or replace function crm.answer_lead_offer(p_lead bigint, p_response text, p_reason text) returns json language plpgsql as $$
declare
    o crm.lead_offer;
begin
    select * into o from crm.lead_offer
     where lead_id = p_lead and partner_id = crm.current_partner() and response is null
     order by offered_at desc limit 1 for update;
    if not found then
        raise exception 'no open offer of lead % to you', p_lead using errcode = 'CR404', detail = 'field=id';
    end if;
    if o.expires_at <= now() then
        raise exception 'conflict: the offer of lead % expired at %', p_lead, o.expires_at using errcode = 'CR409', detail = 'field=id';
    end if;
    update crm.lead_offer set response = p_response, responded_at = now(), reason = p_reason where tenant_id = o.tenant_id and id = o.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (o.tenant_id, crm.current_principal(), p_response, 'lead', p_lead::text, jsonb_build_object('partner_id', o.partner_id, 'reason', p_reason));
    return crm.partner_lead_json(o.tenant_id, p_lead);
end $$;

create or replace function crm.partner_lead_json(p_tenant uuid, p_lead bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', l.id::text, 'unit', t.slug, 'campaign_id', l.campaign_id::text, 'name', l.name, 'email', l.email,
            'phone', l.phone, 'company', l.company, 'region', l.region, 'status', l.status, 'score', l.score, 'version', l.version,
            'offer', (select json_build_object('offered_at', o.offered_at, 'expires_at', o.expires_at, 'response', o.response,
                                               'responded_at', o.responded_at)
                        from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id and o.partner_id = crm.current_partner()
                       order by o.offered_at desc limit 1))
          from crm.lead l join crm.tenant t on t.id = l.tenant_id
         where l.tenant_id = p_tenant and l.id = p_lead);
end $$;

-- A partner works a lead it accepted: contacted, qualified, or closes it won (converted) or
-- lost (disqualified).
create or replace function crm.work_partner_lead(p_lead bigint, p_version int, p_status text, p_score int) returns json
    language plpgsql as $$
declare
    l record;
begin
    select x.tenant_id, x.id, x.version, x.status into l from crm.lead x where x.id = p_lead for update;
    if not found then
        raise exception 'lead % not found', p_lead using errcode = 'CR404', detail = 'field=id';
    end if;
    if not exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = p_lead
                      and o.partner_id = crm.current_partner() and o.response = 'accepted') then
        raise exception 'conflict: accept lead % before working it', p_lead using errcode = 'CR409', detail = 'field=id';
    end if;
    if l.status in ('converted', 'disqualified') then
        raise exception 'conflict: lead % is closed', p_lead using errcode = 'CR409', detail = 'field=status';
    end if;
    if p_version is not null and p_version <> l.version then
        raise exception 'conflict: lead % is at version %, not %', p_lead, l.version, p_version using errcode = 'CR409', detail = 'field=version';
    end if;
    update crm.lead set status = coalesce(p_status, status), score = coalesce(p_score, score), version = version + 1, updated_at = now()
     where tenant_id = l.tenant_id and id = l.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (l.tenant_id, crm.current_principal(), 'work', 'lead', p_lead::text, jsonb_build_object('status', p_status, 'score', p_score));
    return crm.partner_lead_json(l.tenant_id, p_lead);
end $$;

-- The unit's reassignment run (the scheduled job, or leads.reassign): offers past their time
-- expire; a lead whose last offer expired or was declined goes to the next partner that may
-- receive leads and has not had it (the lead's region first, then the highest lead_weight), or
-- back to unassigned when none is left. Returns the number of leads moved.
create or replace function crm.reassign_partner_leads() returns int language plpgsql as $$
declare
    r record;
    v_next uuid;
    n int := 0;
begin
    update crm.lead_offer set response = 'expired', responded_at = now()
     where tenant_id = crm.current_tenant() and response is null and expires_at <= now();
    for r in
        select l.id, l.region, l.assigned_partner_id
          from crm.lead l
         where l.tenant_id = crm.current_tenant() and l.assigned_partner_id is not null and l.status = 'assigned'
           and exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id
                          and o.partner_id = l.assigned_partner_id and o.response in ('expired', 'declined'))
           and not exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id
                              and o.partner_id = l.assigned_partner_id and (o.response is null or o.response = 'accepted'))
         order by l.id
         for update of l
    loop
        select g.partner_id into v_next
          from crm.partner_grant g
         where g.tenant_id = crm.current_tenant() and g.may_receive_leads and g.revoked_at is null
           and not exists (select 1 from crm.lead_offer o where o.tenant_id = g.tenant_id and o.lead_id = r.id and o.partner_id = g.partner_id)
         order by (g.region is not distinct from r.region) desc, g.lead_weight desc, g.partner_id
         limit 1;
        update crm.lead set assigned_partner_id = v_next, assigned_at = now(),
               status = case when v_next is null then 'new' else 'assigned' end, version = version + 1, updated_at = now()
         where tenant_id = crm.current_tenant() and id = r.id;
        if v_next is not null then
            insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
            values (crm.current_tenant(), r.id, v_next, now() + make_interval(hours => crm.lead_offer_hours()));
        end if;
        n := n + 1;
    end loop;
    return n;
end $$;

grant execute on function crm.partner_id(text), crm.unit_deal_json(uuid, bigint), crm.grant_partner(text, jsonb), crm.partner_grant_json(uuid), crm.revoke_partner(text),
    crm.set_partner_price(text, bigint, numeric), crm.decide_deal(bigint, text, text), crm.close_deal(bigint, text),
    crm.lead_offer_hours(), crm.offer_assigned_leads(bigint), crm.reassign_partner_leads() to crm_unit;
grant execute on function crm.deal_json(uuid, bigint), crm.partner_lead_json(uuid, bigint) to crm_unit, crm_partner;
grant execute on function crm.catalog_json(uuid, bigint), crm.register_deal(text, jsonb), crm.answer_lead_offer(bigint, text, text),
    crm.work_partner_lead(bigint, int, text, int) to crm_partner;
