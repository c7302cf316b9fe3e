-- A unit's settings (issue 18): read and changed by the unit's managers and directors through
-- settings.get / settings.update, which are one call each of crm.settings_json() and
-- crm.update_settings(jsonb). Every setting lives where its reader has always read it:
--
--   setting                 stored in                            read by (default)
--   default_country_code    crm.tenant.settings                  crm.normalize_phone's callers (49)
--   sla_hours.<priority>    crm.tenant.settings                  crm.open_case (urgent 4, high 24, normal 72, low 168)
--   customer_tiers.A/.B     crm.tenant.settings                  report.customer_tier(s) (0.5, 0.8)
--   product_tiers.A/.B      crm.tenant.settings                  crm.product_tier(_of) (0.40, 0.20)
--   commission_rates.A/B/C  crm.commission_rate (a row per tier) report.staff_commission (0)
--   holidays                crm.tenant.settings                  crm.run_task_rules ([])
--   care_call_days, greeting_days_before, visit_weeks_top_tier   crm.run_task_rules (30, 7, 8)
--   campaign_approvals.design/.budget  crm.tenant.settings       crm.campaign_approvers (manager; director)
--   crm_roi.*               crm.tenant.settings                  report.crm_roi (0)
--   deal_conflict_days      crm.tenant.settings                  crm.find_deal_conflict (90)
--   lead_offer_hours        crm.tenant.settings                  crm.lead_offer_hours (48)
--   tier_service.<tier>     crm.tenant.settings                  crm.create_order (no rule; 47_tier_service.sql)
--   event_retention_days    crm.tenant.settings                  crm.event_retention_days, crm.purge_events (7)
--
-- SLA hours are per case priority (urgent, high, normal, low), as crm.open_case reads them.
-- Holidays are stored as [{"date": "YYYY-MM-DD", "name": ...}] (the name is the greeting task's
-- note); crm.update_settings also takes plain "YYYY-MM-DD" strings.
--
-- Update semantics: each top-level key given replaces that setting; for the object settings
-- (sla_hours, customer_tiers, product_tiers, commission_rates, campaign_approvals, crm_roi) each
-- member given replaces that member and the others stay. A null (the setting, or a member) goes
-- back to the default. Every value is checked before anything is written; the first bad one is
-- an error CR422 (-32602) whose field names the setting ("sla_hours.urgent", "holidays[2].date")
-- and whose hint (data.reason) says why. A change is written to crm.audit_log (entity 'settings',
-- each changed setting from and to). Security invoker: the settings column of the caller's own
-- unit is writable by crm_unit for managers and directors only (0043_unit_settings.sql).
set local role crm_owner;

-- What a unit that never set anything gets: the defaults the readers above apply.
create or replace function crm.settings_defaults() returns jsonb language sql immutable parallel safe
    return '{"default_country_code": "49",
             "sla_hours": {"urgent": 4, "high": 24, "normal": 72, "low": 168},
             "customer_tiers": {"A": 0.5, "B": 0.8},
             "product_tiers": {"A": 0.40, "B": 0.20},
             "commission_rates": {"A": 0, "B": 0, "C": 0},
             "holidays": [],
             "care_call_days": 30, "greeting_days_before": 7, "visit_weeks_top_tier": 8,
             "campaign_approvals": {"design": ["manager"], "budget": ["director"]},
             "crm_roi": {"implementation_per_customer": 0, "upkeep_per_customer": 0, "staff_per_customer": 0,
                         "hardware_per_customer": 0, "training_per_customer": 0, "upgrades_per_customer": 0,
                         "success_rate": 0},
             "deal_conflict_days": 90, "lead_offer_hours": 48, "event_retention_days": 7}'::jsonb;
comment on function crm.settings_defaults() is
    'The value of each unit setting when the unit has not set it (as the readers of each setting apply it).';

-- A unit's settings in force: what it stored, with defaults where it stored nothing, and its
-- commission rates. Keys the list above does not know are passed through as stored.
create or replace function crm.settings_effective(p_stored jsonb, p_rates jsonb) returns jsonb
    language sql immutable parallel safe
    return coalesce(p_stored, '{}') || (
        select jsonb_object_agg(d.key,
                   case when d.key = 'commission_rates' then d.value || coalesce(p_rates, '{}')
                        when jsonb_typeof(d.value) = 'object' and jsonb_typeof(p_stored->d.key) = 'object'
                            then d.value || (p_stored->d.key)
                        else coalesce(p_stored->d.key, d.value) end)
          from jsonb_each(crm.settings_defaults()) d);
comment on function crm.settings_effective(jsonb, jsonb) is
    'The settings in force from the stored settings and the commission rates by tier: defaults filled in.';

