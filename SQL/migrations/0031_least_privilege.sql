-- Least privilege (issue 14): what an outside review found, closed where the data is.
--  * Partners read no cost or margin column: crm.sales_day_summary.cost is no longer granted to
--    crm_partner (column grants), and partners read their scorecard through a view of their own
--    without margin (61_reports_partners.sql). SQL/tests/06_least_privilege.sql walks every cost
--    and margin column.
--  * No function is executable by PUBLIC: functions crm_owner (and the two narrow roles) create
--    from now on start without EXECUTE for PUBLIC, the existing ones lose it, and
--    SQL/repeatable/99_function_privileges.sql revokes it again on every migrate, so a function
--    created some other way cannot keep it either. Each role is granted what it calls.
--  * crm.find_deal_conflict answers only for the calling partner and a unit whose grant it holds.
--  * A partner's deal can name only products the partner may see.
--  * Read-only unit users (app role viewer) run as crm_viewer, which may read what crm_unit reads
--    and write nothing (98_viewer_privileges.sql keeps its grants and policies in step).
--  * Revoking a partner in one unit hides that unit's deals, leads, offers and sales from the
--    partner: every partner policy checks that the unit's grant is still active.

-- The read-only role for a unit's viewers. Roles are cluster-wide: created once, guarded as in
-- 0001; creating it needs the migrating superuser (or a role with CREATEROLE).
do $$
begin
    if not exists (select from pg_roles where rolname = 'crm_viewer') then
        create role crm_viewer nologin nosuperuser nobypassrls nocreaterole nocreatedb noreplication;
    end if;
    execute format('grant connect on database %I to crm_viewer', current_database());
end $$;
grant crm_viewer to crm_app;
grant usage on schema crm, report to crm_viewer;

-- Functions start without EXECUTE for PUBLIC. Default privileges to revoke a default must be
-- global (per-schema defaults only add to the global ones), and they apply to the role that
-- creates the function: crm_owner creates every function of the project (the narrow roles own
-- theirs after an ALTER ... OWNER, which keeps the ACL). Not for the migrating superuser: that
-- would also strip extensions' functions (pgTAP, pg_trgm) created by it in this database.
alter default privileges for role crm_owner revoke execute on functions from public;
alter default privileges for role crm_search revoke execute on functions from public;
alter default privileges for role crm_dealcheck revoke execute on functions from public;

-- The conflict check looks past every policy, so it must not answer about a unit that did not
-- grant the caller, nor for another partner than the caller. It reads the caller's grant (three
-- columns) itself. Replaced as the migrating superuser: the function stays crm_dealcheck's.
grant select (tenant_id, partner_id, revoked_at) on crm.partner_grant to crm_dealcheck;
grant execute on function crm.current_partner() to crm_dealcheck;
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

-- As the migrating superuser: the narrow roles' functions are not crm_owner's to change.
revoke execute on all functions in schema crm, report from public;

set local role crm_owner;

-- Partners: the daily sales rollup without its cost.
revoke select on crm.sales_day_summary from crm_partner;
grant select (tenant_id, id, day, partner_id, orders, units, revenue) on crm.sales_day_summary to crm_partner;

-- Partner policies check that the unit's grant is still active (crm.partner_tenants() lists the
-- units whose grant to the caller is not revoked): after unit B revokes a partner, the partner
-- sees nothing more of B, and no row of B half-visible (a deal whose unit it can no longer see).
drop policy "partners see their own deals" on crm.deal;
create policy "partners see their own deals in units that grant them" on crm.deal for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

drop policy "partners see the products of their own deals" on crm.deal_product;
create policy "partners see the products of their own deals in units that grant them" on crm.deal_product
    for select to crm_partner
    using (tenant_id = any ((select crm.partner_tenants())::uuid[])
           and exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                        and d.partner_id = (select crm.current_partner())));
-- A deal's product must be one the partner may see (the product policy: granted unit, granted
-- groups, active grant), not any id of the unit's catalog.
drop policy "partners add products to their own deals" on crm.deal_product;
create policy "partners add products they may see to their own deals" on crm.deal_product for insert to crm_partner
    with check (tenant_id = any ((select crm.partner_tenants())::uuid[])
                and exists (select 1 from crm.deal d where d.tenant_id = deal_product.tenant_id and d.id = deal_product.deal_id
                             and d.partner_id = (select crm.current_partner()))
                and exists (select 1 from crm.product p where p.tenant_id = deal_product.tenant_id and p.id = deal_product.product_id));

drop policy "partners see the leads given to them" on crm.lead;
create policy "partners see the leads given to them by units that grant them" on crm.lead for select to crm_partner
    using (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
drop policy "partners work the leads given to them" on crm.lead;
create policy "partners work the leads given to them by units that grant them" on crm.lead for update to crm_partner
    using (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]))
    with check (assigned_partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

drop policy "partners see their own lead offers" on crm.lead_offer;
create policy "partners see their own lead offers from units that grant them" on crm.lead_offer for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));
drop policy "partners answer their own lead offers" on crm.lead_offer;
create policy "partners answer their own lead offers from units that grant them" on crm.lead_offer for update to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]))
    with check (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

drop policy "partners see the sales credited to them" on crm.sales_day_summary;
create policy "partners see the sales credited to them by units that grant them" on crm.sales_day_summary
    for select to crm_partner
    using (partner_id = (select crm.current_partner()) and tenant_id = any ((select crm.partner_tenants())::uuid[]));

-- Future unit tables: their read policy applies to viewers too (98_viewer_privileges.sql also
-- extends every existing crm_unit read policy on each migrate).
create or replace function crm.add_unit_policies(p_table regclass, p_label text, p_updatable boolean default false)
    returns void language plpgsql as $$
begin
    execute format('alter table %s enable row level security', p_table);
    execute format('alter table %s force row level security', p_table);
    execute format('create policy %I on %s for select to crm_unit, crm_viewer using (tenant_id = (select crm.current_tenant()))',
                   'unit users see their own ' || p_label, p_table);
    execute format('create policy %I on %s for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                   'unit users add ' || p_label || ' to their own unit', p_table);
    if p_updatable then
        execute format('create policy %I on %s for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                       'with check (tenant_id = (select crm.current_tenant()))', 'unit users change their own ' || p_label, p_table);
    end if;
    execute format('create policy %I on %s for select to crm_reporter '
                   'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                   'reporters see every unit''s ' || p_label || ', or the unit they chose', p_table);
end $$;
comment on function crm.add_unit_policies(regclass, text, boolean) is
    'Enables and forces row-level security on a unit table and creates the standard policies: unit users (and viewers) read, unit users add (and, if updatable, change) their own unit''s rows; reporters read every unit or the chosen one.';
