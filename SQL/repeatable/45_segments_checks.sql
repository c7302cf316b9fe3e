-- The checks of a segment's rules (45_segments_rules.sql compiles them): each value is checked
-- where it is read, and a bad one is CR422 (-32602) naming its path in the rules and a reason
-- (field "rules.all[1].value", reason "bad_value").
set local role crm_owner;

-- Raises CR422 naming the rule's path and the reason. It returns nothing: callers write
-- `invalid := crm.segment_invalid(...)`, as a PERFORM would mark them as writers, and viewers
-- run the compiler (07_viewer_and_revocation.sql checks that no function of theirs writes).
create or replace function crm.segment_invalid(p_path text, p_reason text, p_message text) returns boolean
    language plpgsql immutable as $$
begin
    raise exception 'invalid params: %: %', p_path, p_message using errcode = 'CR422', detail = 'field=' || p_path, hint = p_reason;
end $$;

-- A value of the rule that must be a list of short strings (or, with p_single, one string).
create or replace function crm.segment_strings(p_value jsonb, p_path text, p_single boolean, p_allowed text[] default null)
    returns jsonb language plpgsql stable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    v jsonb := case when p_single and jsonb_typeof(p_value) = 'string' then jsonb_build_array(p_value) else p_value end;
    bad text;
begin
    if p_single and jsonb_typeof(p_value) is distinct from 'string' then
        invalid := crm.segment_invalid(p_path, 'bad_value', 'must be a string');
    end if;
    if jsonb_typeof(v) is distinct from 'array' or jsonb_array_length(v) not between 1 and 100 then
        invalid := crm.segment_invalid(p_path, 'bad_value', 'must be a list of 1 to 100 strings');
    end if;
    select coalesce(x #>> '{}', 'null') into bad from jsonb_array_elements(v) x
     where jsonb_typeof(x) <> 'string' or length(x #>> '{}') > 200
        or (p_allowed is not null and not (x #>> '{}') = any (p_allowed)) limit 1;
    if bad is not null then
        invalid := crm.segment_invalid(p_path, 'bad_value',
            case when p_allowed is null then 'each must be a string of at most 200 characters'
                 else format('%s is not one of %s', bad, array_to_string(p_allowed, ', ')) end);
    end if;
    return v;
end $$;

-- A number of the rule: an amount (at most two decimals) or, with p_whole, a whole number.
create or replace function crm.segment_number(p_value jsonb, p_path text, p_whole boolean) returns numeric
    language plpgsql immutable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    s text := p_value #>> '{}';
    pattern text := case when p_whole then '^-?[0-9]{1,12}$' else '^-?[0-9]{1,15}(\.[0-9]{1,2})?$' end;
begin
    if jsonb_typeof(p_value) not in ('number', 'string') or s !~ pattern then
        invalid := crm.segment_invalid(p_path, 'bad_value', case when p_whole then 'must be a whole number' else 'must be an amount with at most two decimals' end);
    end if;
    return s::numeric;
end $$;

-- A whole number within bounds, or the default when absent.
create or replace function crm.segment_int(p_value jsonb, p_path text, p_min int, p_max int, p_default int) returns int
    language plpgsql immutable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    n numeric;
begin
    if p_value is null then
        return p_default;
    end if;
    n := crm.segment_number(p_value, p_path, true);
    if n not between p_min and p_max then
        invalid := crm.segment_invalid(p_path, 'out_of_range', format('must be between %s and %s', p_min, p_max));
    end if;
    return n::int;
end $$;

-- The keys a rule may have besides field and op (false, or CR422 naming the first other key).
create or replace function crm.segment_check_keys(p_node jsonb, p_path text, p_allowed text[]) returns boolean
    language plpgsql immutable as $$
declare
    invalid boolean;   -- see crm.segment_invalid
    k text;
begin
    select x into k from jsonb_object_keys(p_node) x where not x = any (p_allowed || array['field', 'op']) order by x limit 1;
    if k is not null then
        invalid := crm.segment_invalid(p_path || '.' || k, 'unknown_key', format('a %s rule has no %s', p_node->>'field', k));
    end if;
    return false;
end $$;

-- The comparison operators of numbers, as fixed SQL text.
create or replace function crm.segment_comparison(p_op text) returns text language sql immutable
    return case p_op when '=' then ' = ' when '!=' then ' <> ' when '<' then ' < ' when '<=' then ' <= '
                     when '>' then ' > ' when '>=' then ' >= ' end;

-- Whether zero satisfies "x op value" (or "x between lo and hi").
create or replace function crm.segment_zero_satisfies(p_op text, p_lo numeric, p_hi numeric) returns boolean
    language sql immutable
    return case p_op when '=' then p_lo = 0 when '!=' then p_lo <> 0 when '<' then 0 < p_lo when '<=' then 0 <= p_lo
                     when '>' then 0 > p_lo when '>=' then 0 >= p_lo when 'between' then 0 between p_lo and p_hi end;

grant execute on function crm.segment_invalid(text, text, text), crm.segment_strings(jsonb, text, boolean, text[]),
    crm.segment_number(jsonb, text, boolean), crm.segment_int(jsonb, text, int, int, int),
    crm.segment_check_keys(jsonb, text, text[]), crm.segment_comparison(text), crm.segment_zero_satisfies(text, numeric, numeric)
    to crm_unit, crm_viewer;
