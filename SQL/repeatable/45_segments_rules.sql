-- A segment's rules are data: checked here (with the helpers of 45_segments_checks.sql), and compiled into one statement made only of the
-- fixed fragments below. Every value of the rules (a tier, an amount, a product id, a key of the
-- preferences) goes into one jsonb array bound as $1 and is read back as ($1->>k); the unit is $2.
-- Nothing of the input becomes SQL text: a field or an operator only chooses a fragment.
--
--   rules := {"all": [rule, ...]} | {"any": [rule, ...]} | {"not": rule} | leaf
--   leaf  := {"field": F, "op": O, "value": V, ...}      (README, "Segments", lists F and O)
--
-- A bad rule is CR422 (-32602) naming its path, e.g. field "rules.all[1].op", reason "unknown_op".
--
-- How it is compiled. Each node becomes one of three kinds:
--   col   a condition on the customer's own row (stage, address, consent, preferences): c.<...>;
--   pred  a condition on c that holds sub-selects, for use only as a conjunct at the top of a
--         WHERE (so the planner turns EXISTS / NOT EXISTS into hash semi- and anti-joins);
--   set   a query of customer ids (`select ... as id`) over a rollup or another table.
-- "all" ANDs its children as conditions (a set as EXISTS (... x.id = c.id)); "any" ORs columns
-- and otherwise UNIONs sets; "not" negates a column or becomes NOT EXISTS. A sub-select is never
-- put under OR or NOT of a row condition, where it would run once per customer. Sums over a
-- period read crm.customer_month_summary; a comparison that zero satisfies ("spend < 100") is
-- compiled as "no sum that fails it", so customers without a sale are counted.
set local role crm_owner;

-- One node: its kind (col, pred, set) and its SQL; its values are appended to v. n counts the
-- nodes of the whole rules (at most 50), p_depth the nesting (at most 6).
create or replace function crm.segment_compile_node(p_node jsonb, p_path text, p_depth int, inout v jsonb, inout n int,
                                                    out kind text, out sql text)
    language plpgsql stable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    checked jsonb;
    f text := p_node->>'field';
    op text := p_node->>'op';
    val jsonb := p_node->'value';
    combinator text;
    child record;
    parts text[] := '{}';
    kinds text[] := '{}';
    i int;
    k int;
    lo numeric;
    hi numeric;
    col text;
    agg text;
    cond text;
    since int;
    ids jsonb;
