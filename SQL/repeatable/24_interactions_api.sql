-- interactions.log: one contact and the prices quoted in it, in one statement.
set local role crm_owner;

create or replace function crm.log_interaction(p jsonb) returns json language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v bigint;
    answer json;
    q jsonb;
    n int := 0;
begin
    if p ? 'idempotency_key' then
        select id into v from crm.interaction where tenant_id = v_tenant and idempotency_key = p->>'idempotency_key';
        if found then return crm.interaction_json(v); end if;
    end if;
    if not exists (select 1 from crm.customer where tenant_id = v_tenant and id = (p->>'customer_id')::bigint) then
        raise exception 'customer % not found', p->>'customer_id' using errcode = 'CR404', detail = 'field=customer_id';
    end if;
    insert into crm.interaction as i (tenant_id, customer_id, channel, direction, staff_id, outcome, summary, cost, occurred_at,
                                 campaign_id, idempotency_key)
    values (v_tenant, (p->>'customer_id')::bigint, p->>'channel', coalesce(p->>'direction', 'inbound'), (p->>'staff_id')::bigint,
            p->>'outcome', p->>'summary', coalesce((p->>'cost')::numeric, 0), coalesce((p->>'occurred_at')::timestamptz, now()),
            (p->>'campaign_id')::bigint, p->>'idempotency_key')
    returning i.id, crm.interaction_json_of(i, '[]') into v, answer;
    if jsonb_array_length(coalesce(p->'quotes', '[]')) = 0 then
        return answer;   -- the common case: the answer from the row just written, no second read
    end if;
    for q in select * from jsonb_array_elements(p->'quotes') loop
        if not exists (select 1 from crm.product where tenant_id = v_tenant and id = (q->>'product_id')::bigint) then
            raise exception 'product % not found', q->>'product_id' using errcode = 'CR404', detail = format('field=quotes[%s].product_id', n);
        end if;
        insert into crm.quoted_price (tenant_id, interaction_id, customer_id, product_id, price, quoted_at)
        values (v_tenant, v, (p->>'customer_id')::bigint, (q->>'product_id')::bigint, (q->>'price')::numeric,
                coalesce((p->>'occurred_at')::timestamptz, now()));
        n := n + 1;
    end loop;
    return crm.interaction_json(v);
end $$;

-- An interaction as the API shows it, from its row and its quotes (the one definition of the shape).
create or replace function crm.interaction_json_of(i crm.interaction, p_quotes json) returns json
    language sql stable parallel safe
    return json_build_object('id', i.id::text, 'customer_id', i.customer_id::text, 'channel', i.channel, 'direction', i.direction,
        'staff_id', i.staff_id::text, 'outcome', i.outcome, 'summary', i.summary, 'cost', i.cost::text, 'occurred_at', i.occurred_at,
        'quotes', coalesce(p_quotes, '[]'::json));

-- Volatile so that it sees the rows crm.log_interaction has just written; PL/pgSQL so that its
-- statement keeps its plan (a SQL function with sub-selects is planned on every call).
create or replace function crm.interaction_json(p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select crm.interaction_json_of(i,
                   (select json_agg(json_build_object('product_id', q.product_id::text, 'price', q.price::text) order by q.id)
                      from crm.quoted_price q where q.tenant_id = i.tenant_id and q.interaction_id = i.id))
          from crm.interaction i where i.tenant_id = any(crm.visible_tenants()) and i.id = p_id);
end $$;

grant execute on function crm.log_interaction(jsonb), crm.interaction_json(bigint), crm.interaction_json_of(crm.interaction, json) to crm_unit;
