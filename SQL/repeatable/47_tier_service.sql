-- Tier-based service: a unit gives the tiers of its customers (A, B, C, D: this year's
-- crm.customer_tier_snapshot, as customers.lookup shows it) a price rule and a delivery promise.
--
--   setting tier_service (crm.tenant.settings), e.g.
--     {"A": {"discount_percent": 10, "delivery_days": 1}, "B": {"discount_percent": 5, "delivery_days": 3}}
--   discount_percent   0 to 100, two decimals: taken off the list price of every order line that
--                      comes without a unit_price of its own (a given unit_price is the agreed price)
--   delivery_days      0 to 365: the order is promised for delivery by ordered_at + so many days
--
-- settings.update checks it (crm.tier_service_setting); each tier given replaces that tier's rule,
-- null removes it, a null setting removes every rule. No rule (the default, or a customer without a
-- tier this year, or a tier without a rule) leaves the order exactly as before: list prices, no
-- promise. orders.create and quotes.create (crm.create_order) read the rule here: for a unit without
-- rules one indexed read of the unit's row; with rules, the customer check also reads the customer's
-- snapshot row, in the same statement. The order keeps what was applied (sales_order.service_tier,
-- discount_percent, discount_amount, delivery_days) and crm.order_json shows it as tier_service.
set local role crm_owner;

-- settings.update's check and merge of tier_service: the stored rules with the given tiers
-- replaced (null: removed); raises CR422 naming the member (tier_service.A.discount_percent).
create or replace function crm.tier_service_setting(p_stored jsonb, p_given jsonb) returns jsonb
    language plpgsql as $$
declare
    v_tiers constant text[] := array['A', 'B', 'C', 'D'];
    v_out jsonb := case when jsonb_typeof(p_stored) = 'object' then p_stored else '{}' end;
    k text;
    v jsonb;
    m text;
    mv jsonb;
begin
    if jsonb_typeof(p_given) = 'null' then
        return null;
    end if;
    if jsonb_typeof(p_given) <> 'object' then
        perform crm.settings_invalid('tier_service', 'must be an object of customer tiers (A, B, C, D), each {"discount_percent": ..., "delivery_days": ...}');
    end if;
    for k, v in select e.key, e.value from jsonb_each(p_given) e order by e.key loop
        if not k = any (v_tiers) then
            perform crm.settings_invalid('tier_service.' || k, 'is not a customer tier (A, B, C, D)');
        end if;
        if jsonb_typeof(v) = 'null' then
            v_out := v_out - k;
            continue;
        end if;
        if jsonb_typeof(v) <> 'object' or v = '{}' then
            perform crm.settings_invalid('tier_service.' || k, 'must be an object with discount_percent and/or delivery_days');
        end if;
        for m, mv in select e.key, e.value from jsonb_each(v) e order by e.key loop
            if m = 'discount_percent' then
                perform crm.settings_number(mv, 'tier_service.' || k || '.' || m, 0, 100, false, 2);
            elsif m = 'delivery_days' then
                perform crm.settings_number(mv, 'tier_service.' || k || '.' || m, 0, 365, true);
            else
                perform crm.settings_invalid('tier_service.' || k || '.' || m, 'is not a member of a tier rule (discount_percent, delivery_days)');
            end if;
        end loop;
        v_out := jsonb_set(v_out, array[k], v);
    end loop;
    return nullif(v_out, '{}');
end $$;
comment on function crm.tier_service_setting(jsonb, jsonb) is
    'Checks a tier_service setting (per customer tier: discount_percent 0-100, delivery_days 0-365) and merges it into the stored one; CR422 names a bad member.';

-- The rule an order of this customer gets, and whether the customer is the unit's (the check
-- crm.create_order makes anyway). tier, discount_percent and delivery_days are null without a rule.
create or replace function crm.order_tier_service(p_tenant uuid, p_customer bigint,
                                                  out customer_found boolean, out tier text, out discount_percent numeric,
                                                  out delivery_days int)
    language plpgsql stable as $$
declare
    v_rules jsonb := (select t.settings->'tier_service' from crm.tenant t where t.id = p_tenant);
begin
    if v_rules is null or jsonb_typeof(v_rules) <> 'object' or v_rules = '{}' then
        customer_found := exists (select 1 from crm.customer c where c.tenant_id = p_tenant and c.id = p_customer);
        return;
    end if;
    select true, s.tier into customer_found, tier
      from crm.customer c
      left join crm.customer_tier_snapshot s on s.tenant_id = c.tenant_id and s.customer_id = c.id
                                            and s.year = extract(year from now())::int
     where c.tenant_id = p_tenant and c.id = p_customer;
    customer_found := coalesce(customer_found, false);
    if tier is null or not v_rules ? tier then
        tier := null;
        return;
    end if;
    discount_percent := coalesce((v_rules #>> array[tier, 'discount_percent'])::numeric, 0);
    delivery_days := (v_rules #>> array[tier, 'delivery_days'])::int;
end $$;
comment on function crm.order_tier_service(uuid, bigint) is
    'For crm.create_order: whether the customer is the unit''s, and the tier_service rule of its tier this year (null without one).';

-- The tier service an order shows: crm.order_tier_service_json, with the order's JSON (22_orders_api.sql).

grant execute on function crm.tier_service_setting(jsonb, jsonb), crm.order_tier_service(uuid, bigint) to crm_unit;