begin
    n := n + 1;
    if n > 50 then
        invalid := crm.segment_invalid(p_path, 'too_many_rules', 'rules may have at most 50 nodes');
    end if;
    if p_depth > 6 then
        invalid := crm.segment_invalid(p_path, 'too_deep', 'rules may nest at most 6 levels');
    end if;
    if jsonb_typeof(p_node) is distinct from 'object' then
        invalid := crm.segment_invalid(p_path, 'not_an_object', 'a rule is an object');
    end if;
    select x into combinator from jsonb_object_keys(p_node) x where x in ('all', 'any', 'not') limit 1;
    if combinator is not null then
        if (select count(*) from jsonb_object_keys(p_node)) > 1 then
            invalid := crm.segment_invalid(p_path, 'unknown_key', format('"%s" stands alone in its object', combinator));
        end if;
        if combinator = 'not' then
            select * into child from crm.segment_compile_node(p_node->'not', p_path || '.not', p_depth + 1, v, n);
            v := child.v;
            n := child.n;
            if child.kind = 'col' then
                kind := 'col';
                sql := 'not (' || child.sql || ')';
            else
                kind := 'pred';
                sql := 'not exists (select 1 from (' || crm.segment_as_set(child.kind, child.sql) || ') x where x.id = c.id)';
            end if;
            return;
        end if;
        if jsonb_typeof(p_node->combinator) is distinct from 'array' or jsonb_array_length(p_node->combinator) = 0 then
            invalid := crm.segment_invalid(p_path || '.' || combinator, 'bad_value', 'must be a list of at least one rule');
        end if;
        for i in 0 .. jsonb_array_length(p_node->combinator) - 1 loop
            select * into child from crm.segment_compile_node(p_node->combinator->i, p_path || '.' || combinator || '[' || i || ']',
                                                              p_depth + 1, v, n);
            v := child.v;
            n := child.n;
            kinds := kinds || child.kind;
            parts := parts || child.sql;
        end loop;
        if combinator = 'all' then
            kind := case when 'col' = all (kinds) then 'col' else 'pred' end;
            sql := (select string_agg(case when kinds[j] = 'set' then 'exists (select 1 from (' || parts[j] || ') x where x.id = c.id)'
                                           else '(' || parts[j] || ')' end, ' and ' order by j)
                      from generate_subscripts(parts, 1) j);
        elsif 'col' = all (kinds) then
            kind := 'col';
            sql := (select string_agg('(' || parts[j] || ')', ' or ' order by j) from generate_subscripts(parts, 1) j);
        else
            kind := 'set';
            sql := (select string_agg(crm.segment_as_set(kinds[j], parts[j]), ' union ' order by j) from generate_subscripts(parts, 1) j);
        end if;
        return;
    end if;

    if f is null then
        invalid := crm.segment_invalid(p_path || '.field', 'missing', 'a rule names a field (or is "all", "any" or "not")');
    end if;
    k := jsonb_array_length(v);   -- the index of this rule's first value in $1
    case
    when f in ('lifecycle_stage', 'customer_segment', 'branch', 'country', 'city', 'region', 'postcode') then
        invalid := crm.segment_check_keys(p_node, p_path, array['value']);
        if op is null or op not in ('=', '!=', 'in', 'not_in') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =, !=, in or not_in');
        end if;
        v := v || jsonb_build_array(crm.segment_strings(val, p_path || '.value', op in ('=', '!='),
                 case when f = 'lifecycle_stage' then array['prospect', 'acquired', 'active', 'retained', 'loyal', 'lapsed'] end));
        col := case f when 'lifecycle_stage' then 'c.lifecycle_stage' when 'customer_segment' then 'c.segment'
                      when 'branch' then 'c.branch' when 'country' then '(c.address->>''country'')'
                      when 'city' then '(c.address->>''city'')' when 'region' then '(c.address->>''region'')'
                      when 'postcode' then '(c.address->>''postcode'')' end;
        kind := 'col';
        sql := 'coalesce(' || col || ' = any (array(select jsonb_array_elements_text($1->' || k || '))), false)';
        if op in ('!=', 'not_in') then
            sql := 'not ' || sql;
        end if;

    when f = 'tier' then
        invalid := crm.segment_check_keys(p_node, p_path, array['value', 'year']);
        if op is null or op not in ('=', '!=', 'in', 'not_in') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =, !=, in or not_in');
        end if;
        v := v || jsonb_build_array(crm.segment_strings(val, p_path || '.value', op in ('=', '!='), array['A', 'B', 'C', 'D']),
                                    crm.segment_int(p_node->'year', p_path || '.year', 2000, 2100, extract(year from now())::int));
        sql := 'select s.customer_id as id from crm.customer_tier_snapshot s where s.tenant_id = $2 and s.year = ($1->>'
               || (k + 1) || ')::int and s.tier = any (array(select jsonb_array_elements_text($1->' || k || ')))';
        kind := 'set';
        if op in ('!=', 'not_in') then
            kind := 'pred';
            sql := 'not exists (select 1 from (' || sql || ') x where x.id = c.id)';
        end if;

    when f in ('spend', 'margin', 'orders') then
        invalid := crm.segment_check_keys(p_node, p_path, array['value', 'period_months']);
        if op is null or op not in ('=', '!=', '<', '<=', '>', '>=', 'between') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =, !=, <, <=, >, >= or between');
        end if;
        if op = 'between' then
            if jsonb_typeof(val) is distinct from 'array' or jsonb_array_length(val) <> 2 then
                invalid := crm.segment_invalid(p_path || '.value', 'bad_value', 'between takes [low, high]');
            end if;
            lo := crm.segment_number(val->0, p_path || '.value[0]', f = 'orders');
            hi := crm.segment_number(val->1, p_path || '.value[1]', f = 'orders');
            if lo > hi then
                invalid := crm.segment_invalid(p_path || '.value', 'bad_value', 'low must not exceed high');
            end if;
            cond := ' between ($1->>' || (k + 1) || ')::numeric and ($1->>' || (k + 2) || ')::numeric';
        else
            lo := crm.segment_number(val, p_path || '.value', f = 'orders');
            hi := lo;
            cond := crm.segment_comparison(op) || '($1->>' || (k + 1) || ')::numeric';
        end if;
        since := crm.segment_int(p_node->'period_months', p_path || '.period_months', 1, 120, 12);
        -- The period: the last period_months calendar months, this one included.
        v := v || jsonb_build_array((date_trunc('month', now() at time zone 'UTC') - make_interval(months => since - 1))::date, lo, hi);
        agg := case f when 'spend' then 'sum(m.revenue)' when 'margin' then 'sum(m.revenue - m.cost)' else 'sum(m.orders)' end;
        sql := 'select m.customer_id as id from crm.customer_month_summary m where m.tenant_id = $2 and m.month >= ($1->>'
               || k || ')::date group by m.customer_id having ';
        if crm.segment_zero_satisfies(op, lo, hi) then
            kind := 'pred';
            sql := 'not exists (select 1 from (' || sql || 'not (' || agg || cond || ')) x where x.id = c.id)';
        else
            kind := 'set';
            sql := sql || agg || cond;
        end if;

    when f = 'rfm_score' then
        -- Quintiles among the unit's customers with a sale in the period (5: the most recent last
        -- month with a sale, the most orders, the most revenue; ties by id); 0 without a sale.
        invalid := crm.segment_check_keys(p_node, p_path, array['score', 'value', 'period_months']);
        checked := crm.segment_strings(p_node->'score', p_path || '.score', true, array['r', 'f', 'm']);
        if op is null or op not in ('=', '!=', '<', '<=', '>', '>=', 'between') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =, !=, <, <=, >, >= or between');
        end if;
        if op = 'between' then
            if jsonb_typeof(val) is distinct from 'array' or jsonb_array_length(val) <> 2 then
                invalid := crm.segment_invalid(p_path || '.value', 'bad_value', 'between takes [low, high]');
            end if;
            lo := crm.segment_int(val->0, p_path || '.value[0]', 0, 5, null);
            hi := crm.segment_int(val->1, p_path || '.value[1]', 0, 5, null);
            cond := ' between ($1->>' || (k + 1) || ')::int and ($1->>' || (k + 2) || ')::int';
        else
            lo := crm.segment_int(coalesce(val, 'null'), p_path || '.value', 0, 5, null);
            hi := lo;
            cond := crm.segment_comparison(op) || '($1->>' || (k + 1) || ')::int';
        end if;
        since := crm.segment_int(p_node->'period_months', p_path || '.period_months', 1, 120, 12);
        v := v || jsonb_build_array((date_trunc('month', now() at time zone 'UTC') - make_interval(months => since - 1))::date, lo, hi);
        sql := 'select r.id from (select m.customer_id as id, ntile(5) over (order by '
               || case p_node->>'score' when 'r' then 'max(m.month)' when 'f' then 'sum(m.orders)' else 'sum(m.revenue)' end
               || ', m.customer_id) as score from crm.customer_month_summary m where m.tenant_id = $2 and m.month >= ($1->>'
               || k || ')::date and m.orders > 0 group by m.customer_id) r where ';
        if crm.segment_zero_satisfies(op, lo, hi) then
            kind := 'pred';
            sql := 'not exists (select 1 from (' || sql || 'not (r.score' || cond || ')) x where x.id = c.id)';
        else
            kind := 'set';
            sql := sql || 'r.score' || cond;
        end if;

    when f = 'last_purchase' then
        invalid := crm.segment_check_keys(p_node, p_path, array['value']);
        if op is null or op not in ('within_days', 'not_within_days', 'never') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be within_days, not_within_days or never');
        end if;
        if op = 'never' then
            if val is not null then
                invalid := crm.segment_invalid(p_path || '.value', 'unknown_key', 'never takes no value');
            end if;
            kind := 'pred';
            sql := 'not exists (select 1 from crm.customer_year_summary y where y.tenant_id = $2 and y.customer_id = c.id and y.orders > 0)';
            return;
        end if;
        v := v || jsonb_build_array(crm.segment_int(coalesce(val, 'null'), p_path || '.value', 1, 3650, null));
        sql := 'select o.customer_id as id from crm.sales_order o where o.tenant_id = $2 and crm.is_sale(o.status)'
               || ' and o.ordered_at >= now() - ($1->>' || k || ')::int * interval ''1 day''';
        kind := 'set';
        if op = 'not_within_days' then
            kind := 'pred';
            sql := 'exists (select 1 from crm.customer_year_summary y where y.tenant_id = $2 and y.customer_id = c.id and y.orders > 0)'
                   || ' and not exists (select 1 from (' || sql || ') x where x.id = c.id)';
        end if;

    when f = 'products_bought' then
        invalid := crm.segment_check_keys(p_node, p_path, array['value', 'period_months']);
        if op is null or op not in ('any_of', 'none_of') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be any_of or none_of');
        end if;
        ids := crm.segment_strings(val, p_path || '.value', false);
        select format('%s[%s]', p_path || '.value', o - 1) into col from jsonb_array_elements_text(ids) with ordinality e(x, o)
         where case when x ~ '^[0-9]{1,18}$'
                    then not exists (select 1 from crm.product p where p.tenant_id = (select crm.current_tenant()) and p.id = x::bigint)
                    else true end
         order by o limit 1;
        if col is not null then
            invalid := crm.segment_invalid(col, 'unknown_product', 'no product of this unit has this id');
        end if;
        since := crm.segment_int(p_node->'period_months', p_path || '.period_months', 1, 120, null);
        v := v || jsonb_build_array(ids, case when since is not null
                                              then date_trunc('month', now() at time zone 'UTC') - make_interval(months => since - 1) end);
        sql := 'select o.customer_id as id from crm.order_line l join crm.sales_order o on o.tenant_id = l.tenant_id and o.id = l.order_id'
               || ' where l.tenant_id = $2 and l.product_id = any (array(select x::bigint from jsonb_array_elements_text($1->' || k || ') x))'
               || ' and crm.is_sale(o.status)';
        if since is not null then
            sql := sql || ' and o.ordered_at >= ($1->>' || (k + 1) || ')::timestamp at time zone ''UTC''';
        end if;
        kind := 'set';
        if op = 'none_of' then
            kind := 'pred';
            sql := 'not exists (select 1 from (' || sql || ') x where x.id = c.id)';
        end if;

    when f = 'preference' then
        invalid := crm.segment_check_keys(p_node, p_path, array['key', 'value']);
        if op is null or op not in ('=', '!=', 'contains', 'exists') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =, !=, contains or exists');
        end if;
        if jsonb_typeof(p_node->'key') is distinct from 'string' or length(p_node->>'key') not between 1 and 100 then
            invalid := crm.segment_invalid(p_path || '.key', 'bad_value', 'names a preference: a string of 1 to 100 characters');
        end if;
        if op = 'exists' and val is not null then
            invalid := crm.segment_invalid(p_path || '.value', 'unknown_key', 'exists takes no value');
        end if;
        if op <> 'exists' and (val is null or jsonb_typeof(val) not in ('string', 'number', 'boolean') or length(val::text) > 200) then
            invalid := crm.segment_invalid(p_path || '.value', 'bad_value', 'must be a string, number or boolean');
        end if;
        v := v || jsonb_build_array(p_node->'key', coalesce(val, 'null'));
        kind := 'col';
        sql := case op when 'exists' then 'c.preferences ? ($1->>' || k || ')'
                       when 'contains' then 'coalesce((c.preferences -> ($1->>' || k || ')) @> ($1->' || (k + 1) || '), false)'
                       else 'coalesce((c.preferences -> ($1->>' || k || ')) = ($1->' || (k + 1) || '), false)' end;
        if op = '!=' then
            sql := 'not ' || sql;
        end if;

    when f = 'consent' then
        invalid := crm.segment_check_keys(p_node, p_path, array['channel', 'value']);
        if op is distinct from '=' then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be =');
        end if;
        checked := crm.segment_strings(p_node->'channel', p_path || '.channel', true, array['phone', 'sms', 'email', 'mail']);
        if jsonb_typeof(val) is distinct from 'boolean' then
            invalid := crm.segment_invalid(p_path || '.value', 'bad_value', 'must be true or false');
        end if;
        v := v || jsonb_build_array(p_node->'channel');
        kind := 'col';
        -- Consent is given only by an explicit true; false and unknown are alike.
        sql := 'coalesce(c.consent -> ($1->>' || k || ') = ''true''::jsonb, false)';
        if val = 'false' then
            sql := 'not ' || sql;
        end if;

    when f = 'shared_with' then
        invalid := crm.segment_check_keys(p_node, p_path, array['value']);
        if op is null or op not in ('in', 'any_unit') then
            invalid := crm.segment_invalid(p_path || '.op', 'unknown_op', 'must be in or any_unit');
        end if;
        if op = 'in' then
            ids := crm.segment_strings(val, p_path || '.value', false);
            select format('%s[%s]', p_path || '.value', o - 1) into col from jsonb_array_elements_text(ids) with ordinality e(x, o)
             where not exists (select 1 from crm.tenant_directory() t where t.slug = x) order by o limit 1;
            if col is not null then
                invalid := crm.segment_invalid(col, 'unknown_unit', 'no unit has this slug');
            end if;
            v := v || jsonb_build_array((select jsonb_agg(t.id) from crm.tenant_directory() t
                                          where t.slug in (select jsonb_array_elements_text(ids))));
            cond := ' and s.shared_with = any (array(select x::uuid from jsonb_array_elements_text($1->' || k || ') x))';
        elsif val is not null then
            invalid := crm.segment_invalid(p_path || '.value', 'unknown_key', 'any_unit takes no value');
        else
            cond := '';
        end if;
        kind := 'set';
        -- Shares of single customers, and every customer when the unit shares them all.
        sql := 'select s.customer_id as id from crm.customer_share s where s.tenant_id = $2 and s.revoked_at is null'
               || ' and s.customer_id is not null' || cond
               || ' union all select c.id from crm.customer c where c.tenant_id = $2 and exists (select 1 from crm.customer_share s'
               || ' where s.tenant_id = $2 and s.revoked_at is null and s.customer_id is null' || cond || ')';

    else
        invalid := crm.segment_invalid(p_path || '.field', 'unknown_field',
            'must be one of tier, lifecycle_stage, customer_segment, branch, country, city, region, postcode, spend, margin, '
            || 'orders, rfm_score, last_purchase, products_bought, preference, consent, shared_with');
    end case;
