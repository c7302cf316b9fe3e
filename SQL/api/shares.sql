-- shares.* (Sources/CRMServer/Methods/Shares+RPC.swift declares them): a unit's managers share one
-- customer, or all the unit's customers, read-only with another unit; audited and revocable
-- (crm.share_customer and crm.revoke_share, 15_customer_sharing.sql). A unit lists the shares it
-- made and those made to it; the policies on crm.customer_share decide which those are.
set local role crm_owner;

create or replace function crm.share_json(s crm.customer_share) returns json
    language sql stable
    return json_build_object('id', s.id::text,
        'unit', (select t.slug from crm.tenant_directory() t where t.id = s.tenant_id),
        'shared_with', (select t.slug from crm.tenant_directory() t where t.id = s.shared_with),
        'customer_id', s.customer_id::text, 'all_customers', s.customer_id is null,
        'granted_at', s.granted_at, 'revoked_at', s.revoked_at);

create or replace function api.shares_grant(shared_with text, customer_id bigint) returns json
    language plpgsql as $$
declare
    v bigint := crm.share_customer(shares_grant.customer_id, shares_grant.shared_with);
    s crm.customer_share;
begin
    select * into s from crm.customer_share x where x.tenant_id = (select crm.current_tenant()) and x.id = v;
    return crm.share_json(s);
end $$;

create or replace function api.shares_revoke(id bigint) returns json
    language plpgsql as $$
declare
    s crm.customer_share;
begin
    if not crm.revoke_share(shares_revoke.id) then
        raise exception 'share % not found or already revoked', shares_revoke.id using errcode = 'CR404', detail = 'field=id';
    end if;
    select * into s from crm.customer_share x where x.tenant_id = (select crm.current_tenant()) and x.id = shares_revoke.id;
    return crm.share_json(s);
end $$;

-- given: the shares this unit made; received: those made to it. Live ones unless include_revoked.
create or replace function api.shares_list(direction text, include_revoked boolean, after bigint, lim int) returns table (key text, json text)
    language plpgsql stable as $$
begin
    return query
    select s.id::text, crm.share_json(s)::text
      from crm.customer_share s
     where s.id > after
       and case coalesce(direction, 'given') when 'given' then s.tenant_id = (select crm.current_tenant())
                                              else s.shared_with = (select crm.current_tenant()) end
       and (coalesce(include_revoked, false) or s.revoked_at is null)
     order by s.id
     limit lim;
end $$;

grant execute on function crm.tenant_directory() to crm_viewer;
grant execute on function crm.share_json(crm.customer_share), api.shares_list(text, boolean, bigint, int) to crm_unit, crm_viewer;
grant execute on function api.shares_grant(text, bigint), api.shares_revoke(bigint) to crm_unit;
