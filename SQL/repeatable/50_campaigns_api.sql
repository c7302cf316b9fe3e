-- Campaigns through the API: create and change, approvals by the roles the unit names, costs,
-- and the JSON the campaigns.* methods answer. Every step writes the audit log.
set local role crm_owner;

-- The roles whose approval a subject ('design' or 'budget') needs, from the unit's settings
-- (campaign_approvals.design / .budget), by default a manager for designs and a director for
-- the budget.
create or replace function crm.campaign_approvers(p_subject text) returns text[] language sql stable as $$
    select case when jsonb_typeof(x.named) = 'array' then array(select jsonb_array_elements_text(x.named))
                when p_subject = 'design' then array['manager']
                else array['director'] end
      from (select (select t.settings #> array['campaign_approvals', p_subject] from crm.tenant t
                     where t.id = (select crm.current_tenant())) as named) x
$$;

create or replace function crm.campaign_audit(p_campaign bigint, p_action text, p_detail jsonb) returns void language sql as $$
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (crm.current_tenant(), crm.current_principal(), p_action, 'campaign', p_campaign::text,
            p_detail || jsonb_build_object('app_role', crm.current_app_role()))
$$;

create or replace function crm.campaign_json(p_id bigint) returns json language plpgsql volatile as $$
begin
    return (
        select json_build_object(
            'id', c.id::text, 'name', c.name, 'description', c.description, 'status', c.status,
            'goal', case when c.goal_metric is not null then json_build_object('metric', c.goal_metric, 'target', c.goal_target::text) end,
            'budget', c.budget::text, 'budget_approved', c.budget_approved, 'owner_id', c.owner_id::text,
            'channels', c.channels, 'starts_on', c.starts_on, 'ends_on', c.ends_on, 'version', c.version,
            'segment_id', c.segment_id::text,
            'products', coalesce((select json_agg(p.product_id::text order by p.product_id) from crm.campaign_product p
                                   where p.tenant_id = c.tenant_id and p.campaign_id = c.id), '[]'),
            'team', coalesce((select json_agg(json_build_object('staff_id', m.staff_id::text, 'role', m.role) order by m.staff_id)
                                from crm.campaign_member m where m.tenant_id = c.tenant_id and m.campaign_id = c.id), '[]'),
            'assets', coalesce((select json_agg(json_build_object('id', a.id::text, 'name', a.name, 'version', a.version,
                                    'file_ref', a.file_ref, 'status', a.status, 'uploaded_at', a.uploaded_at) order by a.uploaded_at, a.id)
                                  from crm.campaign_asset a where a.tenant_id = c.tenant_id and a.campaign_id = c.id), '[]'),
            'approvals', coalesce((select json_agg(json_build_object('id', x.id::text, 'subject', x.subject, 'asset_id', x.asset_id::text,
                                       'decision', x.decision, 'role', x.app_role, 'comment', x.comment, 'void', x.void,
                                       'decided_at', x.decided_at) order by x.decided_at, x.id)
                                     from crm.campaign_approval x where x.tenant_id = c.tenant_id and x.campaign_id = c.id), '[]'),
            'approvers', json_build_object('design', crm.campaign_approvers('design'), 'budget', crm.campaign_approvers('budget')),
            'cost', (select coalesce(sum(k.amount), 0)::numeric(14,2)::text from crm.campaign_cost k
                      where k.tenant_id = c.tenant_id and k.campaign_id = c.id),
            'created_at', c.created_at, 'updated_at', c.updated_at)
          from crm.campaign c
         where c.tenant_id = (select crm.current_tenant()) and c.id = p_id);
end $$;

-- Products and team members from a campaign's JSON (lists replace what was there).
create or replace function crm.set_campaign_lists(p_id bigint, p jsonb) returns void language plpgsql as $$
declare
    v_missing text;
begin
    if p ? 'product_ids' then
        select x into v_missing from jsonb_array_elements_text(p->'product_ids') x
         where not exists (select 1 from crm.product pr where pr.tenant_id = (select crm.current_tenant()) and pr.id = x::bigint) limit 1;
        if v_missing is not null then
            raise exception 'product % not found', v_missing using errcode = 'CR404', detail = 'field=product_ids';
        end if;
        delete from crm.campaign_product where tenant_id = (select crm.current_tenant()) and campaign_id = p_id;
        insert into crm.campaign_product (tenant_id, campaign_id, product_id)
        select distinct crm.current_tenant(), p_id, x::bigint from jsonb_array_elements_text(p->'product_ids') x;
    end if;
    if p ? 'team' then
        select m->>'staff_id' into v_missing from jsonb_array_elements(p->'team') m
         where not exists (select 1 from crm.staff s where s.tenant_id = (select crm.current_tenant()) and s.id = (m->>'staff_id')::bigint) limit 1;
        if v_missing is not null then
            raise exception 'staff member % not found', v_missing using errcode = 'CR404', detail = 'field=team';
        end if;
        delete from crm.campaign_member where tenant_id = (select crm.current_tenant()) and campaign_id = p_id;
        insert into crm.campaign_member (tenant_id, campaign_id, staff_id, role)
        select distinct on ((m->>'staff_id')::bigint) crm.current_tenant(), p_id, (m->>'staff_id')::bigint, m->>'role'
          from jsonb_array_elements(p->'team') m;
    end if;