-- settings.get: the caller's unit's settings in force (a manager's or director's request).
create or replace function crm.settings_json() returns json language sql stable as $$
    select crm.settings_effective(t.settings,
               (select jsonb_object_agg(r.tier, trim_scale(r.rate)) from crm.commission_rate r where r.tenant_id = t.id))::json
      from crm.tenant t where t.id = (select crm.current_tenant())
$$;
comment on function crm.settings_json() is
    'settings.get: every setting of the caller''s unit in force (stored values, defaults where none), commission rates by product tier included.';

-- Raises the error of a bad setting: -32602 with data.field and data.reason.
create or replace function crm.settings_invalid(p_field text, p_reason text) returns void language plpgsql as $$
begin
    raise exception 'invalid params: % %', p_field, p_reason
        using errcode = 'CR422', detail = 'field=' || p_field, hint = p_reason;
end $$;
comment on function crm.settings_invalid(text, text) is 'Raises CR422 (invalid params) naming a setting and the reason.';

-- A JSON number within [p_min, p_max] (whole when p_whole, at most p_scale decimals), or the error.
create or replace function crm.settings_number(v jsonb, p_field text, p_min numeric, p_max numeric,
                                               p_whole boolean default false, p_scale int default null) returns numeric
    language plpgsql as $$
declare
    n numeric;
begin
    if jsonb_typeof(v) is distinct from 'number' then
        perform crm.settings_invalid(p_field, case when p_whole then 'must be a whole number' else 'must be a number' end);
    end if;
    n := (v #>> '{}')::numeric;
    if p_whole and n <> trunc(n) then
        perform crm.settings_invalid(p_field, 'must be a whole number');
    end if;
    if p_scale is not null and n <> round(n, p_scale) then
        perform crm.settings_invalid(p_field, format('has more than %s decimals', p_scale));
    end if;
    if n < p_min or n > p_max then
        perform crm.settings_invalid(p_field, format('must be between %s and %s', p_min, p_max));
    end if;
    return n;
end $$;
comment on function crm.settings_number(jsonb, text, numeric, numeric, boolean, int) is
    'Checks that a setting is a number in range (whole, or with at most so many decimals); raises CR422 naming it otherwise.';

-- settings.update: checks every given setting, writes them (crm.tenant.settings, crm.commission_rate),
-- audits the change, and answers crm.settings_json(). See the head of this file.
create or replace function crm.update_settings(p jsonb) returns json language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_roles constant text[] := array['manager', 'director', 'agent', 'marketing', 'designer'];
    v_members constant jsonb := '{"sla_hours": ["urgent", "high", "normal", "low"],
                                  "customer_tiers": ["A", "B"], "product_tiers": ["A", "B"],
                                  "commission_rates": ["A", "B", "C"],
                                  "campaign_approvals": ["design", "budget"],
                                  "crm_roi": ["implementation_per_customer", "upkeep_per_customer", "staff_per_customer",
                                              "hardware_per_customer", "training_per_customer", "upgrades_per_customer",
                                              "success_rate"]}';
    v_whole constant jsonb := '{"care_call_days": [1, 365], "greeting_days_before": [0, 90], "visit_weeks_top_tier": [1, 104],
                                "deal_conflict_days": [1, 3650], "lead_offer_hours": [1, 720],
                                "event_retention_days": [1, 365]}';
    v_old jsonb;
    v_new jsonb;
    v_rates_old jsonb;
    v_rates jsonb := '{}';
    v_eff jsonb;
    k text;
    v jsonb;
    m text;
    mv jsonb;
    f text;
    code text;
    item jsonb;
    i int;
    d date;
    v_days date[] := '{}';
    v_list jsonb;
    v_changed jsonb;
