-- Leads: imported from lists (set-based, through the importer's staging table), created one by
-- one, assigned by rule, qualified, converted into customers; quotes that become orders of a
-- campaign; call lists after a purchase with cross-sell suggestions of surplus stock.
set local role crm_owner;

create or replace function crm.lead_json(p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', l.id::text, 'campaign_id', l.campaign_id::text, 'name', l.name, 'email', l.email,
            'phone', l.phone, 'company', l.company, 'region', l.region, 'status', l.status, 'score', l.score,
            'customer_id', l.customer_id::text, 'assigned_staff_id', l.assigned_staff_id::text,
            'assigned_partner_id', l.assigned_partner_id, 'assigned_at', l.assigned_at, 'source', l.source,
            'version', l.version, 'created_at', l.created_at, 'updated_at', l.updated_at)
          from crm.lead l where l.tenant_id = (select crm.current_tenant()) and l.id = p_id);
end $$;

-- `crm import leads FILE --campaign ID` and campaigns.import_leads: checks the rows staged in
-- pg_temp.import_stage (line, one text column per column of the kind, reason, linked). Bad rows
-- are rejected with their reason; a row whose normalised email or phone matches a lead of the
-- unit (or an earlier row) is linked to it and creates nothing; one matching a customer becomes a
-- lead linked to that customer. Both kinds of good rows are marked linked for the caller's report.
-- Set-based and sized by the file: every key is an index probe (lead_email, lead_phone, the
-- contact index), evaluated only for the rows that need it.
-- The contact index is probed by value (its primary key starts with the value, 0039) and the unit
-- compared with "is not distinct from", which no index serves: for a unit new to the statistics
-- the planner estimates one row per tenant and preferred an index starting with tenant_id,
-- scanning the whole unit for every key.
create or replace function crm.import_leads(p_campaign bigint) returns table (line int, reason text)
    language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = v_tenant), '49');