end $$;

create or replace function crm.create_campaign(p jsonb) returns json language plpgsql as $$
declare
    v_id bigint;
begin
    if p->>'owner_id' is not null and not exists (select 1 from crm.staff s where s.tenant_id = (select crm.current_tenant()) and s.id = (p->>'owner_id')::bigint) then
        raise exception 'staff member % not found', p->>'owner_id' using errcode = 'CR404', detail = 'field=owner_id';
    end if;
    insert into crm.campaign (tenant_id, name, description, goal_metric, goal_target, budget, owner_id, channels, starts_on, ends_on)
    values (crm.current_tenant(), btrim(p->>'name'), p->>'description', p#>>'{goal,metric}', (p#>>'{goal,target}')::numeric,
            coalesce((p->>'budget')::numeric, 0), (p->>'owner_id')::bigint,
            coalesce(array(select jsonb_array_elements_text(p->'channels')), '{}'), (p->>'starts_on')::date, (p->>'ends_on')::date)
    returning id into v_id;
    perform crm.set_campaign_lists(v_id, p);
    perform crm.campaign_audit(v_id, 'create', jsonb_build_object('name', p->>'name', 'budget', p->>'budget'));
    return crm.campaign_json(v_id);
end $$;

-- What still blocks a campaign from being approved: a budget approval by each named role, and at
-- least one design approved by each named role. Empty when nothing does.
create or replace function crm.campaign_missing_approvals(p_id bigint) returns text[] language sql stable as $$
    select array(
        select 'budget approval by ' || r from unnest(crm.campaign_approvers('budget')) r
         where not exists (select 1 from crm.campaign_approval x where x.tenant_id = (select crm.current_tenant()) and x.campaign_id = p_id
                              and x.subject = 'budget' and x.decision = 'approved' and not x.void and x.app_role = r)
        union all
        select 'an approved design' where not exists (
            select 1 from crm.campaign_asset a where a.tenant_id = (select crm.current_tenant()) and a.campaign_id = p_id and a.status = 'approved'))
$$;

-- Changes the fields present in p. A budget change voids the budget's approvals (the campaign
-- goes back to pending approval if it was approved). Status: draft -> pending_approval ->
-- approved (by the approvals, never set by hand) -> active -> closed; going active needs every
-- approval.
create or replace function crm.update_campaign(p_id bigint, p_version int, p jsonb) returns json language plpgsql as $$
declare
    c crm.campaign;
    v_status text := p->>'status';
    v_missing text[];
