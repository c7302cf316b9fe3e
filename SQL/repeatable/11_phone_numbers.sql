-- Phone numbers as each unit's country writes them (issue 18): the one definition of
-- crm.normalize_phone, the rules it reads (crm.phone_rule, compiled from crm.phone_numbering of
-- 0042_phone_numbering.sql) and the recomputation of stored phone keys when the rules change.
--
-- crm.normalize_phone follows libphonenumber's parser (PhoneNumberUtil.parse) for a default
-- region, with the country's rules as data:
--   1. an extension ("ext. 12", "x12", ";ext=12", "#12", "extension 12") is not part of the number:
--      it is dropped from the key (crm.phone_extension(text) gives it, for a caller that keeps it);
--   2. spaces, dashes, dots, parentheses, brackets, slashes and tildes ("8~10": wait for the
--      tone) are dropped, in their Unicode variants too; anything else left but digits
--      and one leading "+" makes it no phone number (NULL);
--   3. "+", or the unit country's international call prefix (00; 011 in the NANP; 810 in RU; ...)
--      followed by a digit other than 0, starts an international number: its country code is the
--      first 1-3 digits that are a code of crm.phone_numbering (a code not in the table: the digits
--      are kept as they are);
--   4. otherwise the number is national in the unit's country; written with the country code but
--      no "+" (4930..., 1415...), the code is taken off when the rest is a national number and the
--      whole is not (or is too long);
--   5. the country's national (trunk) prefix is stripped (0 in DE, GB, FR; 1 in the NANP; 8 in RU;
--      carrier codes too in BR, CO, KR), unless the number was a national number before and is not
--      after, or the rest is too short; where there is none (IT, ES, ...) a leading 0 stays: +39 06...;
--   6. the result is "+", the code and the national number, 7 to 15 digits, else NULL.
-- Unknown default codes fall back to the rules the function had before issue 18 (national
-- prefix 0, international prefix 00, every length possible).
--
-- Cost: the rules are constants (crm.phone_rule, an inlined SQL function), not a table read, so
-- the function stays immutable and cheap for imports (tens of thousands of rows a second);
-- PostgreSQL caches the few regular expressions a unit's numbers need.
set local role crm_owner;

-- Builds crm.phone_rule(code) from the rows of crm.phone_numbering: the rows as one constant array,
-- indexed by the code's position in a constant array of the codes. (A CASE with a branch per code
-- read the same, but PL/pgSQL sets up each expression that holds it again in every transaction,
-- and setting up its sixty comparisons took about 6 of the 23 us of crm.normalize_phone's first
-- call in a transaction, the one call a customers.lookup makes.) The text is built from the owner's reference rows (quoted with format's %L),
-- never from a request's input. Run below on every migrate and by the trigger after any change of
-- the table.
create or replace function crm.compile_phone_rules() returns void language plpgsql as $$
declare
    v_rules text;
    v_codes text;
    branches text;
begin
    select format('%L::crm.phone_numbering[]', array_agg(n order by n.country_code)::text),
           format('%L::text[]', array_agg(n.country_code order by n.country_code)::text)
      into v_rules, v_codes from crm.phone_numbering n having count(*) > 0;
    execute format($f$create or replace function crm.phone_rule(p_country_code text) returns crm.phone_numbering
                       language sql immutable parallel safe return %s$f$,
                   coalesce(format('(%s)[array_position(%s, p_country_code)]', v_rules, v_codes), 'null::crm.phone_numbering'));
    comment on function crm.phone_rule(text) is
        'The numbering rules (a row of crm.phone_numbering) of a country calling code, or NULL: constants compiled from the table by crm.compile_phone_rules(), so that crm.normalize_phone reads no table.';
    -- Country codes are prefix-free: at most one of the first 1, 2, 3 digits is a code.
    select string_agg(format(' when left(p_digits, %s) = any (%L::text[]) then %s', l, codes, l), '' order by l)
      into branches
      from (select length(n.country_code) as l, array_agg(n.country_code order by n.country_code) as codes
              from crm.phone_numbering n group by 1) g;
    execute format($f$create or replace function crm.phone_code_length(p_digits text) returns int
                       language sql immutable parallel safe return case%s end$f$,
                   coalesce(branches, ' when false then null'));
    comment on function crm.phone_code_length(text) is
        'How many of the leading digits of an international number (without "+") are a country code of crm.phone_numbering, or NULL: compiled from the table by crm.compile_phone_rules().';