end $$;

-- A node as a query of customer ids: a condition becomes the unit's customers that meet it.
create or replace function crm.segment_as_set(p_kind text, p_sql text) returns text language sql immutable
    return case when p_kind = 'set' then p_sql
                else 'select c.id from crm.customer c where c.tenant_id = $2 and (' || p_sql || ')' end;

-- The statement of the unit's live customers (not merged away) that the rules select, as
-- `select c.id from crm.customer c where ...` with $1 = the values (returned) and $2 = the unit.
-- Callers append conditions on c and the order and limit.
create or replace function crm.segment_compile(p_rules jsonb, out sql text, out vals jsonb)
    language plpgsql stable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    r record;
begin
    if p_rules is null or jsonb_typeof(p_rules) <> 'object' then
        invalid := crm.segment_invalid('rules', 'not_an_object', 'rules are an object');
    end if;
    select * into r from crm.segment_compile_node(p_rules, 'rules', 1, '[]'::jsonb, 0);
    vals := r.v;
    sql := 'select c.id from crm.customer c where c.tenant_id = $2 and c.merged_into is null and ('
           || case when r.kind = 'set' then 'exists (select 1 from (' || r.sql || ') x where x.id = c.id)' else r.sql end || ')';
end $$;
comment on function crm.segment_compile(jsonb) is
    'Checks a segment''s rules (CR422 naming the bad rule''s path) and compiles them into a statement of fixed fragments: its values go in vals, bound as $1, the unit as $2.';

grant execute on function crm.segment_compile_node(jsonb, text, int, jsonb, int), crm.segment_as_set(text, text), crm.segment_compile(jsonb)
    to crm_unit, crm_viewer;
