-- Deal registration's conflict check: another partner's registration of the same prospect (email,
-- phone or company) and product within the unit's window (settings deal_conflict_days, default
-- 90). It must look at other partners' deals, which no partner may read, so it is the one function
-- of crm_dealcheck, a role that bypasses RLS and reads only the columns it needs (granted in
-- 0002 and 0007). It answers only the calling partner, about a unit whose grant it holds, and
-- only whether (and which deal, for the unit) conflicts.
set local role crm_owner;

-- Created and replaced as the migrating superuser: the function is crm_dealcheck's, not crm_owner's.
reset role;

create or replace function crm.find_deal_conflict(p_tenant uuid, p_partner uuid, p_deal bigint, p_email text, p_phone text,
                                                  p_company text, p_products bigint[]) returns bigint
    language plpgsql stable security definer set search_path = pg_catalog, crm as $$
begin
    if p_partner is distinct from crm.current_partner()
       or not exists (select 1 from crm.partner_grant g
                       where g.tenant_id = p_tenant and g.partner_id = p_partner and g.revoked_at is null) then
        raise exception 'forbidden: no business unit % works with you', p_tenant using errcode = 'CR403';
    end if;
    return (
        select d.id from crm.deal d
         where d.tenant_id = p_tenant and d.partner_id <> p_partner and d.id <> p_deal
           and d.status in ('registered', 'approved', 'won')
           and d.registered_at > now() - make_interval(days => coalesce((select (t.settings->>'deal_conflict_days')::int
                                                                         from crm.tenant t where t.id = p_tenant), 90))
           and ((p_email is not null and d.prospect_email = p_email) or (p_phone is not null and d.prospect_phone = p_phone)
                or (p_company is not null and lower(d.prospect_company) = lower(p_company)))
           and exists (select 1 from crm.deal_product x where x.tenant_id = d.tenant_id and x.deal_id = d.id
                          and x.product_id = any(p_products))
         order by d.registered_at
         limit 1);
end $$;
alter function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) owner to crm_dealcheck;
revoke execute on function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) from public;
grant execute on function crm.find_deal_conflict(uuid, uuid, bigint, text, text, text, bigint[]) to crm_partner;