begin
    perform crm.require_app_role(array['manager', 'director']);
    if v_tenant is null then
        raise exception 'forbidden: settings belong to a business unit' using errcode = 'CR403';
    end if;
    if p is null or jsonb_typeof(p) <> 'object' then
        perform crm.settings_invalid('params', 'must be an object of settings');
    end if;
    select t.settings into v_old from crm.tenant t where t.id = v_tenant for update;
    if not found then
        raise exception 'forbidden: only the unit''s managers and directors change its settings' using errcode = 'CR403';
    end if;
    select coalesce(jsonb_object_agg(r.tier, trim_scale(r.rate)), '{}') into v_rates_old from crm.commission_rate r where r.tenant_id = v_tenant;
    v_new := v_old;

    for k, v in select e.key, e.value from jsonb_each(p) e order by e.key loop
        if k = 'default_country_code' then
            if jsonb_typeof(v) = 'null' then
                v_new := v_new - k;
                continue;
            end if;
            code := case when jsonb_typeof(v) in ('string', 'number') then ltrim(btrim(v #>> '{}'), '+') end;
            if code is null or code !~ '^[1-9][0-9]{0,2}$'
               or not exists (select 1 from crm.phone_numbering n where n.country_code = code) then
                perform crm.settings_invalid(k, 'must be a country calling code with numbering rules (crm.phone_numbering: 1, 44, 49, ...)');
            end if;
            v_new := jsonb_set(v_new, array[k], to_jsonb(code));

        elsif v_members ? k then
            if jsonb_typeof(v) = 'null' then
                v_new := v_new - k;
                if k = 'commission_rates' then
                    v_rates := '{"A": 0, "B": 0, "C": 0}';
                end if;
                continue;
            end if;
            if jsonb_typeof(v) <> 'object' then
                perform crm.settings_invalid(k, format('must be an object of %s', (select string_agg(x, ', ') from jsonb_array_elements_text(v_members->k) x)));
            end if;
            for m, mv in select e.key, e.value from jsonb_each(v) e order by e.key loop
                f := k || '.' || m;
                if not (v_members->k) ? m then
                    perform crm.settings_invalid(f, format('is not a member of %s (one of %s)', k,
                        (select string_agg(x, ', ') from jsonb_array_elements_text(v_members->k) x)));
                end if;
                continue when jsonb_typeof(mv) = 'null';
                case k
                when 'sla_hours' then
                    perform crm.settings_number(mv, f, 0.25, 8760);
                when 'customer_tiers' then
                    perform crm.settings_number(mv, f, 0.01, 1);
                when 'product_tiers' then
                    perform crm.settings_number(mv, f, 0, 1);
                when 'commission_rates' then
                    perform crm.settings_number(mv, f, 0, 1, false, 4);
                when 'crm_roi' then
                    if m = 'success_rate' then
                        perform crm.settings_number(mv, f, 0, 1);
                    else
                        perform crm.settings_number(mv, f, 0, 1000000000);
                    end if;
                when 'campaign_approvals' then
                    if jsonb_typeof(mv) <> 'array' or jsonb_array_length(mv) = 0 then
                        perform crm.settings_invalid(f, format('must be a list of roles (%s)', array_to_string(v_roles, ', ')));
                    end if;
                    for i in 0 .. jsonb_array_length(mv) - 1 loop
                        if jsonb_typeof(mv->i) <> 'string' or not (mv->>i) = any (v_roles) then
                            perform crm.settings_invalid(format('%s[%s]', f, i), format('must be one of the roles %s', array_to_string(v_roles, ', ')));
                        end if;
                        if exists (select 1 from jsonb_array_elements(mv) with ordinality x(r, o) where x.r = mv->i and x.o - 1 < i) then
                            perform crm.settings_invalid(format('%s[%s]', f, i), 'names a role twice');
                        end if;
                    end loop;
                end case;
            end loop;
            if k = 'commission_rates' then
                v_rates := v_rates || (select coalesce(jsonb_object_agg(e.key, case when jsonb_typeof(e.value) = 'null' then '0'::jsonb else e.value end), '{}')
                                         from jsonb_each(v) e);
            else
                v_new := jsonb_set(v_new, array[k],
                    (select coalesce(jsonb_object_agg(e.key, e.value), '{}') from jsonb_each(
                        case when jsonb_typeof(v_old->k) = 'object' then v_old->k else '{}' end || v) e
                      where jsonb_typeof(e.value) <> 'null'));
                if v_new->k = '{}' then v_new := v_new - k; end if;
            end if;

        elsif k = 'holidays' then
            if jsonb_typeof(v) = 'null' then
                v_new := v_new - k;
                continue;
            end if;
            if jsonb_typeof(v) <> 'array' then
                perform crm.settings_invalid(k, 'must be a list of dates ("YYYY-MM-DD", or {"date": ..., "name": ...})');
            end if;
            if jsonb_array_length(v) > 366 then
                perform crm.settings_invalid(k, 'has more than 366 dates');
            end if;
            v_list := '[]';
            for i in 0 .. jsonb_array_length(v) - 1 loop
                item := v->i;
                if jsonb_typeof(item) = 'string' then
                    item := jsonb_build_object('date', item);
                elsif jsonb_typeof(item) <> 'object' then
                    perform crm.settings_invalid(format('holidays[%s]', i), 'must be a date ("YYYY-MM-DD") or {"date": ..., "name": ...}');
                end if;
                if exists (select 1 from jsonb_object_keys(item) x where x not in ('date', 'name')) then
                    perform crm.settings_invalid(format('holidays[%s].%s', i, (select x from jsonb_object_keys(item) x where x not in ('date', 'name') order by x limit 1)),
                                                 'is not a member of a holiday (date, name)');
                end if;
                d := null;
                if jsonb_typeof(item->'date') = 'string' and item->>'date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' then
                    begin
                        d := (item->>'date')::date;
                    exception when others then
                        d := null;
                    end;
                end if;
                if d is null or d not between date '2000-01-01' and date '2199-12-31' then
                    perform crm.settings_invalid(format('holidays[%s].date', i), 'must be a date, YYYY-MM-DD (2000 to 2199)');
                end if;
                if d = any (v_days) then
                    perform crm.settings_invalid(format('holidays[%s].date', i), 'appears twice');
                end if;
                if item ? 'name' and (jsonb_typeof(item->'name') <> 'string' or length(item->>'name') not between 1 and 100) then
                    perform crm.settings_invalid(format('holidays[%s].name', i), 'must be a text of 1 to 100 characters');
                end if;
                v_days := v_days || d;
                v_list := v_list || jsonb_build_array(jsonb_build_object('date', to_char(d, 'YYYY-MM-DD'),
                                                                         'name', coalesce(item->>'name', 'holiday')));
            end loop;
            v_new := jsonb_set(v_new, array[k], (select coalesce(jsonb_agg(x order by x->>'date'), '[]') from jsonb_array_elements(v_list) x));

        elsif k = 'tier_service' then
            -- Checked and merged tier by tier (47_tier_service.sql); null removes the rules.
            v_list := crm.tier_service_setting(v_old->k, v);
            v_new := case when v_list is null then v_new - k else jsonb_set(v_new, array[k], v_list) end;

        elsif v_whole ? k then
            if jsonb_typeof(v) = 'null' then
                v_new := v_new - k;
                continue;
            end if;
            perform crm.settings_number(v, k, (v_whole #>> array[k, '0'])::numeric, (v_whole #>> array[k, '1'])::numeric, true);
            v_new := jsonb_set(v_new, array[k], to_jsonb((v #>> '{}')::numeric::int));

        else
            perform crm.settings_invalid(k, 'is not a unit setting');
        end if;
    end loop;

    -- Checks across members, on the values in force after the change.
    v_eff := crm.settings_effective(v_new, v_rates_old || v_rates);
    if (v_eff #>> '{customer_tiers,A}')::numeric >= (v_eff #>> '{customer_tiers,B}')::numeric then
        perform crm.settings_invalid(case when p #> '{customer_tiers,B}' is not null then 'customer_tiers.B' else 'customer_tiers.A' end,
            'customer_tiers.A (the share of the margin of tier A) must be below customer_tiers.B');
    end if;
    if (v_eff #>> '{product_tiers,A}')::numeric <= (v_eff #>> '{product_tiers,B}')::numeric then
        perform crm.settings_invalid(case when p #> '{product_tiers,B}' is not null then 'product_tiers.B' else 'product_tiers.A' end,
            'product_tiers.A (the lowest margin rate of tier A) must be above product_tiers.B');
    end if;

    update crm.tenant t set settings = v_new where t.id = v_tenant;
    insert into crm.commission_rate as c (tenant_id, tier, rate)
    select v_tenant, e.key, (e.value #>> '{}')::numeric from jsonb_each(v_rates) e
    on conflict (tenant_id, tier) do update set rate = excluded.rate where c.rate is distinct from excluded.rate;

    select jsonb_object_agg(x.key, jsonb_build_object('from', v_old->x.key, 'to', v_new->x.key)) into v_changed
      from (select jsonb_object_keys(v_old) as key union select jsonb_object_keys(v_new)) x
     where (v_old->x.key) is distinct from (v_new->x.key);
    if v_rates_old is distinct from (v_rates_old || v_rates) then
        v_changed := coalesce(v_changed, '{}') || jsonb_build_object('commission_rates',
            jsonb_build_object('from', v_rates_old, 'to', v_rates_old || v_rates));
    end if;
    if v_changed is not null then
        insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
        values (v_tenant, crm.current_principal(), 'update', 'settings', null,
                jsonb_build_object('changed', v_changed, 'app_role', crm.current_app_role()));
    end if;
    return crm.settings_json();
end $$;
comment on function crm.update_settings(jsonb) is
    'settings.update: checks and writes the given settings of the caller''s unit (managers and directors), audits the change, and returns crm.settings_json().';

grant execute on function crm.settings_defaults(), crm.settings_effective(jsonb, jsonb), crm.settings_json(),
    crm.settings_invalid(text, text), crm.settings_number(jsonb, text, numeric, numeric, boolean, int),
    crm.update_settings(jsonb)
    to crm_unit;