end $$;
comment on function crm.compile_phone_rules() is
    'Rebuilds crm.phone_rule from crm.phone_numbering (on every migrate and after each change of the table).';

select crm.compile_phone_rules();

create or replace function crm.phone_numbering_changed() returns trigger language plpgsql as $$
begin
    perform crm.compile_phone_rules();
    return null;
end $$;
comment on function crm.phone_numbering_changed() is
    'Trigger: a change of crm.phone_numbering recompiles crm.phone_rule at once; stored keys follow at the next migrate.';
create or replace trigger phone_numbering_compile after insert or update or delete or truncate on crm.phone_numbering
    for each statement execute function crm.phone_numbering_changed();

-- {number, extension} of a number written with an extension, NULL without one.
create or replace function crm.split_phone_extension(p text) returns text[]
    language sql immutable parallel safe
    return regexp_match(p, '^(.*[0-9)])\s*(?:;\s*ext\s*=\s*|,?\s*(?:extension|extn|ext\.?|x\.?|#|anexo|доб\.?)\s*:?\s*)([0-9]{1,20})#?\s*$', 'i');
comment on function crm.split_phone_extension(text) is
    'Splits "+1 415 555 0134 ext. 12" (also x12, ;ext=12, #12, extension 12) into {number, extension}; NULL when there is no extension.';

-- The extension of a number as written (digits), or NULL: not part of the stored key.
create or replace function crm.phone_extension(p text) returns text
    language sql immutable parallel safe
    return (crm.split_phone_extension(p))[2];
comment on function crm.phone_extension(text) is
    'The extension digits of a number as written ("x12" -> 12), or NULL. crm.normalize_phone drops the extension from the key.';

