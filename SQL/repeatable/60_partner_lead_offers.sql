-- Lead offers: leads a unit assigns to partners are offered for the unit's lead_offer_hours; the
-- partner accepts or declines and works what it accepted; the reassignment run (the scheduled job)
-- moves expired and declined leads to the next partner.
set local role crm_owner;

-- Lead offers. The unit's lead_offer_hours (default 48) is the time a partner has to answer.
create or replace function crm.lead_offer_hours() returns int language sql stable as $$
    select coalesce((select (t.settings->>'lead_offer_hours')::int from crm.tenant t where t.id = (select crm.current_tenant())), 48)
$$;

-- Offers the open leads assigned to partners in this transaction (after crm.assign_leads).
create or replace function crm.offer_assigned_leads(p_campaign bigint) returns int language sql as $$
    with o as (
        insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
        select l.tenant_id, l.id, l.assigned_partner_id, now() + make_interval(hours => crm.lead_offer_hours())
          from crm.lead l
         where l.tenant_id = (select crm.current_tenant()) and l.campaign_id = p_campaign and l.assigned_partner_id is not null
           and l.assigned_at = now()
           and not exists (select 1 from crm.lead_offer x where x.tenant_id = l.tenant_id and x.lead_id = l.id
                            and x.partner_id = l.assigned_partner_id and x.response is null)
        returning 1)
    select count(*)::int from o
$$;

-- A partner answers an offer before it expires; a declined lead goes to the next partner at
-- the unit's next reassignment run.
create or replace function crm.answer_lead_offer(p_lead bigint, p_response text, p_reason text) returns json language plpgsql as $$
declare
    o crm.lead_offer;
begin
    select * into o from crm.lead_offer
     where lead_id = p_lead and partner_id = crm.current_partner() and response is null
     order by offered_at desc limit 1 for update;
    if not found then
        raise exception 'no open offer of lead % to you', p_lead using errcode = 'CR404', detail = 'field=id';
    end if;
    if o.expires_at <= now() then
        raise exception 'conflict: the offer of lead % expired at %', p_lead, o.expires_at using errcode = 'CR409', detail = 'field=id';
    end if;
    update crm.lead_offer set response = p_response, responded_at = now(), reason = p_reason where tenant_id = o.tenant_id and id = o.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (o.tenant_id, crm.current_principal(), p_response, 'lead', p_lead::text, jsonb_build_object('partner_id', o.partner_id, 'reason', p_reason));
    return crm.partner_lead_json(o.tenant_id, p_lead);
end $$;

create or replace function crm.partner_lead_json(p_tenant uuid, p_lead bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object('id', l.id::text, 'unit', t.slug, 'campaign_id', l.campaign_id::text, 'name', l.name, 'email', l.email,
            'phone', l.phone, 'company', l.company, 'region', l.region, 'status', l.status, 'score', l.score, 'version', l.version,
            'offer', (select json_build_object('offered_at', o.offered_at, 'expires_at', o.expires_at, 'response', o.response,
                                               'responded_at', o.responded_at)
                        from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id and o.partner_id = crm.current_partner()
                       order by o.offered_at desc limit 1))
          from crm.lead l join crm.tenant t on t.id = l.tenant_id
         where l.tenant_id = p_tenant and l.id = p_lead);
end $$;

-- A partner works a lead it accepted: contacted, qualified, or closes it won (converted) or
-- lost (disqualified).
create or replace function crm.work_partner_lead(p_lead bigint, p_version int, p_status text, p_score int) returns json
    language plpgsql as $$
declare
    l record;
begin
    select x.tenant_id, x.id, x.version, x.status into l from crm.lead x where x.id = p_lead for update;
    if not found then
        raise exception 'lead % not found', p_lead using errcode = 'CR404', detail = 'field=id';
    end if;
    if not exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = p_lead
                      and o.partner_id = crm.current_partner() and o.response = 'accepted') then
        raise exception 'conflict: accept lead % before working it', p_lead using errcode = 'CR409', detail = 'field=id';
    end if;
    if l.status in ('converted', 'disqualified') then
        raise exception 'conflict: lead % is closed', p_lead using errcode = 'CR409', detail = 'field=status';
    end if;
    if p_version is not null and p_version <> l.version then
        raise exception 'conflict: lead % is at version %, not %', p_lead, l.version, p_version using errcode = 'CR409', detail = 'field=version';
    end if;
    update crm.lead set status = coalesce(p_status, status), score = coalesce(p_score, score), version = version + 1, updated_at = now()
     where tenant_id = l.tenant_id and id = l.id;
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (l.tenant_id, crm.current_principal(), 'work', 'lead', p_lead::text, jsonb_build_object('status', p_status, 'score', p_score));
    return crm.partner_lead_json(l.tenant_id, p_lead);
end $$;

-- The unit's reassignment run (the scheduled job, or leads.reassign): offers past their time
-- expire; a lead whose last offer expired or was declined goes to the next partner that may
-- receive leads and has not had it (the lead's region first, then the highest lead_weight), or
-- back to unassigned when none is left. Returns the number of leads moved.
create or replace function crm.reassign_partner_leads() returns int language plpgsql as $$
declare
    r record;
    v_next uuid;
    n int := 0;
begin
    update crm.lead_offer set response = 'expired', responded_at = now()
     where tenant_id = (select crm.current_tenant()) and response is null and expires_at <= now();
    for r in
        select l.id, l.region, l.assigned_partner_id
          from crm.lead l
         where l.tenant_id = (select crm.current_tenant()) and l.assigned_partner_id is not null and l.status = 'assigned'
           and exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id
                          and o.partner_id = l.assigned_partner_id and o.response in ('expired', 'declined'))
           and not exists (select 1 from crm.lead_offer o where o.tenant_id = l.tenant_id and o.lead_id = l.id
                              and o.partner_id = l.assigned_partner_id and (o.response is null or o.response = 'accepted'))
         order by l.id
         for update of l
    loop
        select g.partner_id into v_next
          from crm.partner_grant g
         where g.tenant_id = (select crm.current_tenant()) and g.may_receive_leads and g.revoked_at is null
           and not exists (select 1 from crm.lead_offer o where o.tenant_id = g.tenant_id and o.lead_id = r.id and o.partner_id = g.partner_id)
         order by (g.region is not distinct from r.region) desc, g.lead_weight desc, g.partner_id
         limit 1;
        update crm.lead set assigned_partner_id = v_next, assigned_at = now(),
               status = case when v_next is null then 'new' else 'assigned' end, version = version + 1, updated_at = now()
         where tenant_id = (select crm.current_tenant()) and id = r.id;
        if v_next is not null then
            insert into crm.lead_offer (tenant_id, lead_id, partner_id, expires_at)
            values (crm.current_tenant(), r.id, v_next, now() + make_interval(hours => crm.lead_offer_hours()));
        end if;
        n := n + 1;
    end loop;
    return n;
end $$;

grant execute on function crm.lead_offer_hours(), crm.offer_assigned_leads(bigint), crm.reassign_partner_leads() to crm_unit;
grant execute on function crm.partner_lead_json(uuid, bigint) to crm_unit, crm_partner;
grant execute on function crm.answer_lead_offer(bigint, text, text), crm.work_partner_lead(bigint, int, text, int) to crm_partner;