begin
    if not exists (select 1 from crm.campaign c where c.tenant_id = v_tenant and c.id = p_campaign and c.status <> 'closed') then
        raise exception 'open campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    drop table if exists pg_temp.import_lead_keys;
    create temp table import_lead_keys on commit drop as
    select k.line, k.email_n, k.phone_n, case
        when coalesce(btrim(k.name), '') = '' then 'name is required'
        when length(k.name) > 200 then 'name is longer than 200 characters'
        when k.email is not null and coalesce(k.email_n, '') !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'email is not an email address'
        when k.phone is not null and k.phone_n is null then 'phone is not a phone number'
        when k.email is null and k.phone is null then 'an email or a phone is required'
        when k.score is not null and k.score !~ '^\d{1,3}$' then 'score is not a whole number'
        when k.score is not null and k.score::int > 100 then 'score is over 100'
    end as reason, false as known, null::bigint as customer_id
      from (select s.line, s.name, s.email, s.phone, s.score,
                   crm.normalize_email(s.email) as email_n, crm.normalize_phone(s.phone, cc) as phone_n
              from pg_temp.import_stage s
            offset 0) k;  -- a fence: each key normalised once per row, not once per mention below

    -- Earlier rows of the same file: the first occurrence wins. Grouped by each key (a hash of the
    -- file's keys; only keys that occur twice are joined back), not a window over every key.
    update pg_temp.import_lead_keys s set known = true
      from (select st.line
              from pg_temp.import_lead_keys st
              join (select x.email_n, min(x.line) as first_line from pg_temp.import_lead_keys x
                     where x.reason is null and x.email_n is not null group by x.email_n having count(*) > 1) e
                on e.email_n = st.email_n and e.first_line < st.line
            union
            select st.line
              from pg_temp.import_lead_keys st
              join (select x.phone_n, min(x.line) as first_line from pg_temp.import_lead_keys x
                     where x.reason is null and x.phone_n is not null group by x.phone_n having count(*) > 1) p
                on p.phone_n = st.phone_n and p.first_line < st.line) d
     where s.line = d.line and s.reason is null;
    -- Leads the unit already has (lead_email, lead_phone), then customers (the contact index).
    update pg_temp.import_lead_keys s set known = true
     where s.reason is null and not s.known
       and (exists (select 1 from crm.lead l where l.tenant_id = v_tenant and l.email = s.email_n)
            or exists (select 1 from crm.lead l where l.tenant_id = v_tenant and l.phone = s.phone_n));
    update pg_temp.import_lead_keys s set customer_id = coalesce(
               (select k.customer_id from crm.customer_contact k where k.tenant_id is not distinct from v_tenant and k.kind = 'email' and k.value = s.email_n limit 1),
               (select k.customer_id from crm.customer_contact k where k.tenant_id is not distinct from v_tenant and k.kind = 'phone' and k.value = s.phone_n limit 1))
     where s.reason is null and not s.known
       and (exists (select 1 from crm.customer_contact k where k.tenant_id is not distinct from v_tenant and k.kind = 'email' and k.value = s.email_n)
            or exists (select 1 from crm.customer_contact k where k.tenant_id is not distinct from v_tenant and k.kind = 'phone' and k.value = s.phone_n));

    insert into crm.lead (tenant_id, campaign_id, name, email, phone, company, region, score, customer_id, source)
    select v_tenant, p_campaign, btrim(s.name), k.email_n, k.phone_n, s.company, s.region, s.score::int, k.customer_id,
           coalesce(s.source, 'import')
      from pg_temp.import_stage s join pg_temp.import_lead_keys k on k.line = s.line
     where k.reason is null and not k.known;
    update pg_temp.import_stage s set reason = k.reason, linked = k.reason is null
      from pg_temp.import_lead_keys k
     where k.line = s.line and (k.reason is not null or k.known or k.customer_id is not null);

    perform crm.campaign_audit(p_campaign, 'import_leads', jsonb_build_object(
        'rows', (select count(*) from pg_temp.import_stage),
        'rejected', (select count(*) from pg_temp.import_stage s where s.reason is not null)));
    return query select s.line, s.reason from pg_temp.import_stage s where s.reason is not null;
end $$;

create or replace function crm.create_lead(p jsonb) returns json language plpgsql as $$
declare
    cc text := coalesce((select t.settings->>'default_country_code' from crm.tenant t where t.id = (select crm.current_tenant())), '49');
    v_email text := crm.normalize_email(p->>'email');
    v_phone text := crm.normalize_phone(p->>'phone', cc);
    v_id bigint;
begin
    if p ? 'email' and coalesce(v_email, '') !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then
        raise exception 'invalid params: email is not an email address' using errcode = 'CR422', detail = 'field=email';
    end if;
    if p ? 'phone' and v_phone is null then
        raise exception 'invalid params: phone is not a phone number' using errcode = 'CR422', detail = 'field=phone';
    end if;
    select l.id into v_id from crm.lead l where l.tenant_id = (select crm.current_tenant()) and (l.email = v_email or l.phone = v_phone) limit 1;
    if v_id is not null then
        raise exception 'conflict: lead % has this email or phone', v_id using errcode = 'CR409', detail = 'field=email', hint = 'duplicate';
    end if;
    if p->>'campaign_id' is not null and not exists (select 1 from crm.campaign c where c.tenant_id = (select crm.current_tenant()) and c.id = (p->>'campaign_id')::bigint) then
        raise exception 'campaign % not found', p->>'campaign_id' using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    insert into crm.lead (tenant_id, campaign_id, name, email, phone, company, region, score, customer_id, source)
    values (crm.current_tenant(), (p->>'campaign_id')::bigint, btrim(p->>'name'), v_email, v_phone, p->>'company', p->>'region',
            (p->>'score')::int,
            (select k.customer_id from crm.customer_contact k where k.tenant_id = (select crm.current_tenant())
                and ((k.kind = 'email' and k.value = v_email) or (k.kind = 'phone' and k.value = v_phone)) limit 1),
            coalesce(p->>'source', 'api'))
    returning id into v_id;
    return crm.lead_json(v_id);
end $$;

-- Assigns the campaign's leads that are new (or all not yet converted, with p_reassign) by rule:
--   round_robin: in turn among p_staff (default: the campaign's team);
--   region: in turn among the staff (of p_staff or the team) whose region is the lead's; leads
--     of a region nobody covers stay unassigned;
--   partner: to the partners the unit lets receive leads (partner_grant.may_receive_leads), those
--     of the lead's region first, in proportion to their lead_weight (of every total-weight
--     leads, the heaviest partner takes its weight first); each is offered (crm.lead_offer).
-- Returns the number of leads assigned.
create or replace function crm.assign_leads(p_campaign bigint, p_rule text, p_staff bigint[], p_reassign boolean) returns int
    language plpgsql as $$
declare
    v_staff bigint[] := coalesce(p_staff, array(select m.staff_id from crm.campaign_member m
                                                 where m.tenant_id = (select crm.current_tenant()) and m.campaign_id = p_campaign order by m.staff_id));
    n int;
begin
    if not exists (select 1 from crm.campaign c where c.tenant_id = (select crm.current_tenant()) and c.id = p_campaign) then
        raise exception 'campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    if exists (select 1 from unnest(v_staff) x where not exists (select 1 from crm.staff s where s.tenant_id = (select crm.current_tenant()) and s.id = x)) then
        raise exception 'a staff member in staff_ids does not exist' using errcode = 'CR404', detail = 'field=staff_ids';
    end if;
    if p_rule in ('round_robin', 'region') and cardinality(v_staff) = 0 then
        raise exception 'invalid params: no staff to assign to (give staff_ids or a campaign team)' using errcode = 'CR422', detail = 'field=staff_ids';
    end if;
    if p_rule = 'round_robin' then
        with todo as (
            select l.id, row_number() over (order by l.created_at, l.id) - 1 as k from crm.lead l
             where l.tenant_id = (select crm.current_tenant()) and l.campaign_id = p_campaign
               and (l.status = 'new' or (p_reassign and l.status <> 'converted')))
        update crm.lead l set assigned_staff_id = v_staff[1 + (t.k % cardinality(v_staff))::int], assigned_partner_id = null,
               status = case when l.status = 'new' then 'assigned' else l.status end, assigned_at = now(), version = l.version + 1, updated_at = now()
          from todo t where l.tenant_id = (select crm.current_tenant()) and l.id = t.id;
    elsif p_rule = 'region' then
        with crew as (
            select s.id, s.region, row_number() over (partition by s.region order by s.id) - 1 as k, count(*) over (partition by s.region) as n
              from crm.staff s where s.tenant_id = (select crm.current_tenant()) and s.id = any(v_staff) and s.region is not null),
        todo as (
            select l.id, l.region, row_number() over (partition by l.region order by l.created_at, l.id) - 1 as k from crm.lead l
             where l.tenant_id = (select crm.current_tenant()) and l.campaign_id = p_campaign
               and (l.status = 'new' or (p_reassign and l.status <> 'converted')))
        update crm.lead l set assigned_staff_id = c.id, assigned_partner_id = null,
               status = case when l.status = 'new' then 'assigned' else l.status end, assigned_at = now(), version = l.version + 1, updated_at = now()
          from todo t join crew c on c.region = t.region and c.k = t.k % c.n
         where l.tenant_id = (select crm.current_tenant()) and l.id = t.id;
    elsif p_rule = 'partner' then
        with pool as (
            select g.partner_id, g.region, g.lead_weight,
                   sum(g.lead_weight) over (partition by g.region order by g.lead_weight desc, g.partner_id) - g.lead_weight as lo,
                   sum(g.lead_weight) over (partition by g.region order by g.lead_weight desc, g.partner_id) as hi,
                   sum(g.lead_weight) over (partition by g.region) as total
              from crm.partner_grant g
             where g.tenant_id = (select crm.current_tenant()) and g.may_receive_leads and g.revoked_at is null),
        todo as (
            select l.id, case when exists (select 1 from pool p where p.region = l.region) then l.region end as region,
                   row_number() over (partition by case when exists (select 1 from pool p where p.region = l.region) then l.region end order by l.created_at, l.id) - 1 as k
              from crm.lead l
             where l.tenant_id = (select crm.current_tenant()) and l.campaign_id = p_campaign
               and (l.status = 'new' or (p_reassign and l.status <> 'converted')))
        update crm.lead l set assigned_partner_id = p.partner_id, assigned_staff_id = null,
               status = case when l.status = 'new' then 'assigned' else l.status end, assigned_at = now(), version = l.version + 1, updated_at = now()
          from todo t join pool p on p.region is not distinct from t.region and (t.k % p.total) >= p.lo and (t.k % p.total) < p.hi
         where l.tenant_id = (select crm.current_tenant()) and l.id = t.id;
        get diagnostics n = row_count;
        -- Each partner gets the lead as an offer to accept or decline in time (60_partner_lead_offers.sql).
        perform crm.offer_assigned_leads(p_campaign);
        perform crm.campaign_audit(p_campaign, 'assign_leads', jsonb_build_object('rule', p_rule, 'assigned', n));
        return n;
    else
        raise exception 'invalid params: rule is round_robin, region or partner' using errcode = 'CR422', detail = 'field=rule';
    end if;
    get diagnostics n = row_count;
    perform crm.campaign_audit(p_campaign, 'assign_leads', jsonb_build_object('rule', p_rule, 'assigned', n));
    return n;
end $$;

create or replace function crm.qualify_lead(p_id bigint, p_version int, p_status text, p_score int) returns json language plpgsql as $$
declare
    l crm.lead;
begin
    select * into l from crm.lead where tenant_id = (select crm.current_tenant()) and id = p_id for update;
    if not found then
        raise exception 'lead % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if p_version is not null and p_version <> l.version then
        raise exception 'conflict: lead % is at version %, not %', p_id, l.version, p_version using errcode = 'CR409', detail = 'field=version';
    end if;
    if l.status = 'converted' then
        raise exception 'conflict: lead % is converted already', p_id using errcode = 'CR409', detail = 'field=status';
    end if;
    update crm.lead set status = coalesce(p_status, status), score = coalesce(p_score, score), version = version + 1, updated_at = now()
     where tenant_id = l.tenant_id and id = l.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (l.tenant_id, crm.current_principal(), 'qualify', 'lead', l.id::text, jsonb_build_object('status', p_status, 'score', p_score));
    return crm.lead_json(p_id);
end $$;

-- Converts a lead into a customer (the linked one, or a new customer from the lead's name,
-- email and phone); returns the customer's id.
create or replace function crm.convert_lead(p_id bigint) returns bigint language plpgsql as $$
declare
    l crm.lead;
    v_customer bigint;
begin
    select * into l from crm.lead where tenant_id = (select crm.current_tenant()) and id = p_id for update;
    if not found then
        raise exception 'lead % not found', p_id using errcode = 'CR404', detail = 'field=lead_id';
    end if;
    if l.status = 'disqualified' then
        raise exception 'conflict: lead % is disqualified', p_id using errcode = 'CR409', detail = 'field=lead_id';
    end if;
    v_customer := l.customer_id;
    if v_customer is null then
        v_customer := (crm.create_customer(jsonb_strip_nulls(jsonb_build_object(
            'name', l.name, 'company', l.company, 'lifecycle_stage', 'acquired',
            'emails', case when l.email is not null then jsonb_build_array(l.email) end,
            'phones', case when l.phone is not null then jsonb_build_array(l.phone) end)))->>'id')::bigint;
    end if;
    update crm.lead set status = 'converted', customer_id = v_customer, version = version + 1, updated_at = now()
     where tenant_id = l.tenant_id and id = l.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (l.tenant_id, crm.current_principal(), 'convert', 'lead', l.id::text, jsonb_build_object('customer_id', v_customer));
    return v_customer;
end $$;

-- A quote is an order in status quoted, attributed to its campaign (and lead); accepting it
-- confirms it, which puts it into the sales rollups.
create or replace function crm.create_quote(p_customer bigint, p_lead bigint, p_campaign bigint, p_staff bigint, p_lines jsonb,
                                            p_idempotency_key text) returns bigint language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();   -- (a variable: a function call beside a policy is no index condition)
    v_customer bigint := p_customer;
    v_campaign bigint := p_campaign;
    v_order bigint;
begin
    if p_lead is not null then
        v_customer := coalesce(v_customer, crm.convert_lead(p_lead));
        v_campaign := coalesce(v_campaign, (select l.campaign_id from crm.lead l where l.tenant_id = v_tenant and l.id = p_lead));
    end if;
    if v_customer is null then
        raise exception 'invalid params: a quote needs customer_id or lead_id' using errcode = 'CR422', detail = 'field=customer_id';
    end if;
    if v_campaign is not null and not exists (select 1 from crm.campaign c where c.tenant_id = v_tenant and c.id = v_campaign) then
        raise exception 'campaign % not found', v_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    v_order := crm.create_order(v_customer, p_staff, v_campaign, p_lines, 'quoted', now(), p_idempotency_key);
    if p_lead is not null then
        update crm.sales_order set lead_id = p_lead where tenant_id = v_tenant and id = v_order and lead_id is null;
    end if;
    return v_order;
end $$;

create or replace function crm.accept_quote(p_id bigint) returns bigint language plpgsql as $$
declare
    v_tenant uuid := crm.current_tenant();
    v_status text;
begin
    select status into v_status from crm.sales_order where tenant_id = v_tenant and id = p_id;
    if not found then
        raise exception 'quote % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if v_status <> 'quoted' then
        raise exception 'conflict: order % is % and no longer a quote', p_id, v_status using errcode = 'CR409', detail = 'field=id';
    end if;
    perform crm.set_order_status(p_id, 'confirmed', null);
    -- A partner's approved deal whose quote this is is won.
    update crm.deal set status = 'won', closed_at = now(), version = version + 1
     where tenant_id = v_tenant and order_id = p_id and status = 'approved';
    return p_id;
end $$;

-- The call list after a purchase: customers who bought p_product (in any order, or in the
-- campaign's orders with p_campaign_only) p_days or more days ago (at most p_days + p_window),
-- accept phone contact (crm.may_contact: consent.phone true), and have no call from this list yet. With p_create_tasks
-- each gets a call task (once: rule_key). Suggestions are surplus products they never bought.
-- A campaign whose audience is a segment (campaigns.set_audience) calls only its members.
create or replace function crm.campaign_call_list(p_campaign bigint, p_product bigint, p_days int, p_window int,
                                                  p_campaign_only boolean, p_create_tasks boolean)
    returns table (customer_id bigint, name text, phone text, bought_at timestamptz, task_id bigint, suggestions json)
    language plpgsql as $$
declare
    v_segment bigint;
begin
    if not exists (select 1 from crm.campaign c where c.tenant_id = (select crm.current_tenant()) and c.id = p_campaign) then
        raise exception 'campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    create temporary table if not exists call_list_buyers (customer_id bigint primary key, bought_at timestamptz) on commit drop;
    truncate call_list_buyers;
    insert into call_list_buyers
    select o.customer_id, max(o.ordered_at)
      from crm.sales_order o join crm.order_line l on l.tenant_id = o.tenant_id and l.order_id = o.id
     where o.tenant_id = (select crm.current_tenant()) and l.product_id = p_product and crm.is_sale(o.status)
       and (not p_campaign_only or o.campaign_id = p_campaign)
       and o.ordered_at <= now() - make_interval(days => p_days)
       and o.ordered_at > now() - make_interval(days => p_days + p_window)
     group by o.customer_id;
    select c.segment_id into v_segment from crm.campaign c where c.tenant_id = (select crm.current_tenant()) and c.id = p_campaign;
    if v_segment is not null then
        delete from call_list_buyers b
         where not exists (select 1 from crm.segment_member_ids(crm.segment_rules(v_segment), null, null, 'phone') m(id)
                            where m.id = b.customer_id);
    end if;
    if p_create_tasks then
        insert into crm.task (tenant_id, kind, customer_id, due_at, note, rule_key)
        select crm.current_tenant(), 'care_call', b.customer_id, now(),
               'Campaign ' || p_campaign || ': follow-up call after the purchase of product ' || p_product,
               'campaign:' || p_campaign || ':call:' || p_product || ':' || b.customer_id
          from call_list_buyers b join crm.customer c on c.tenant_id = (select crm.current_tenant()) and c.id = b.customer_id
         where crm.may_contact(c.consent, 'phone') and cardinality(c.phones) > 0
        on conflict (tenant_id, rule_key) do nothing;
    end if;
    return query
    select c.id, c.name, c.phones[1], b.bought_at, t.id,
           coalesce((select json_agg(json_build_object('product_id', p.id::text, 'sku', p.sku, 'name', p.name, 'list_price', p.list_price::text) order by p.id)
                       from crm.product p
                      where p.tenant_id = c.tenant_id and p.surplus and p.active
                        and not exists (select 1 from crm.sales_order o2 join crm.order_line l2 on l2.tenant_id = o2.tenant_id and l2.order_id = o2.id
                                         where o2.tenant_id = c.tenant_id and o2.customer_id = c.id and l2.product_id = p.id)), '[]')
      from call_list_buyers b
      join crm.customer c on c.tenant_id = (select crm.current_tenant()) and c.id = b.customer_id
      left join crm.task t on t.tenant_id = c.tenant_id and t.rule_key = 'campaign:' || p_campaign || ':call:' || p_product || ':' || c.id
     where crm.may_contact(c.consent, 'phone') and cardinality(c.phones) > 0
       and (t.id is null or t.done_at is null)
     order by b.bought_at, c.id;
end $$;

grant execute on function crm.lead_json(bigint), crm.import_leads(bigint), crm.create_lead(jsonb),
    crm.assign_leads(bigint, text, bigint[], boolean), crm.qualify_lead(bigint, int, text, int), crm.convert_lead(bigint),
    crm.create_quote(bigint, bigint, bigint, bigint, jsonb, text), crm.accept_quote(bigint),
    crm.campaign_call_list(bigint, bigint, int, int, boolean, boolean) to crm_unit;