begin
    select * into c from crm.campaign where tenant_id = (select crm.current_tenant()) and id = p_id for update;
    if not found then
        raise exception 'campaign % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    if p_version is not null and p_version <> c.version then
        raise exception 'conflict: campaign % is at version %, not %', p_id, c.version, p_version using errcode = 'CR409', detail = 'field=version';
    end if;
    if c.status = 'closed' then
        raise exception 'conflict: campaign % is closed', p_id using errcode = 'CR409', detail = 'field=status';
    end if;
    if v_status is not null and v_status <> c.status then
        if v_status = 'approved' then
            raise exception 'conflict: a campaign is approved by its approvals, not by hand' using errcode = 'CR409', detail = 'field=status';
        elsif v_status = 'active' then
            v_missing := crm.campaign_missing_approvals(p_id);
            if c.status <> 'approved' or cardinality(v_missing) > 0 then
                raise exception 'conflict: campaign % cannot go active before its approvals (missing: %)', p_id,
                    coalesce(nullif(array_to_string(v_missing, '; '), ''), 'the campaign is ' || c.status)
                    using errcode = 'CR409', detail = 'field=status';
            end if;
        elsif v_status = 'draft' and c.status not in ('pending_approval', 'approved') then
            raise exception 'conflict: an % campaign cannot go back to draft', c.status using errcode = 'CR409', detail = 'field=status';
        elsif v_status = 'pending_approval' and c.status not in ('draft') then
            raise exception 'conflict: an % campaign cannot be submitted for approval', c.status using errcode = 'CR409', detail = 'field=status';
        end if;
    end if;
    if p->>'owner_id' is not null and not exists (select 1 from crm.staff s where s.tenant_id = (select crm.current_tenant()) and s.id = (p->>'owner_id')::bigint) then
        raise exception 'staff member % not found', p->>'owner_id' using errcode = 'CR404', detail = 'field=owner_id';
    end if;
    update crm.campaign set
        name = coalesce(btrim(p->>'name'), name),
        description = case when p ? 'description' then p->>'description' else description end,
        goal_metric = case when p ? 'goal' then p#>>'{goal,metric}' else goal_metric end,
        goal_target = case when p ? 'goal' then (p#>>'{goal,target}')::numeric else goal_target end,
        budget = coalesce((p->>'budget')::numeric, budget),
        owner_id = case when p ? 'owner_id' then (p->>'owner_id')::bigint else owner_id end,
        channels = case when p ? 'channels' then array(select jsonb_array_elements_text(p->'channels')) else channels end,
        starts_on = case when p ? 'starts_on' then (p->>'starts_on')::date else starts_on end,
        ends_on = case when p ? 'ends_on' then (p->>'ends_on')::date else ends_on end,
        status = coalesce(v_status, status),
        version = version + 1, updated_at = now()
     where tenant_id = c.tenant_id and id = c.id;
    if (p->>'budget')::numeric is distinct from null and (p->>'budget')::numeric <> c.budget then
        update crm.campaign_approval set void = true
         where tenant_id = c.tenant_id and campaign_id = c.id and subject = 'budget' and not void;
        update crm.campaign set budget_approved = false,
               status = case when status = 'approved' then 'pending_approval' else status end
         where tenant_id = c.tenant_id and id = c.id;
    end if;
    perform crm.set_campaign_lists(p_id, p);
    perform crm.campaign_audit(p_id, 'update', p - 'team' - 'product_ids');
    return crm.campaign_json(p_id);
end $$;

create or replace function crm.add_campaign_asset(p_campaign bigint, p_name text, p_file_ref text) returns json language plpgsql as $$
declare
    v_asset bigint;
begin
    perform 1 from crm.campaign where tenant_id = (select crm.current_tenant()) and id = p_campaign and status <> 'closed' for update;
    if not found then
        raise exception 'open campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    insert into crm.campaign_asset (tenant_id, campaign_id, name, version, file_ref, uploaded_by)
    values (crm.current_tenant(), p_campaign, btrim(p_name),
            1 + coalesce((select max(a.version) from crm.campaign_asset a where a.tenant_id = (select crm.current_tenant())
                           and a.campaign_id = p_campaign and a.name = btrim(p_name)), 0),
            p_file_ref, crm.current_principal())
    returning id into v_asset;
    update crm.campaign set status = 'pending_approval', version = version + 1, updated_at = now()
     where tenant_id = (select crm.current_tenant()) and id = p_campaign and status = 'draft';
    perform crm.campaign_audit(p_campaign, 'upload_asset', jsonb_build_object('asset_id', v_asset, 'name', p_name, 'file_ref', p_file_ref));
    return crm.campaign_json(p_campaign);
end $$;

-- Approves or rejects a design (p_asset) or the budget (p_asset null). Only the roles the unit
-- names may decide; a rejection needs a comment. When every named role has approved, the design
-- (or budget) is approved, and a campaign with its budget and a design approved is approved.
create or replace function crm.decide_campaign(p_campaign bigint, p_asset bigint, p_decision text, p_comment text) returns json
    language plpgsql as $$
declare
    c crm.campaign;
    a crm.campaign_asset;
    v_subject text := case when p_asset is null then 'budget' else 'design' end;
    v_roles text[] := crm.campaign_approvers(case when p_asset is null then 'budget' else 'design' end);
    v_role text := crm.current_app_role();
begin
    select * into c from crm.campaign where tenant_id = (select crm.current_tenant()) and id = p_campaign for update;
    if not found then
        raise exception 'campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
    end if;
    if c.status in ('active', 'closed') then
        raise exception 'conflict: campaign % is % and takes no more decisions', p_campaign, c.status using errcode = 'CR409', detail = 'field=campaign_id';
    end if;
    if v_role is null or not v_role = any(v_roles) then
        raise exception 'forbidden: the % of this unit is approved by %, not by %', v_subject, array_to_string(v_roles, ' and '), coalesce(v_role, 'nobody')
            using errcode = 'CR403';
    end if;
    if p_decision = 'rejected' and coalesce(btrim(p_comment), '') = '' then
        raise exception 'invalid params: a rejection needs a comment' using errcode = 'CR422', detail = 'field=comment';
    end if;
    if p_asset is not null then
        select * into a from crm.campaign_asset where tenant_id = c.tenant_id and id = p_asset and campaign_id = c.id for update;
        if not found then
            raise exception 'asset % of campaign % not found', p_asset, p_campaign using errcode = 'CR404', detail = 'field=asset_id';
        end if;
        if a.status <> 'pending' then
            raise exception 'conflict: asset % is already %; upload a new version', p_asset, a.status using errcode = 'CR409', detail = 'field=asset_id';
        end if;
    end if;
    if exists (select 1 from crm.campaign_approval x where x.tenant_id = c.tenant_id and x.campaign_id = c.id and x.subject = v_subject
                  and x.asset_id is not distinct from p_asset and x.app_role = v_role and not x.void and x.decision = 'approved') then
        raise exception 'conflict: the role % has already approved this %', v_role, v_subject using errcode = 'CR409';
    end if;

    insert into crm.campaign_approval (tenant_id, campaign_id, asset_id, subject, decision, app_role, comment, budget, by_principal)
    values (c.tenant_id, c.id, p_asset, v_subject, p_decision, v_role, p_comment, case when p_asset is null then c.budget end,
            crm.current_principal());
    perform crm.campaign_audit(c.id, p_decision, jsonb_build_object('subject', v_subject, 'asset_id', p_asset, 'comment', p_comment));

    if p_decision = 'rejected' then
        if p_asset is not null then
            update crm.campaign_asset set status = 'rejected' where tenant_id = c.tenant_id and id = p_asset;
        end if;
    elsif not exists (select 1 from unnest(v_roles) r where not exists (
                select 1 from crm.campaign_approval x where x.tenant_id = c.tenant_id and x.campaign_id = c.id and x.subject = v_subject
                   and x.asset_id is not distinct from p_asset and x.app_role = r and x.decision = 'approved' and not x.void)) then
        if p_asset is not null then
            update crm.campaign_asset set status = 'approved' where tenant_id = c.tenant_id and id = p_asset;
        else
            update crm.campaign set budget_approved = true where tenant_id = c.tenant_id and id = c.id;
        end if;
    end if;
    if cardinality(crm.campaign_missing_approvals(c.id)) = 0 and c.status in ('draft', 'pending_approval') then
        update crm.campaign set status = 'approved', version = version + 1, updated_at = now() where tenant_id = c.tenant_id and id = c.id;
        perform crm.campaign_audit(c.id, 'approved', '{}');
    else
        update crm.campaign set version = version + 1, updated_at = now() where tenant_id = c.tenant_id and id = c.id;
    end if;
    return crm.campaign_json(c.id);
end $$;

create or replace function crm.record_campaign_cost(p_campaign bigint, p_channel text, p_category text, p_amount numeric,
                                                    p_incurred_on date, p_note text, p_idempotency_key text) returns json
    language plpgsql as $$
declare
    v_id bigint;
begin
    if p_idempotency_key is not null then
        select id into v_id from crm.campaign_cost where tenant_id = (select crm.current_tenant()) and idempotency_key = p_idempotency_key;
    end if;
    if v_id is null then
        if not exists (select 1 from crm.campaign where tenant_id = (select crm.current_tenant()) and id = p_campaign) then
            raise exception 'campaign % not found', p_campaign using errcode = 'CR404', detail = 'field=campaign_id';
        end if;
        insert into crm.campaign_cost (tenant_id, campaign_id, channel, category, amount, incurred_on, note, idempotency_key)
        values (crm.current_tenant(), p_campaign, p_channel, p_category, p_amount, coalesce(p_incurred_on, current_date), p_note, p_idempotency_key)
        returning id into v_id;
        perform crm.campaign_audit(p_campaign, 'cost', jsonb_build_object('cost_id', v_id, 'category', p_category, 'amount', p_amount));
    end if;
    return (select json_build_object('id', k.id::text, 'campaign_id', k.campaign_id::text, 'channel', k.channel, 'category', k.category,
                                     'amount', k.amount::text, 'incurred_on', k.incurred_on, 'note', k.note)
              from crm.campaign_cost k where k.tenant_id = (select crm.current_tenant()) and k.id = v_id);
end $$;

grant execute on function crm.campaign_approvers(text), crm.campaign_audit(bigint, text, jsonb), crm.campaign_json(bigint),
    crm.set_campaign_lists(bigint, jsonb), crm.create_campaign(jsonb), crm.campaign_missing_approvals(bigint),
    crm.update_campaign(bigint, int, jsonb), crm.add_campaign_asset(bigint, text, text),
    crm.decide_campaign(bigint, bigint, text, text),
    crm.record_campaign_cost(bigint, text, text, numeric, date, text, text) to crm_unit;
