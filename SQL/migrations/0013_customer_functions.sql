-- Customer helper functions: phone and email normalisation, the derived data-capture phase.
set local role crm_owner;

-- E.164 from any common way of writing a number: spaces, dashes, dots and parentheses are
-- dropped; '00' becomes '+'; a single leading '0' is a national number of p_default_country_code.
-- NULL for anything that is not a plausible phone number (letters, fewer than 7 or more than 15 digits).
create function crm.normalize_phone(p text, p_default_country_code text default '49') returns text
    language plpgsql immutable parallel safe as $$
declare
    s text := regexp_replace(coalesce(p, ''), '[\s\-\.\(\)/]', '', 'g');
begin
    if s !~ '^\+?[0-9]+$' then return null; end if;
    if s like '+%' then s := substr(s, 2);
    elsif s like '00%' then s := substr(s, 3);
    elsif s like '0%' then s := p_default_country_code || substr(s, 2);
    end if;
    if length(s) < 7 or length(s) > 15 or s like '0%' then return null; end if;
    return '+' || s;
end $$;

create function crm.normalize_email(p text) returns text language sql immutable parallel safe
    return nullif(lower(btrim(p)), '');

-- Data capture phases: 1 name and email, 2 postal address and phone, 3 purchase preferences.
create function crm.customer_capture_phase(c crm.customer) returns int language sql stable
    return case
        when cardinality(c.emails) = 0 then 0
        when c.address is null or cardinality(c.phones) = 0 then 1
        when c.preferences is null or c.preferences = '{}'::jsonb then 2
        else 3 end;

grant execute on function crm.normalize_phone(text, text), crm.normalize_email(text),
    crm.customer_capture_phase(crm.customer) to crm_unit, crm_reporter, crm_partner;
