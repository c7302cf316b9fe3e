-- Baseline: the policies that many unit tables share, each text once (the tables' own rules
-- stand with the tables: partners, admins, the share table, the contact index's writer).
set local role crm_owner;

-- A unit's own rows: unit users read, add, change and remove them where the table allows (the
-- table's grants say which), reporters read every unit or the one chosen with SET crm.tenant.
-- The same texts as crm.add_unit_policies (0002), under the names these tables' policies have
-- always had; a null name: no such policy. SELECT policies of crm_unit apply to crm_viewer too
-- (SQL/repeatable/98_viewer_privileges.sql).
do $$
declare
    t record;
begin
    for t in select * from (values
        ('partner_grant', 'unit users see their own grants', 'unit users grant from their own unit', 'unit users change their own grants', null, 'reporters see every unit''s grants, or the unit they chose'),
        ('audit_log', 'unit users read their own audit log', 'unit users append to their own audit log', null, null, 'reporters see every unit''s audit log, or the unit they chose'),
        ('staff', 'unit users see their own staff', 'unit users add staff to their own unit', 'unit users change their own staff', null, 'reporters see every unit''s staff, or the unit they chose'),
        ('goal', 'unit users see their own goals', 'unit users set goals for their own unit', 'unit users change their own goals', null, 'reporters see every unit''s goals, or the unit they chose'),
        ('customer', 'unit users see their own customers', 'unit users add customers to their own unit', 'unit users change their own customers', null, 'reporters see every unit''s customers, or the unit they chose'),
        ('customer_lifecycle_history', 'unit users see their own lifecycle history', 'unit users record their own lifecycle history', null, null, 'reporters see every unit''s lifecycle history, or the unit they chose'),
        ('customer_share', null, 'unit users share their own customers', 'unit users revoke their own shares', null, 'reporters see every unit''s shares, or the unit they chose'),
        ('customer_contact', null, null, null, null, 'reporters see every unit''s contact details, or the unit they chose'),
        ('customer_tier_snapshot', 'unit users see their own tier snapshot', 'unit users refresh their own tier snapshot', 'unit users refresh their own tier snapshot in place', 'unit users clear their own tier snapshot', 'reporters see every unit''s tier snapshot, or the unit they chose'),
        ('product', 'unit users see their own products', 'unit users add products to their own unit', 'unit users change their own products', null, 'reporters see every unit''s products, or the unit they chose'),
        ('commission_rate', 'unit users see their own commission rates', 'unit users set their own commission rates', 'unit users change their own commission rates', null, 'reporters see every unit''s commission rates, or the unit they chose'),
        ('interaction', 'unit users see their own contacts', 'unit users record contacts of their own unit', 'unit users move their own contacts', null, 'reporters see every unit''s contacts, or the unit they chose'),
        ('quoted_price', 'unit users see their own quotes', 'unit users record quotes of their own unit', 'unit users move their own quotes', null, 'reporters see every unit''s quotes, or the unit they chose'),
        ('call_record', 'unit users see their own call records', 'unit users record call records of their own unit', 'unit users move their own call records', null, 'reporters see every unit''s call records, or the unit they chose'),
        ('service_case', 'unit users see their own cases', 'unit users open cases in their own unit', 'unit users work their own cases', null, 'reporters see every unit''s cases, or the unit they chose'),
        ('case_status_history', 'unit users see their own case history', 'unit users record their own case history', null, null, 'reporters see every unit''s case history, or the unit they chose'),
        ('task', 'unit users see their own tasks', 'unit users schedule tasks in their own unit', 'unit users work their own tasks', null, 'reporters see every unit''s tasks, or the unit they chose'),
        ('survey_response', 'unit users see their own survey answers', 'unit users record survey answers in their own unit', 'unit users move their own survey answers', null, 'reporters see every unit''s survey answers, or the unit they chose'),
        ('campaign_product', null, null, null, 'unit users take products off their own campaigns', null),
        ('campaign_member', null, null, null, 'unit users take members off their own campaigns', null),
        ('partner_price', null, null, null, 'unit users remove their own partner prices', null),
        ('product_month_summary', null, null, null, 'unit users fold their own product rollup', null),
        ('sales_day_summary', null, null, null, 'unit users fold their own daily rollup', null)
    ) as v(tab, sees, adds, changes, removes, reporters) loop
        if t.sees is not null then
            execute format('create policy %I on crm.%I for select to crm_unit using (tenant_id = (select crm.current_tenant()))',
                           t.sees, t.tab);
        end if;
        if t.adds is not null then
            execute format('create policy %I on crm.%I for insert to crm_unit with check (tenant_id = (select crm.current_tenant()))',
                           t.adds, t.tab);
        end if;
        if t.changes is not null then
            execute format('create policy %I on crm.%I for update to crm_unit using (tenant_id = (select crm.current_tenant())) '
                           'with check (tenant_id = (select crm.current_tenant()))', t.changes, t.tab);
        end if;
        if t.removes is not null then
            execute format('create policy %I on crm.%I for delete to crm_unit using (tenant_id = (select crm.current_tenant()))',
                           t.removes, t.tab);
        end if;
        if t.reporters is not null then
            execute format('create policy %I on crm.%I for select to crm_reporter '
                           'using ((select crm.current_tenant()) is null or tenant_id = (select crm.current_tenant()))',
                           t.reporters, t.tab);
        end if;
    end loop;
end $$;

-- Shared reads: a unit reads, read-only, the rows that hang off customers another unit shares
-- with it (crm.customer_share, 0003): the customer, its lifecycle, contact details, contacts,
-- orders and their lines. Service cases, tasks, invoices, payments and rollups of a shared
-- customer stay unread. The shared arm is computed once per statement from the shares made to the
-- caller's unit (which its own policy on crm.customer_share lets it read), never by a function per
-- row (the planner cannot see such a function's cost, and a statement that did not pin tenant_id
-- itself called it on every row of every unit):
--   * `tenant_id = any (array(<units sharing all their customers with the caller>))`: an init
--     plan, a uuid array (usually empty); `= any` on uuid is leakproof and indexable;
--   * `(tenant_id, <customer key>) in (<customers shared one by one with the caller>)`: an
--     uncorrelated sub-select, hashed once per statement, then one hash probe per row.
-- SQL/tests/10_lean_policies.sql checks the meaning and that no policy calls a function per row.
do $$
declare
    t record;
begin
    for t in select * from (values
        -- (The lifecycle policy's name was cut to PostgreSQL's 63 bytes when it was first created.)
        ('customer', 'id', 'unit users see customers shared with their unit'),
        ('customer_lifecycle_history', 'customer_id', 'unit users see the lifecycle of customers shared with their uni'),
        ('interaction', 'customer_id', 'unit users see the contacts of customers shared with them'),
        ('sales_order', 'customer_id', 'unit users see the orders of customers shared with them')
    ) as v(tab, customer_key, policy) loop
        execute format($f$create policy %I on crm.%I for select to crm_unit, crm_viewer
            using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                           where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                             and s.customer_id is null))
                   or (tenant_id, %I) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                           where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                             and s.customer_id is not null))$f$, t.policy, t.tab, t.customer_key);
    end loop;
end $$;

-- Contact details: own and shared in one policy (the table has no other read policy for units).
create policy "unit users see their own customers' contact details" on crm.customer_contact for select to crm_unit, crm_viewer
    using (tenant_id = (select crm.current_tenant())
           or tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                      where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                        and s.customer_id is null))
           or (tenant_id, customer_id) in (select s.tenant_id, s.customer_id from crm.customer_share s
                                            where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                              and s.customer_id is not null));

-- Order lines carry no customer: the lines of a unit that shares all its customers, or of the
-- orders of customers shared one by one (one hashed set of (unit, order) per statement, read
-- through the orders' own policy). A unit never shares with itself (customer_share's check), so
-- its own lines never reach this arm.
create policy "unit users see the lines of shared orders they can see" on crm.order_line for select to crm_unit, crm_viewer
    using (tenant_id = any (array(select s.tenant_id from crm.customer_share s
                                   where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                     and s.customer_id is null))
           or (tenant_id, order_id) in (select o.tenant_id, o.id
                                          from crm.customer_share s
                                          join crm.sales_order o on o.tenant_id = s.tenant_id and o.customer_id = s.customer_id
                                         where s.shared_with = (select crm.current_tenant()) and s.revoked_at is null
                                           and s.customer_id is not null));