-- Whether a national number has a possible length for the rules: 'possible', 'too_short',
-- 'too_long' or 'invalid' (libphonenumber's testNumberLength; no lengths known: possible).
create or replace function crm.phone_length_check(p_national text, p_lengths int[]) returns text
    language sql immutable parallel safe
    return case
        when p_lengths is null or cardinality(p_lengths) = 0 then 'possible'
        when length(p_national) = any (p_lengths) then 'possible'
        when length(p_national) < p_lengths[1] then 'too_short'
        when length(p_national) > p_lengths[cardinality(p_lengths)] then 'too_long'
        else 'invalid' end;
comment on function crm.phone_length_check(text, int[]) is
    'possible, too_short, too_long or invalid: the length of a national number against a country''s possible lengths.';

-- The national number with the country's national prefix (and carrier code) taken off, or as it
-- was when there is none or taking it off would turn a national number into none
-- (libphonenumber's maybeStripNationalPrefixAndCarrierCode).
create or replace function crm.strip_national_prefix(p_national text, r crm.phone_numbering) returns text
    language plpgsql immutable parallel safe as $$
declare
    prefix text := '^(?:' || r.national_prefix_for_parsing || ')';
    whole text := '^(?:' || r.national_number_pattern || ')$';
    m text[];
    result text;
begin
    if r.national_prefix_for_parsing is null or p_national = '' or p_national !~ prefix then
        return p_national;
    end if;
    if r.national_prefix_transform is not null then
        m := regexp_match(p_national, prefix);
    end if;
    if m is not null and m[cardinality(m)] is not null then
        result := regexp_replace(p_national, prefix, r.national_prefix_transform);
    else
        result := regexp_replace(p_national, prefix, '');
    end if;
    if p_national ~ whole and result !~ whole then
        return p_national;
    end if;
    return result;
end $$;
comment on function crm.strip_national_prefix(text, crm.phone_numbering) is
    'A national number without the country''s national (trunk) prefix and carrier code, where the rules say it has one.';

-- E.164 ("+14155550134") of a number as written in a unit of country code p_default_country_code;
-- NULL for anything that is not a plausible phone number. See the head of this file.
create or replace function crm.normalize_phone(p text, p_default_country_code text default '49') returns text
    language plpgsql immutable parallel safe as $$
declare
    s text := p;
    home crm.phone_numbering;
    r crm.phone_numbering;
    ext text[];
    code text;
    national text;
    candidate text;
    i int;
begin
    if s is null then return null; end if;
    s := regexp_replace(s, '[\s\-.()/~\[\]‐-―−－／（）［］⁓∼～]', '', 'g');
    if s !~ '^\+?[0-9]+$' then
        -- Not digits alone: maybe a full-width plus, or an extension after the number.
        s := translate(p, '＋', '+');
        ext := crm.split_phone_extension(s);
        if ext is not null then s := ext[1]; end if;
        s := regexp_replace(s, '[\s\-.()/~\[\]‐-―−－／（）［］⁓∼～]', '', 'g');
        if s !~ '^\+?[0-9]+$' then return null; end if;
    end if;

    if s like '+%' then
        s := substr(s, 2);
    else
        home := crm.phone_rule(p_default_country_code);
        if home.country_code is null then
            -- A code without rules: the rules this function had before issue 18.
            home := row(p_default_country_code, 'ZZ', '0', '0', null, '00', '{}', '[0-9]+')::crm.phone_numbering;
        end if;
        if s ~ ('^(?:' || home.international_prefix || ')[1-9]') then
            s := regexp_replace(s, '^(?:' || home.international_prefix || ')', '');
        else
            -- National in the unit's country; maybe written with the country code but no "+".
            code := home.country_code;
            r := home;
            national := s;
            if s like code || '%' then
                candidate := crm.strip_national_prefix(substr(s, length(code) + 1), home);
                if (s !~ ('^(?:' || home.national_number_pattern || ')$') and candidate ~ ('^(?:' || home.national_number_pattern || ')$'))
                   or crm.phone_length_check(s, home.possible_lengths) = 'too_long' then
                    national := candidate;
                end if;
            end if;
        end if;
    end if;

    if code is null then
        -- International: the country code is the first 1-3 digits that name a country of the table.
        if s like '0%' then return null; end if;
        i := crm.phone_code_length(s);
        if i is null then
            -- A country the table does not know: the digits as they are.
            if length(s) < 7 or length(s) > 15 then return null; end if;
            return '+' || s;
        end if;
        code := left(s, i);
        r := crm.phone_rule(code);
        national := substr(s, i + 1);
    end if;

    -- (The call only when the prefix is there: most numbers of a unit are written without one.)
    if r.national_prefix_for_parsing is not null and national ~ ('^(?:' || r.national_prefix_for_parsing || ')') then
        candidate := crm.strip_national_prefix(national, r);
    else
        candidate := national;
    end if;
    if candidate <> national and crm.phone_length_check(candidate, r.possible_lengths) in ('possible', 'too_long') then
        national := candidate;
    end if;
    if length(national) < 2 or length(code || national) not between 7 and 15 then
        return null;
    end if;
    return '+' || code || national;
end $$;
comment on function crm.normalize_phone(text, text) is
    'E.164 of a phone number as written in a unit of country calling code p_default_country_code (national and trunk prefixes, international call prefixes and extensions by the rules of crm.phone_numbering); NULL when it is not a phone number. The extension is not part of the result (crm.phone_extension gives it).';

-- The caller's unit's country calling code (settings.default_country_code, default 49).
create or replace function crm.unit_country_code() returns text
    language sql stable parallel safe
    return coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = (select crm.current_tenant())), '49');
