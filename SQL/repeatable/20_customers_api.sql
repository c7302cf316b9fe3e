-- Customer writes as functions, so that normalisation, duplicate detection, versioning, lifecycle
-- history and the audit entry happen in one statement the server sends. Security invoker: they
-- run under the caller's role, so row-level security applies to everything they touch.
set local role crm_owner;

-- The slug of a unit (from the unit directory: a unit reads no other unit's row of crm.tenant).
create or replace function crm.unit_slug(p_id uuid) returns text
    language plpgsql stable as $$
begin
    return (select t.slug from crm.tenant_directory() t where t.id = p_id);
end $$;

-- The shape every customers.* method answers, defined here only. PL/pgSQL with no sub-select in
-- its one expression, which PL/pgSQL then evaluates without starting an executor (a SQL function
-- with a sub-select is never inlined and was planned again on every call; with the sub-select for
-- shared_from written here, each call set up a plan: about 10 of a caller lookup's 140 us).
create or replace function crm.customer_json(c crm.customer) returns json
    language plpgsql stable as $$
begin
    return json_build_object(
        'id', c.id::text,
        'name', c.name,
        'emails', coalesce(to_json(c.emails), '[]'::json),
        'phones', coalesce(to_json(c.phones), '[]'::json),
        'address', c.address,
        'company', c.company,
        'branch', c.branch,
        'segment', c.segment,
        'consent', coalesce(c.consent, '{}'::jsonb),
        'preferences', coalesce(c.preferences, '{}'::jsonb),
        'lifecycle_stage', c.lifecycle_stage,
        'capture_phase', crm.customer_capture_phase(c),
        'merged_into', c.merged_into::text,
        'referred_by', c.referred_by::text,
        'version', c.version,
        'created_at', c.created_at,
        'updated_at', c.updated_at,
        -- Another unit's customer shared with the caller's: that unit's slug.
        'shared_from', case when c.tenant_id is distinct from crm.current_tenant() then crm.unit_slug(c.tenant_id) end);
end $$;

-- Validates and normalises the emails or phones of a request: emails lower-case, phones E.164
-- with the unit's default country code. The error names the offending element (emails[2]).
create or replace function crm.clean_contacts(p jsonb, p_field text) returns text[]
    language plpgsql stable as $$
declare
    out text[] := '{}';
    e jsonb;
    i int := 0;
    v text;
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t
                         where t.id = (select crm.current_tenant())), '49');
