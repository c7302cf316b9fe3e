-- Privacy: consent per channel, the subject-access export and the erasure of one customer.
--
-- Consent. crm.customer.consent holds one boolean per channel ({"phone": true, "email": false}).
-- A channel may be used only when the customer said yes to it: crm.may_contact(consent, channel) is
-- true for consent.<channel> = true and false for false, a missing channel or an erased customer
-- (erasure empties the consent). Every place that generates contacts asks it for its channel:
-- crm.run_task_rules (care calls: phone; holiday greetings: email or mail; top-tier visits:
-- visit) and crm.campaign_call_list (phone). SQL/tests/26_privacy.sql proves each.
--
-- Export (customers.export): everything the caller's unit holds about one of its customers in one
-- JSON document. Erasure (customers.erase): the personal data goes, the figures stay. Both are for
-- the unit's managers and directors, for the unit's own customers (a customer shared with the unit
-- is the owning unit's to export or erase).
set local role crm_owner;

create or replace function crm.may_contact(p_consent jsonb, p_channel text) returns boolean
    language sql immutable parallel safe
    return coalesce(p_consent->p_channel = 'true'::jsonb, false);
comment on function crm.may_contact(jsonb, text) is
    'True when a customer''s consent allows contact on the channel (phone, email, mail, sms, visit, ...): only an explicit true does.';

-- The customer of the caller's own unit, or CR404; managers and directors only (CR403).
create or replace function crm.privacy_customer(p_id bigint) returns crm.customer
    language plpgsql stable as $$
declare
    c crm.customer;
begin
    perform crm.require_app_role(array['manager', 'director']);
    select * into c from crm.customer x where x.tenant_id = (select crm.current_tenant()) and x.id = p_id;
    if not found then
        raise exception 'customer % not found', p_id using errcode = 'CR404', detail = 'field=id';
    end if;
    return c;
end $$;

-- customers.export: one JSON document of everything the unit holds about the customer.
create or replace function crm.export_customer(p_id bigint) returns json
    language plpgsql stable as $$
declare
    c crm.customer := crm.privacy_customer(p_id);
    t uuid := c.tenant_id;
    v_orders bigint[];
    v_cases bigint[];
begin
    v_orders := array(select o.id from crm.sales_order o where o.tenant_id = t and o.customer_id = c.id);
    v_cases := array(select k.id from crm.service_case k where k.tenant_id = t and k.customer_id = c.id);
    return json_build_object(
        'exported_at', now(),
        'unit', (select d.slug from crm.tenant_directory() d where d.id = t),
        'customer', crm.customer_json(c)::jsonb || jsonb_build_object('erased_at', c.erased_at),
        'contact_details', coalesce((select json_agg(json_build_object('kind', k.kind, 'value', k.value) order by k.kind, k.value)
                                       from crm.customer_contact k
                                      where k.value = any(c.phones || c.emails) and k.tenant_id = t and k.customer_id = c.id), '[]'),
        'lifecycle_history', coalesce((select json_agg(json_build_object('stage', h.stage, 'at', h.at) order by h.at, h.id)
                                         from crm.customer_lifecycle_history h where h.tenant_id = t and h.customer_id = c.id), '[]'),
        'orders', coalesce((select json_agg(crm.order_json(o.id)::jsonb || jsonb_build_object('note', o.note,
                                   'status_history', (select coalesce(jsonb_agg(jsonb_build_object('status', s.status, 'at', s.at) order by s.at, s.id), '[]')
                                                        from crm.order_status_history s where s.tenant_id = t and s.order_id = o.id))
                                   order by o.ordered_at, o.id)
                              from crm.sales_order o where o.tenant_id = t and o.id = any(v_orders)), '[]'),
        'invoices', coalesce((select json_agg(json_build_object('id', i.id::text, 'order_id', i.order_id::text, 'amount', i.amount::text,
                                     'issued_at', i.issued_at, 'due_at', i.due_at) order by i.issued_at, i.id)
                                from crm.invoice i where i.tenant_id = t and i.customer_id = c.id), '[]'),
        'payments', coalesce((select json_agg(json_build_object('id', p.id::text, 'invoice_id', p.invoice_id::text, 'amount', p.amount::text,
                                     'paid_at', p.paid_at, 'method', p.method) order by p.paid_at, p.id)
                                from crm.payment p where p.tenant_id = t and p.customer_id = c.id), '[]'),
        'interactions', coalesce((select json_agg(json_build_object('id', i.id::text, 'channel', i.channel, 'direction', i.direction,
                                         'staff_id', i.staff_id::text, 'outcome', i.outcome, 'summary', i.summary, 'occurred_at', i.occurred_at,
                                         'campaign_id', i.campaign_id::text,
                                         'quoted_prices', (select coalesce(json_agg(json_build_object('product_id', q.product_id::text,
                                                                  'price', q.price::text, 'quoted_at', q.quoted_at) order by q.quoted_at, q.id), '[]')
                                                             from crm.quoted_price q where q.tenant_id = t and q.interaction_id = i.id))
                                         order by i.occurred_at, i.id)
                                    from crm.interaction i where i.tenant_id = t and i.customer_id = c.id), '[]'),
        'calls', coalesce((select json_agg(json_build_object('id', r.id::text, 'phone', r.phone, 'reason', r.reason, 'started_at', r.started_at,
                                  'duration_seconds', r.duration_seconds, 'wait_seconds', r.wait_seconds, 'abandoned', r.abandoned)
                                  order by r.started_at, r.id)
                             from crm.call_record r where r.tenant_id = t and r.customer_id = c.id), '[]'),
        'cases', coalesce((select json_agg(json_build_object('id', k.id::text, 'category', k.category, 'priority', k.priority,
                                  'status', k.status, 'subject', k.subject, 'description', k.description, 'resolution', k.resolution,
                                  'order_id', k.order_id::text, 'product_id', k.product_id::text, 'opened_at', k.opened_at,
                                  'resolved_at', k.resolved_at,
                                  'history', (select coalesce(json_agg(json_build_object('status', h.status, 'at', h.at, 'note', h.note)
                                                                       order by h.at, h.id), '[]')
                                                from crm.case_status_history h where h.tenant_id = t and h.case_id = k.id))
                                  order by k.opened_at, k.id)
                             from crm.service_case k where k.tenant_id = t and k.id = any(v_cases)), '[]'),
        'tasks', coalesce((select json_agg(crm.task_json(x) order by x.due_at, x.id)
                             from crm.task x where x.tenant_id = t and x.customer_id = c.id), '[]'),
        'survey_answers', coalesce((select json_agg(json_build_object('id', s.id::text, 'product_id', s.product_id::text, 'service', s.service,
                                           'score', s.score, 'would_recommend', s.would_recommend, 'comment', s.comment,
                                           'responded_at', s.responded_at) order by s.responded_at, s.id)
                                      from crm.survey_response s where s.tenant_id = t and s.customer_id = c.id), '[]'),
        'loyalty', json_build_object(
            'lifecycle_stage', c.lifecycle_stage,
            'tiers', coalesce((select json_agg(json_build_object('year', s.year, 'tier', s.tier, 'previous_tier', s.previous_tier,
                                      'refreshed_at', s.refreshed_at) order by s.year)
                                 from crm.customer_tier_snapshot s where s.tenant_id = t and s.customer_id = c.id), '[]'),
            'referred_by', c.referred_by::text,
            'referred', coalesce((select json_agg(r.id::text order by r.id) from crm.customer r
                                   where r.tenant_id = t and r.referred_by = c.id), '[]')),
        'consents', coalesce(c.consent, '{}'),
        'leads', coalesce((select json_agg(json_build_object('id', l.id::text, 'name', l.name, 'email', l.email, 'phone', l.phone,
                                  'company', l.company, 'status', l.status, 'campaign_id', l.campaign_id::text, 'created_at', l.created_at)
                                  order by l.created_at, l.id)
                             from crm.lead l where l.tenant_id = t and l.customer_id = c.id), '[]'),
        'shares', coalesce((select json_agg(json_build_object('id', s.id::text, 'with', (select d.slug from crm.tenant_directory() d where d.id = s.shared_with),
                                   'all_customers', s.customer_id is null, 'granted_at', s.granted_at, 'revoked_at', s.revoked_at)
                                   order by s.granted_at, s.id)
                              from crm.customer_share s
                             where s.tenant_id = t and (s.customer_id = c.id or s.customer_id is null)), '[]'),
        'audit', coalesce((select json_agg(json_build_object('at', a.at, 'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id,
                                  'principal_id', a.principal_id, 'detail', a.detail) order by a.at, a.id)
                             from crm.audit_log a
                            where a.tenant_id = t and ((a.entity = 'customer' and a.entity_id = c.id::text)
                                                    or (a.entity = 'order' and a.entity_id = any(v_orders::text[]))
                                                    or (a.entity = 'case' and a.entity_id = any(v_cases::text[])))), '[]'));
end $$;
comment on function crm.export_customer(bigint) is
    'customers.export: everything the caller''s unit holds about one of its customers (subject access), as one JSON document; managers and directors.';

-- customers.erase: removes or pseudonymises the personal data of a customer of the caller's unit
-- and of the duplicates merged into it; orders, lines, invoices, payments, rollups, lifecycle,
-- tiers and ids stay, so every report keeps its figures. Refused (CR409) while the customer is
-- shared with another unit, one by one or with all of the unit's customers: revoke the share first.
-- An erased customer is erased again as a no-op. Audited ('erase'); irreversible.
create or replace function crm.erase_customer(p_id bigint, p_confirm boolean) returns json
    language plpgsql as $$
declare
    c crm.customer := crm.privacy_customer(p_id);
    t uuid := c.tenant_id;
    v_ids bigint[];
    v_shares text;
    n jsonb := '{}';
    k int;
begin
    if p_confirm is not true then
        raise exception 'invalid params: confirm must be true: erasure is irreversible' using errcode = 'CR422',
            detail = 'field=confirm', hint = 'must be true: erasure is irreversible';
    end if;
    if c.erased_at is not null then
        return json_build_object('id', c.id::text, 'erased', true, 'erased_at', c.erased_at, 'customers', 0, 'cleared', '{}'::json);
    end if;
    -- The customer and every duplicate merged into it (merges may chain).
    with recursive m(id) as (select c.id
                             union
                             select x.id from crm.customer x join m on x.tenant_id = t and x.merged_into = m.id)
    select array_agg(id) into v_ids from m;
    select string_agg(s.id::text || case when s.customer_id is null then ' (all customers)' else '' end
                      || ' with ' || coalesce((select d.slug from crm.tenant_directory() d where d.id = s.shared_with), '?'), ', ' order by s.id)
      into v_shares
      from crm.customer_share s
     where s.tenant_id = t and s.revoked_at is null and (s.customer_id = any(v_ids) or s.customer_id is null);
    if v_shares is not null then
        raise exception 'conflict: customer % is shared with another unit (share %); revoke the share before erasing', p_id, v_shares
            using errcode = 'CR409', detail = 'field=id',
                  hint = format('shared with another unit (share %s): revoke the share first', v_shares);
    end if;
    perform 1 from crm.customer x where x.tenant_id = t and x.id = any(v_ids) for update;

    update crm.customer x set name = 'Erased customer', emails = '{}', phones = '{}', address = null, company = null,
                              consent = '{}', preferences = '{}', idempotency_key = null,
                              erased_at = coalesce(x.erased_at, now()), version = x.version + 1, updated_at = now()
     where x.tenant_id = t and x.id = any(v_ids);
    update crm.interaction i set summary = null, outcome = null
     where i.tenant_id = t and i.customer_id = any(v_ids) and (i.summary is not null or i.outcome is not null);
    get diagnostics k = row_count; n := n || jsonb_build_object('interactions', k);
    update crm.call_record r set phone = null where r.tenant_id = t and r.customer_id = any(v_ids) and r.phone is not null;
    update crm.service_case s set subject = 'erased', description = null, resolution = null
     where s.tenant_id = t and s.customer_id = any(v_ids) and (s.subject <> 'erased' or s.description is not null or s.resolution is not null);
    get diagnostics k = row_count; n := n || jsonb_build_object('cases', k);
    update crm.case_status_history h set note = null
     where h.tenant_id = t and h.note is not null
       and h.case_id in (select s.id from crm.service_case s where s.tenant_id = t and s.customer_id = any(v_ids));
    update crm.task x set note = null where x.tenant_id = t and x.customer_id = any(v_ids) and x.note is not null;
    get diagnostics k = row_count; n := n || jsonb_build_object('tasks', k);
    update crm.survey_response s set comment = null where s.tenant_id = t and s.customer_id = any(v_ids) and s.comment is not null;
    update crm.sales_order o set note = null where o.tenant_id = t and o.customer_id = any(v_ids) and o.note is not null;
    update crm.lead l set name = 'Erased customer', email = null, phone = null, company = null
     where l.tenant_id = t and l.customer_id = any(v_ids);
    update crm.deal d set prospect_name = 'Erased customer', prospect_email = null, prospect_phone = null,
                          prospect_company = 'erased', note = null
     where d.tenant_id = t and d.customer_id = any(v_ids);
    -- Audit entries keep who did what and when; what they said about the customer goes.
    update crm.audit_log a set detail = '{"erased": true}'
     where a.tenant_id = t and a.entity = 'customer' and a.entity_id = any(v_ids::text[])
       and a.detail is distinct from '{"erased": true}';
    insert into crm.audit_log (tenant_id, principal_id, action, entity, entity_id, detail)
    values (t, crm.current_principal(), 'erase', 'customer', c.id::text,
            jsonb_build_object('app_role', crm.current_app_role(), 'customers', cardinality(v_ids), 'cleared', n));
    return json_build_object('id', c.id::text, 'erased', true, 'erased_at', (select x.erased_at from crm.customer x where x.tenant_id = t and x.id = c.id),
                             'customers', cardinality(v_ids), 'cleared', n);
end $$;
comment on function crm.erase_customer(bigint, boolean) is
    'customers.erase: removes or pseudonymises a customer''s personal data (and its merged duplicates''), keeping orders and figures; refused while shared; audited; managers and directors.';

grant execute on function crm.may_contact(jsonb, text) to crm_unit, crm_reporter;
grant execute on function crm.privacy_customer(bigint), crm.export_customer(bigint), crm.erase_customer(bigint, boolean) to crm_unit;