comment on function crm.unit_country_code() is
    'The calling code of the caller''s unit (settings.default_country_code; 49 when unset): the country whose way of writing numbers crm.normalize_phone follows for the unit.';

-- A number as the caller's unit writes it, in E.164 (customers.lookup's check, calls.record).
create or replace function crm.normalize_unit_phone(p text) returns text
    language sql stable parallel safe
    return crm.normalize_phone(p, crm.unit_country_code());
comment on function crm.normalize_unit_phone(text) is
    'crm.normalize_phone under the caller''s unit''s country calling code.';

grant execute on function crm.phone_rule(text), crm.phone_code_length(text), crm.split_phone_extension(text), crm.phone_extension(text),
    crm.phone_length_check(text, int[]), crm.strip_national_prefix(text, crm.phone_numbering),
    crm.normalize_phone(text, text), crm.unit_country_code(), crm.normalize_unit_phone(text)
    to crm_unit, crm_viewer, crm_partner, crm_reporter;

-- Whether an E.164 number is a valid number of its country by the table: its national number
-- matches the country's pattern and has a possible length. NULL for a country the table lacks.
create or replace function crm.phone_is_valid(p_e164 text) returns boolean
    language plpgsql immutable parallel safe as $$
declare
    d text := substr(p_e164, 2);
    i int := crm.phone_code_length(substr(p_e164, 2));
    r crm.phone_numbering;
begin
    if p_e164 is null or p_e164 !~ '^\+[1-9][0-9]+$' or i is null then
        return null;
    end if;
    r := crm.phone_rule(left(d, i));
    return substr(d, i + 1) ~ ('^(?:' || r.national_number_pattern || ')$')
       and crm.phone_length_check(substr(d, i + 1), r.possible_lengths) = 'possible';
end $$;
comment on function crm.phone_is_valid(text) is
    'Whether an E.164 number is a valid number of its country (pattern and length of crm.phone_numbering); NULL when the table lacks the country.';

-- The key a stored phone (E.164, as an earlier normalisation made it) has under the rules in
-- force, for a unit of country code p_country_code. Before issue 18 a number written nationally
-- without a leading 0 ("415-555-0134" in a unit of +1, "30 1234567" in Germany) was taken as
-- international ("+4155550134"); such a key, invalid for the country its digits name, is read
-- again as the national number it was when that reading is a valid number of the unit's country
-- (+14155550134). Any other key is normalised again as it stands (e.g. +44 (0)20... stored as
-- +44020... becomes +4420...). A key the rules refuse stays as it is.
create or replace function crm.phone_key_now(p_stored text, p_country_code text) returns text
    language plpgsql immutable parallel safe as $$
declare
    v text := crm.normalize_phone(p_stored, p_country_code);
    national text;
begin
    if v is not null and not crm.phone_is_valid(v) then
        national := crm.normalize_phone(ltrim(p_stored, '+'), p_country_code);
        if national is not null and national <> v and crm.phone_is_valid(national) then
            return national;
        end if;
    end if;
    return coalesce(v, p_stored);
end $$;
comment on function crm.phone_key_now(text, text) is
    'A stored phone key under the rules in force for a unit''s country: normalised again, or read as the national number an old normalisation mistook for an international one.';

-- Recomputes the stored phone keys of every unit under its country, set-based; only rows whose
-- keys change are written: customers (the contact index follows by its trigger; version and
-- updated_at move, so a stale customers.update is refused), leads and deal prospects. Each unit
-- whose customers' keys changed gets an audit entry. Returns the number of customers changed.
-- For a role past row-level security (the migrating superuser): run by the block below.
create or replace function crm.recompute_phone_keys(p_rules text) returns int language plpgsql as $$
declare
    n int;