begin
    if p is null or jsonb_typeof(p) = 'null' then return '{}'; end if;
    for e in select * from jsonb_array_elements(p) loop
        if p_field = 'emails' then
            v := lower(btrim(e #>> '{}'));
            if v !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then v := null; end if;
        else
            v := crm.normalize_phone(e #>> '{}', cc);
        end if;
        if v is null then
            raise exception 'invalid params: %[%] is not %', p_field, i,
                case p_field when 'emails' then 'an email address' else 'a phone number' end
                using errcode = 'CR422', detail = format('field=%s[%s]', p_field, i);
        end if;
        if not v = any(out) then out := out || v; end if;
        i := i + 1;
    end loop;
    return out;
end $$;

-- Refuses a second customer with the same email or phone in the unit. Advisory locks on each
-- value make two concurrent creates of the same person serialise instead of both passing.
create or replace function crm.assert_no_duplicate(p_emails text[], p_phones text[], p_except bigint)
    returns void language plpgsql as $$
declare
    v text;
    other bigint;
begin
    foreach v in array p_emails || p_phones loop
        perform pg_advisory_xact_lock(hashtextextended(crm.current_tenant()::text || v, 0));
    end loop;
    select k.customer_id into other from crm.customer_contact k
     where k.tenant_id = (select crm.current_tenant()) and k.kind = 'email' and k.value = any(p_emails)
       and k.customer_id is distinct from p_except limit 1;
    if other is not null then
        raise exception 'conflict: customer % already has one of these emails', other
            using errcode = 'CR409', detail = 'field=emails', hint = 'duplicate';
    end if;
    select k.customer_id into other from crm.customer_contact k
     where k.tenant_id = (select crm.current_tenant()) and k.kind = 'phone' and k.value = any(p_phones)
       and k.customer_id is distinct from p_except limit 1;
    if other is not null then
        raise exception 'conflict: customer % already has one of these phone numbers', other
            using errcode = 'CR409', detail = 'field=phones', hint = 'duplicate';
    end if;
end $$;

-- The referrer named by a request (referred_by: a customer id of the caller's unit, or null), or an
-- error naming the field. The foreign key (0041) would refuse another unit's customer as well; this
-- answers "not found" instead of a constraint violation.
create or replace function crm.referrer_of(p jsonb, p_self bigint) returns bigint
    language plpgsql stable as $$
declare
    v bigint := (p->>'referred_by')::bigint;
begin
    if v is null then return null; end if;
    if v = p_self then
        raise exception 'invalid params: a customer cannot refer itself' using errcode = 'CR422', detail = 'field=referred_by';
    end if;
    if not exists (select 1 from crm.customer c where c.tenant_id = (select crm.current_tenant()) and c.id = v) then
        raise exception 'customer % not found', v using errcode = 'CR404', detail = 'field=referred_by';
    end if;
    return v;
end $$;

create or replace function crm.create_customer(p jsonb) returns json
    language plpgsql as $$
declare
    c crm.customer;
    v_emails text[] := crm.clean_contacts(p->'emails', 'emails');
    v_phones text[] := crm.clean_contacts(p->'phones', 'phones');
    v_key text := nullif(btrim(p->>'idempotency_key'), '');
begin
    -- A retry with the key of a request that already succeeded gets that request's customer.
    -- The lock makes two concurrent retries wait for each other instead of both inserting.
    if v_key is not null then
        perform pg_advisory_xact_lock(hashtextextended('customers.create/' || crm.current_tenant()::text || '/' || v_key, 0));
        select * into c from crm.customer where tenant_id = (select crm.current_tenant()) and idempotency_key = v_key;
        if found then
            return crm.customer_json(c);
        end if;
    end if;
    perform crm.assert_no_duplicate(v_emails, v_phones, null);
    insert into crm.customer (tenant_id, name, emails, phones, address, company, branch, segment,
                              consent, preferences, lifecycle_stage, idempotency_key, referred_by)
    values (crm.current_tenant(), btrim(p->>'name'), v_emails, v_phones, nullif(p->'address', 'null'), p->>'company',
            p->>'branch', p->>'segment', coalesce(nullif(p->'consent', 'null'), '{}'), coalesce(nullif(p->'preferences', 'null'), '{}'),
            coalesce(p->>'lifecycle_stage', 'prospect'), v_key, crm.referrer_of(p, null))
    returning * into c;
    insert into crm.customer_lifecycle_history (tenant_id, customer_id, stage)
    values (c.tenant_id, c.id, c.lifecycle_stage);
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (c.tenant_id, crm.current_principal(), 'create', 'customer', c.id::text, jsonb_build_object('name', c.name));
    return crm.customer_json(c);
end $$;

-- Changes only the fields present in p. A version other than the stored one is a conflict.
create or replace function crm.update_customer(p_id bigint, p_version int, p jsonb) returns json
    language plpgsql as $$
declare
    c crm.customer;
    v_emails text[];
    v_phones text[];
begin
    select * into c from crm.customer
     where tenant_id = (select crm.current_tenant()) and id = p_id for update;
    if not found then
        raise exception 'customer % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if c.version <> p_version then
        raise exception 'conflict: customer % was changed since version % (now %)', p_id, p_version, c.version
            using errcode = 'CR409', detail = 'field=version', hint = 'stale_version';
    end if;
    v_emails := case when p ? 'emails' then crm.clean_contacts(p->'emails', 'emails') else c.emails end;
    v_phones := case when p ? 'phones' then crm.clean_contacts(p->'phones', 'phones') else c.phones end;
    perform crm.assert_no_duplicate(v_emails, v_phones, p_id);
    update crm.customer set
        name = case when p ? 'name' then btrim(p->>'name') else name end,
        emails = v_emails,
        phones = v_phones,
        address = case when p ? 'address' then nullif(p->'address', 'null') else address end,
        company = case when p ? 'company' then p->>'company' else company end,
        branch = case when p ? 'branch' then p->>'branch' else branch end,
        segment = case when p ? 'segment' then p->>'segment' else segment end,
        consent = case when p ? 'consent' then coalesce(nullif(p->'consent', 'null'), '{}') else consent end,
        preferences = case when p ? 'preferences' then coalesce(nullif(p->'preferences', 'null'), '{}') else preferences end,
        lifecycle_stage = coalesce(p->>'lifecycle_stage', lifecycle_stage),
        referred_by = case when p ? 'referred_by' then crm.referrer_of(p, p_id) else referred_by end,
        version = version + 1,
        updated_at = now()
     where tenant_id = c.tenant_id and id = p_id
    returning * into c;
    if p ? 'lifecycle_stage' and p->>'lifecycle_stage' is distinct from
       (select h.stage from crm.customer_lifecycle_history h
         where h.tenant_id = c.tenant_id and h.customer_id = c.id order by h.at desc, h.id desc limit 1) then
        insert into crm.customer_lifecycle_history (tenant_id, customer_id, stage)
        values (c.tenant_id, c.id, c.lifecycle_stage);
    end if;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (c.tenant_id, crm.current_principal(), 'update', 'customer', c.id::text, p);
    return crm.customer_json(c);
end $$;

-- customers.get: the customer (crm.customer_json) and its lifecycle history, or NULL when there
-- is none. One statement in PL/pgSQL, so its plan is kept for the session; the unit in a variable
-- (an index condition), the visible units computed inline, once. The two keys are added to the
-- customer's JSON text as text: through jsonb (parse, concatenate, print) a call cost ~49 us of
-- the backend's CPU, this way ~40 (20,000 calls, one backend, 1M customers).
create or replace function crm.get_customer_json(p_id bigint) returns json
    language plpgsql stable as $$
declare
    me uuid := crm.current_tenant();
begin
    return (
        select (left(crm.customer_json(c)::text, -1)
                || ', "lifecycle_history" : '
                || (select coalesce(json_agg(json_build_object('stage', h.stage, 'at', h.at) order by h.at, h.id), '[]')
                      from crm.customer_lifecycle_history h where h.tenant_id = c.tenant_id and h.customer_id = c.id)::text
                -- What the units sharing with this one know of the guest (17_shared_reads.sql);
                -- only when some unit shares with it, a guard computed once.
                || ', "shared" : '
                || case when exists (select 1 from crm.customer_share s where s.shared_with = me and s.revoked_at is null)
                        then crm.shared_customer_json(c.tenant_id, c.id, c.phones, c.emails)
                        else crm.shared_customer_none() end::text
                || '}')::json
          from crm.customer c
         where c.tenant_id = any (array[me] || array(select s.tenant_id from crm.customer_share s
                                                      where s.shared_with = me and s.revoked_at is null))
           and c.id = p_id);
end $$;

-- The same as jsonb, for SQL that reads into it (the caller's card of an event, psql).
create or replace function crm.get_customer(p_id bigint) returns jsonb
    language plpgsql stable as $$
begin
    return crm.get_customer_json(p_id)::jsonb;
end $$;

grant execute on function crm.unit_slug(uuid), crm.customer_json(crm.customer), crm.clean_contacts(jsonb, text), crm.referrer_of(jsonb, bigint),
    crm.assert_no_duplicate(text[], text[], bigint), crm.create_customer(jsonb),
    crm.update_customer(bigint, int, jsonb), crm.get_customer_json(bigint), crm.get_customer(bigint) to crm_unit;
