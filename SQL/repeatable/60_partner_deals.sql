-- Deal registration: a partner registers a prospect and products with a unit that granted it;
-- another partner's deal for the same prospect and product is a conflict
-- (crm.find_deal_conflict, 59_deal_conflict.sql, the one look past the policies, answering a deal
-- id only); the unit approves (a quote at the partner's prices), declines or closes it.
set local role crm_owner;

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
    -- Each product by key (a LATERAL sub-select with LIMIT 1 stays a per-line index probe): as an
    -- anti-join, the function's kept plan read every product of the unit the partner may see,
    -- 50-70 ms a deal in a unit of 33,000 products.
    select format('products[%s].product_id', o - 1) into v_missing
      from jsonb_array_elements(p->'products') with ordinality as e(x, o)
      left join lateral (select pr.id from crm.product pr
                          where pr.tenant_id = v_tenant and pr.id = (x->>'product_id')::bigint limit 1) pr on true
     where pr.id is null
     order by o
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
    select * into d from crm.deal where tenant_id = (select crm.current_tenant()) and id = p_id for update;
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
     where tenant_id = (select crm.current_tenant()) and id = p_id and status in ('registered', 'approved');
    if not found then
        raise exception 'conflict: deal % is not open', p_id using errcode = 'CR409', detail = 'field=id';
    end if;
    update crm.sales_order set status = 'cancelled'
     where tenant_id = (select crm.current_tenant()) and status = 'quoted'
       and id = (select order_id from crm.deal where tenant_id = (select crm.current_tenant()) and id = p_id);
    return crm.unit_deal_json(crm.current_tenant(), p_id);
end $$;

grant execute on function crm.unit_deal_json(uuid, bigint), crm.decide_deal(bigint, text, text), crm.close_deal(bigint, text) to crm_unit;
grant execute on function crm.deal_json(uuid, bigint) to crm_unit, crm_partner;
grant execute on function crm.register_deal(text, jsonb) to crm_partner;