begin
    create temp table phone_key_change on commit drop as
    with unit as (
        select t.id, coalesce(t.settings->>'default_country_code', '49') as cc from crm.tenant t),
    recomputed as (
        select c.tenant_id, c.id,
               array(select v from (select crm.phone_key_now(x, u.cc) as v, min(o) as o
                                      from unnest(c.phones) with ordinality as e(x, o) group by 1) k order by o) as phones
          from crm.customer c join unit u on u.id = c.tenant_id
         where cardinality(c.phones) > 0)
    select r.* from recomputed r join crm.customer c on c.tenant_id = r.tenant_id and c.id = r.id
     where r.phones <> c.phones;
    update crm.customer c set phones = k.phones, version = c.version + 1, updated_at = now()
      from phone_key_change k where c.tenant_id = k.tenant_id and c.id = k.id;
    get diagnostics n = row_count;
    update crm.lead l set phone = k.phone
      from (select l.tenant_id, l.id, crm.phone_key_now(l.phone, coalesce(t.settings->>'default_country_code', '49')) as phone
              from crm.lead l join crm.tenant t on t.id = l.tenant_id where l.phone is not null) k
     where l.tenant_id = k.tenant_id and l.id = k.id and k.phone <> l.phone;
    update crm.deal d set prospect_phone = k.phone
      from (select d.tenant_id, d.id, crm.phone_key_now(d.prospect_phone, coalesce(t.settings->>'default_country_code', '49')) as phone
              from crm.deal d join crm.tenant t on t.id = d.tenant_id where d.prospect_phone is not null) k
     where d.tenant_id = k.tenant_id and d.id = k.id and k.phone <> d.prospect_phone;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    select k.tenant_id, null, 'renormalise', 'customer_phones', null,
           jsonb_build_object('customers', count(*), 'rules', p_rules)
      from phone_key_change k group by k.tenant_id;
    drop table phone_key_change;
    return n;
end $$;
comment on function crm.recompute_phone_keys(text) is
    'Recomputes every unit''s stored phone keys (customers and their contact index, leads, deal prospects) under the rules in force, audited per unit; for the migrating superuser (run by crm migrate when the normalisation changed).';

grant execute on function crm.phone_is_valid(text), crm.phone_key_now(text, text) to crm_unit, crm_viewer, crm_partner, crm_reporter;

-- Stored keys follow the rules. When the normalisation (this file's functions and the compiled
-- rules) differs from the one the stored keys were computed with (crm_meta.phone_key_rules), the
-- keys of every unit are recomputed (crm.recompute_phone_keys). Stored keys are E.164, so what
-- changes is what the rules read differently in an E.164 number (a national prefix kept after
-- the country code, +44 (0)20... stored as +44020...) and the national numbers the old rules
-- took for international ones. A database without customers records the fingerprint and does
-- nothing else. As the migrating role: every unit's rows.
reset role;
do $$
declare
    fp text := md5((select string_agg(p.prosrc, '|' order by p.oid::regprocedure::text) from pg_proc p
                     where p.oid in ('crm.phone_rule(text)'::regprocedure, 'crm.phone_code_length(text)'::regprocedure,
                                     'crm.split_phone_extension(text)'::regprocedure,
                                     'crm.phone_length_check(text, int[])'::regprocedure,
                                     'crm.strip_national_prefix(text, crm.phone_numbering)'::regprocedure,
                                     'crm.normalize_phone(text, text)'::regprocedure,
                                     'crm.phone_is_valid(text)'::regprocedure, 'crm.phone_key_now(text, text)'::regprocedure)));
begin
    if exists (select 1 from crm_meta.phone_key_rules where fingerprint = fp) then
        return;
    end if;
    -- Only a role past row-level security sees every unit's rows (crm migrate runs as a superuser).
    -- Another role would see none and record keys it never recomputed: leave them to the next
    -- migrate by a superuser instead.
    if not (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = current_user) then
        raise warning 'stored phone keys not recomputed: % is neither superuser nor BYPASSRLS; run crm migrate as a superuser', current_user;
        return;
    end if;
    perform crm.recompute_phone_keys(fp);
    insert into crm_meta.phone_key_rules (fingerprint) values (fp)
    on conflict (singleton) do update set fingerprint = excluded.fingerprint, applied_at = now();
end $$;
